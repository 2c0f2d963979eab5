"""`kaohe import FILE --as USERNAME [--dry-run] [--year YEAR]`: import a filled Excel template as that user.

The same checks as the upload page (importers.import_file): every rejected cell is printed on its own line
and the command exits 1, having written nothing; otherwise one line says what was written. `--year` imports a
targets table into another year's scheme (last year's table carried into the new year).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from kaohe.collection import importers
from kaohe.core.commands import acting_user, print_report, read_upload


class Command(BaseCommand):
    help = "导入填好的 Excel 模板（数据填报或目标任务），以指定用户的身份和权限校验并写入；任何一处有误则不写入。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="Excel 文件（.xlsx）")
        parser.add_argument("--as", dest="username", required=True, metavar="USERNAME", help="以该用户的身份导入")
        parser.add_argument("--dry-run", action="store_true", help="试导入：只校验并报告将写入的内容，不写入")
        parser.add_argument(
            "--year", type=int, metavar="YEAR", help="目标任务表导入到该年度的考核方案（如把上年的目标表沿用到新年度）"
        )

    def handle(self, *args: Any, file: str, username: str, dry_run: bool, year: int | None, **options: Any) -> None:
        user = acting_user(username)
        path = Path(file)
        data = read_upload(path)
        print_report(self, importers.import_file(data=data, filename=path.name, by=user, dry_run=dry_run, year=year))
