"""One spelling per user (SECURITY.md IA-1, IA-4; issue 36): log-in, lockout and uniqueness compare names by
their normalised key, so no spelling of a locked name logs in or clears the lock, on PostgreSQL as on SQLite."""

from __future__ import annotations

from django.test import Client, SimpleTestCase

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.names import username_key
from kaohe.core.exceptions import ApplicationError
from kaohe.demo.services import demo_password
from kaohe.test import WorldTestCase

WRONG = "Wrong#Password1"
SPELLINGS = ("qıngshı_tb", "QINGSHI_TB", "ｑｉｎｇｓｈｉ＿ｔｂ", "QİNGSHİ_TB")  # dotless ı, upper, full width, dotted İ


class UsernameKeyTests(SimpleTestCase):
    def test_every_spelling_has_one_key(self) -> None:
        for name in (*SPELLINGS, "qingshi_tb", " Qingshi_TB "):
            self.assertEqual(username_key(name), "qingshi_tb", name)
        self.assertNotEqual(username_key("qingshi_tb2"), "qingshi_tb")


class LockedNameTests(WorldTestCase):
    def post(self, client: Client, name: str, password: str) -> int:
        return client.post("/login/", {"username": name, "password": password}).status_code

    def test_ia4_no_spelling_of_a_locked_name_logs_in_or_clears_the_lock(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        for _ in range(5):
            self.post(client, "qingshi_tb", WRONG)
        for name in SPELLINGS:
            with self.subTest(name):
                self.assertEqual(self.post(Client(HTTP_HOST="127.0.0.1"), name, demo_password()), 403)
        self.assertEqual(self.post(client, "qingshi_tb", demo_password()), 403)  # the real lock still holds

    def test_ia4_guesses_under_any_spelling_count_against_the_same_lock(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        for name in (*SPELLINGS, "qingshi_tb"):
            self.post(client, name, WRONG)
        self.assertEqual(self.post(client, "qingshi_tb", demo_password()), 403)

    def test_each_spelling_logs_in_while_the_account_is_not_locked(self) -> None:
        for name in SPELLINGS:
            with self.subTest(name):
                self.assertEqual(self.post(Client(HTTP_HOST="127.0.0.1"), name, demo_password()), 302)

    def test_ia1_no_new_account_takes_another_spelling_of_a_name(self) -> None:
        security = self.users[Role.SECURITY_ADMIN]
        for name in SPELLINGS:
            with self.subTest(name), self.assertRaisesMessage(ApplicationError, "已被使用"):
                services.user_create(username=name, password="Xinren#2026pw", role=Role.TOWNSHIP_CLERK,
                                     unit_id=self.own_unit.pk, by=security)  # fmt: skip
        self.assertEqual(User.objects.get(username="qingshi_tb").username_key, "qingshi_tb")


class MigrationTests(WorldTestCase):
    def test_the_migration_reports_accounts_whose_keys_collide_and_keeps_them_apart(self) -> None:
        import importlib
        from contextlib import redirect_stdout
        from io import StringIO

        from django.apps import apps

        migration = importlib.import_module("kaohe.accounts.migrations.0003_username_key")
        clerk = services.user_create(username="zhangwei", password="Xinren#2026pw", role=Role.TOWNSHIP_CLERK,
                                     unit_id=self.own_unit.pk, by=None)  # fmt: skip
        twin = services.user_create(username="zhangwei2", password="Xinren#2026pw", role=Role.TOWNSHIP_CLERK,
                                    unit_id=self.own_unit.pk, by=None)  # fmt: skip
        # As an older database could hold them: a full-width twin, different to lower(), one name to the key.
        User.objects.filter(pk=twin.pk).update(username="ｚｈａｎｇｗｅｉ", username_key=f"old{twin.pk}")
        out = StringIO()
        with redirect_stdout(out):
            migration.fill_keys(apps, None)
        self.assertIn("'ｚｈａｎｇｗｅｉ' 与 'zhangwei' 规范化后同名", out.getvalue())
        self.assertEqual(User.objects.get(pk=clerk.pk).username_key, "zhangwei")
        self.assertEqual(User.objects.get(pk=twin.pk).username_key, f"zhangwei#重名{twin.pk}")
