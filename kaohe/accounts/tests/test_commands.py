from __future__ import annotations

import os
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError

from kaohe.accounts.models import User
from kaohe.core.models import ChangeLog
from kaohe.test import WorldTestCase


class CreateAdminTests(WorldTestCase):
    def test_it_creates_the_first_security_admin_with_a_validated_password(self) -> None:
        out = StringIO()
        with mock.patch.dict(os.environ, {"KAOHE_ADMIN_PASSWORD": "Anquan#2026admin"}):
            call_command("createadmin", "anquan2", "--name", "钱安", stdout=out)
        user = User.objects.get(username="anquan2")
        self.assertEqual((user.role, user.full_name), ("security_admin", "钱安"))
        self.assertTrue(user.check_password("Anquan#2026admin"))
        self.assertIn("已创建安全管理员账号 anquan2", out.getvalue())
        self.assertTrue(ChangeLog.objects.filter(action="create", object_id=str(user.pk)).exists())

    def test_a_weak_password_or_a_taken_name_is_refused_in_chinese(self) -> None:
        with mock.patch.dict(os.environ, {"KAOHE_ADMIN_PASSWORD": "weak"}), self.assertRaises(CommandError) as caught:
            call_command("createadmin", "xitong2", "--role", "system_admin")
        self.assertIn("密码", str(caught.exception))
        password = {"KAOHE_ADMIN_PASSWORD": "Anquan#2026admin"}
        with mock.patch.dict(os.environ, password), self.assertRaises(CommandError) as caught:
            call_command("createadmin", "ANQUAN")
        self.assertIn("已被使用", str(caught.exception))
        self.assertFalse(User.objects.filter(username="xitong2").exists())


class ResetPasswordTests(WorldTestCase):
    def test_ac5_an_admin_s_password_is_reset_on_the_command_line(self) -> None:
        out = StringIO()
        with mock.patch.dict(os.environ, {"KAOHE_ADMIN_PASSWORD": "Shenji#2026reset"}):
            call_command("resetpassword", "shenji", stdout=out)
        user = User.objects.get(username="shenji")
        self.assertTrue(user.check_password("Shenji#2026reset"))
        self.assertIn("已重置账号 shenji 的密码", out.getvalue())
        row = ChangeLog.objects.filter(action="update", object_id=str(user.pk)).latest("id")
        self.assertEqual((row.actor_username, row.reason), ("", "在服务器上重置密码"))
        self.assertEqual(row.after["password"], "（已重置，一次性密码）")  # type: ignore[index]
        self.assertTrue(user.password_one_time)  # the operator knows it: the auditor replaces it at first login

    def test_an_unknown_name_or_a_weak_password_is_refused(self) -> None:
        with self.assertRaisesMessage(CommandError, "用户“nobody”不存在"):
            call_command("resetpassword", "nobody")
        with mock.patch.dict(os.environ, {"KAOHE_ADMIN_PASSWORD": "weak"}), self.assertRaises(CommandError):
            call_command("resetpassword", "shenji")
