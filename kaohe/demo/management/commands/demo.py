"""`kaohe demo [--reset]`: load the demo district into an empty database and print its accounts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kaohe.core.exceptions import ApplicationError
from kaohe.demo import services

ONLY_EMPTY = "演示区只加载到空数据库（kaohe demo --reset 会清空数据库）。"
NOT_DEMO = (
    "拒绝重置：这个数据库不是 kaohe demo 创建的演示库（没有演示库标记），重置会清空其中的全部数据和审计日志。"
    "未做任何改动。空数据库请直接运行 kaohe demo；如需演示，请另用一个空数据库（另设 KAOHE_VAR_DIR 或 DATABASE_URL）。"
)


class Command(BaseCommand):
    help = "加载演示区（云溪区）数据；数据库非空时不重复加载。--reset 清空演示库后重新加载（仅限 kaohe demo 建的库）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help="清空演示库后重新加载演示数据（其他数据库一律拒绝）")

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        if reset:
            # Only the demo's own database is ever emptied: a district's, audit log and all, is refused untouched.
            if not services.demo_is_marked():
                raise CommandError(NOT_DEMO)
            call_command("flush", interactive=False, verbosity=0)
        if services.demo_is_loaded():
            self.stdout.write("数据库已有数据，未重复加载演示区（如需重建请使用 kaohe demo --reset）。")
        else:
            try:
                services.demo_load()  # one transaction: refused, it leaves the database as it was
            except ApplicationError as exc:
                raise CommandError(f"未加载演示区：{exc.message}{ONLY_EMPTY}") from None
            except ValidationError as exc:
                raise CommandError(f"未加载演示区：{'；'.join(exc.messages)}{ONLY_EMPTY}") from None
            self.stdout.write("已加载演示区：云溪区（10 个镇、4 个街道，2 个考核分组）。")
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {services.demo_password()}）：")
        for user in services.demo_accounts():
            self.stdout.write(
                f"  {user.get_role_display():<10}\t{user.username:<12}\t{user.full_name}\t{user.scope_label}"
            )
