"""`kaohe ledger`: a ledger's template, export and all-or-nothing import from the command line.

    kaohe ledger template NAME FILE
    kaohe ledger export NAME FILE
    kaohe ledger import NAME FILE --as USERNAME [--dry-run]

The import makes the same checks as the web page (`kaohe.core.ledger.ledger_import`): every rejected cell is
printed on its own line and the command exits 1, having written nothing; otherwise one line says what changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kaohe.core.commands import acting_user, print_report, read_upload, write_download
from kaohe.core.ledger import Ledger, get_ledger, ledger_export, ledger_import, ledger_template, ledgers


def _ledger_list() -> str:
    return "；".join(f"{x.name}（{x.title}：{x.description}）" for x in ledgers())


class Command(BaseCommand):
    help = "台账（组织机构等）的模板下载、导出和导入。导入时任何一格有误则整份文件不写入。"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = f"可用的台账：{_ledger_list()}"
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="template|export|import")
        for action, text in (("template", "下载空白模板"), ("export", "导出现有台账（可修改后再导入）")):
            sub = actions.add_parser(action, help=text)
            sub.add_argument("name", help="台账名称，如 org")
            sub.add_argument("file", help="写入的 .xlsx 文件")
        sub = actions.add_parser("import", help="导入台账（先校验全部单元格，任何一处有误则不写入）")
        sub.add_argument("name", help="台账名称，如 org")
        sub.add_argument("file", help="Excel 文件（.xlsx）")
        sub.add_argument("--as", dest="username", required=True, metavar="USERNAME", help="以该用户的身份导入")
        sub.add_argument("--dry-run", action="store_true", help="试导入：只校验并报告将新增和修改的行，不写入")

    def handle(self, *args: Any, action: str, name: str, file: str, **options: Any) -> None:
        ledger = get_ledger(name)
        if ledger is None:
            raise CommandError(f"没有名为“{name}”的台账。可用的台账：{_ledger_list()}")
        if action == "import":
            self.import_file(ledger, Path(file), options["username"], options["dry_run"])
            return
        data = ledger_template(ledger) if action == "template" else ledger_export(ledger)
        write_download(Path(file), data)
        self.stdout.write(f"已写入{ledger.title}台账{'模板' if action == 'template' else ''}：{file}")

    def import_file(self, ledger: Ledger, path: Path, username: str, dry_run: bool) -> None:
        user = acting_user(username)
        data = read_upload(path)
        print_report(self, ledger_import(ledger=ledger, data=data, filename=path.name, by=user, dry_run=dry_run))
