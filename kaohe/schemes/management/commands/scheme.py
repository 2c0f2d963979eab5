"""`kaohe scheme`: the year's scheme as one workbook, out and back in.

    kaohe scheme export --year Y FILE
    kaohe scheme import FILE --year Y --as USERNAME [--dry-run]
    kaohe scheme copy --from 2026 --to 2027 --as USERNAME [--growth CODE=PCT ...] [--no-targets] [--name NAME]

The import makes the same checks as the web page (`kaohe.schemes.workbook.scheme_import`), the engine's whole
check included: every rejected cell is printed on its own line and the command exits 1, having written nothing;
otherwise one line says what changed. See docs/scheme-workbook.md for every sheet and column.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kaohe.core.commands import acting_user, print_report, read_upload, write_download
from kaohe.core.exceptions import ApplicationError
from kaohe.schemes import services
from kaohe.schemes.models import Scheme
from kaohe.schemes.selectors import copy_summary
from kaohe.schemes.workbook import scheme_export, scheme_import


class Command(BaseCommand):
    help = "考核方案工作簿的导出和导入。导入时先校验全部单元格和整个方案，任何一处有误则不写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
        sub = actions.add_parser("export", help="导出某年度的考核方案（可修改后再导入）")
        sub.add_argument("--year", type=int, required=True, help="年度，如 2027")
        sub.add_argument("--scenario", default="", help="导出该年度的这个模拟方案")
        sub.add_argument("file", help="写入的 .xlsx 文件")
        sub = actions.add_parser("import", help="把考核方案工作簿导入某年度（该年度没有方案时新建草稿）")
        sub.add_argument("file", help="Excel 文件（.xlsx）")
        sub.add_argument("--year", type=int, required=True, help="导入到的年度，如 2027")
        sub.add_argument("--scenario", default="", help="导入到该年度已建立的这个模拟方案")
        sub.add_argument("--as", dest="username", required=True, metavar="USERNAME", help="以该用户的身份导入")
        sub.add_argument("--dry-run", action="store_true", help="试导入：只校验并报告将新增和修改的项，不写入")
        sub = actions.add_parser("copy", help="由上一年度的方案复制出新年度的草稿方案")
        sub.add_argument("--from", dest="source", type=int, required=True, help="复制自哪一年度，如 2026")
        sub.add_argument("--to", dest="year", type=int, required=True, help="新年度，如 2027（该年度须尚无方案）")
        sub.add_argument("--as", dest="username", required=True, metavar="USERNAME", help="以该用户的身份复制")
        sub.add_argument(
            "--growth", action="append", default=[], metavar="CODE=PCT",
            help="累计量、个数指标目标=上年实际×(1+增长率)，如 --growth tax=8；可重复；未列出的按上年目标复制",
        )  # fmt: skip
        sub.add_argument("--no-targets", action="store_true", help="不复制目标任务")
        sub.add_argument("--name", default="", help="新方案名称（默认把原名称中的年份换成新年度）")

    def handle(self, *args: Any, action: str, year: int, file: str = "", **options: Any) -> None:
        path = Path(file)
        if action == "copy":
            self.copy(year, options)
            return
        if action == "import":
            user = acting_user(options["username"])
            data = read_upload(path)
            report = scheme_import(
                data=data, filename=path.name, year=year, by=user, dry_run=options["dry_run"],
                scenario=options["scenario"],
            )  # fmt: skip
            print_report(self, report)
            return
        if options["scenario"]:
            scheme = Scheme.objects.scenarios().filter(year=year, scenario=options["scenario"]).first()
        else:
            scheme = Scheme.objects.official().filter(year=year).first()
        if scheme is None:
            raise CommandError(f"{year}年还没有考核方案。" if not options["scenario"] else "没有这个模拟方案。")
        write_download(path, scheme_export(scheme))
        self.stdout.write(f"已写入{scheme.label}工作簿：{file}")

    def copy(self, year: int, options: dict[str, Any]) -> None:
        user = acting_user(options["username"])
        source = Scheme.objects.official().filter(year=options["source"]).first()
        if source is None:
            raise CommandError(f"{options['source']}年还没有考核方案。")
        growth = {}
        for item in options["growth"]:
            code, _, pct = item.partition("=")
            try:
                growth[code.strip()] = Decimal(pct.strip().rstrip("%"))
            except InvalidOperation:
                raise CommandError(f"增长率须写成“指标编码=百分数”，如 tax=8，收到 {item!r}。") from None
        try:
            made = services.scheme_copy(
                source=source, year=year, by=user, growth=growth, targets=not options["no_targets"],
                name=options["name"],
            )  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(copy_summary(made, source.year))
        for line in made.missing:
            self.stdout.write(f"  未设目标（上年无审核通过的12月数据）：{line}")
