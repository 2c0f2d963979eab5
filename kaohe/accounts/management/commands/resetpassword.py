"""`kaohe resetpassword USERNAME`: set a new password for an account on the server's command line.

The only way to reset the password of a 系统管理员, 安全管理员 or 审计管理员 (SECURITY.md AC-5): the web refuses it.
The password is read from KAOHE_ADMIN_PASSWORD or typed (twice) at the prompt; it is checked by the password rules.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kaohe.accounts import services
from kaohe.accounts.models import User
from kaohe.accounts.names import username_key
from kaohe.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "在服务器上重置账号密码（系统管理员、安全管理员、审计管理员的密码只能这样重置）。"
        "密码从 KAOHE_ADMIN_PASSWORD 读取或交互输入。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", default="在服务器上重置密码", help="原因，记入审计日志")

    def handle(self, *args: Any, username: str, reason: str, **options: Any) -> None:
        user = User.objects.filter(username_key=username_key(username)).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在。")
        password = os.environ.get("KAOHE_ADMIN_PASSWORD") or self._typed()
        try:
            services.user_update(user=user, by=None, data={}, password=password, reason=reason)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已重置账号 {user.username} 的密码。")

    @staticmethod
    def _typed() -> str:
        first = getpass.getpass("新密码：")
        if first != getpass.getpass("再次输入新密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
