"""`kaohe createadmin USERNAME`: create the first administrator of a new installation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.core.exceptions import ApplicationError

ADMIN_ROLES = [Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.DISTRICT_ADMIN]


class Command(BaseCommand):
    help = "创建管理员账号（默认安全管理员，由其创建其他账号）。密码从 KAOHE_ADMIN_PASSWORD 读取或交互输入。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", default=Role.SECURITY_ADMIN, choices=[r.value for r in ADMIN_ROLES])
        parser.add_argument("--name", default="", help="姓名")

    def handle(self, *args: Any, username: str, role: str, name: str, **options: Any) -> None:
        password = os.environ.get("KAOHE_ADMIN_PASSWORD") or getpass.getpass("密码：")
        try:
            user = services.user_create(username=username, password=password, role=role, full_name=name, by=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已创建{user.get_role_display()}账号 {user.username}。")
