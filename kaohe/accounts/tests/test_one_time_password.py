"""A password someone else set is a one-time password (SECURITY.md IA-2, issue 35): its owner reaches only the
password change page until he replaces it with one of his own."""

from __future__ import annotations

from django.test import Client

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.core.choices import ChangeAction
from kaohe.core.models import ChangeLog
from kaohe.test import DEMO_YEAR, WorldTestCase

FIRST = "Erst#2026Passwort"
OWN = "Mine#2026Passwort"


class OneTimePasswordTests(WorldTestCase):
    def setUp(self) -> None:
        self.security = self.client_for(Role.SECURITY_ADMIN)

    def new_account(self) -> User:
        self.security.post("/accounts/users/new/", {
            "username": "xinren", "full_name": "新人", "role": Role.TOWNSHIP_CLERK, "unit": self.own_unit.pk,
            "password": FIRST, "is_active": "on",
        })  # fmt: skip
        return User.objects.get(username="xinren")

    def logged_in(self, password: str) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        response = client.post("/login/", {"username": "xinren", "password": password})
        self.assertEqual(response.status_code, 302)
        return client

    def test_an_account_made_by_the_security_admin_must_change_its_password_before_any_other_page(self) -> None:
        user = self.new_account()
        self.assertTrue(user.password_one_time)
        client = self.logged_in(FIRST)
        for path in ("/", "/data/", f"/scores/{DEMO_YEAR}/10/", "/accounts/users/"):
            response = client.get(path)
            self.assertEqual((response.status_code, response["Location"]), (302, "/accounts/password/"), path)
        # A form posted anywhere else writes nothing and leads to the same page.
        response = client.post(f"/data/review/{DEMO_YEAR}/10/batch/", {"x": "1"})
        self.assertEqual(response["Location"], "/accounts/password/")
        htmx = client.get("/", headers={"HX-Request": "true"})
        self.assertEqual(htmx["HX-Redirect"], "/accounts/password/")
        page = client.get("/accounts/password/").content.decode()
        self.assertIn("一次性密码", page)

        # The one-time password itself is not a new password.
        same = client.post("/accounts/password/", {"old_password": FIRST, "new_password1": FIRST,
                                                   "new_password2": FIRST})  # fmt: skip
        self.assertIn(services.SAME_PASSWORD, same.content.decode())
        self.assertTrue(User.objects.get(pk=user.pk).password_one_time)

        done = client.post("/accounts/password/", {"old_password": FIRST, "new_password1": OWN, "new_password2": OWN})
        self.assertEqual(done["Location"], "/")
        user.refresh_from_db()
        self.assertFalse(user.password_one_time)
        self.assertTrue(user.check_password(OWN))
        self.assertEqual(client.get("/").status_code, 200)  # the same session goes on
        row = ChangeLog.objects.filter(action=ChangeAction.PASSWORD, object_id=str(user.pk)).get()
        self.assertEqual(row.reason, "替换一次性密码")

    def test_a_password_reset_by_the_security_admin_is_one_time_too(self) -> None:
        user = self.new_account()
        services.user_change_own_password(user=user, new_password=OWN)
        self.assertFalse(User.objects.get(pk=user.pk).password_one_time)
        self.security.post(f"/accounts/users/{user.pk}/", {
            "username": "xinren", "full_name": "新人", "role": Role.TOWNSHIP_CLERK, "unit": self.own_unit.pk,
            "department": "", "password": FIRST, "is_active": "on",
        })  # fmt: skip
        self.assertTrue(User.objects.get(pk=user.pk).password_one_time)
        client = self.logged_in(FIRST)
        self.assertEqual(client.get("/")["Location"], "/accounts/password/")
        # Leaving is always possible.
        self.assertEqual(client.post("/logout/").status_code, 302)
        self.assertEqual(client.get("/")["Location"], "/login/?next=/")

    def test_the_demo_s_and_the_command_line_s_own_accounts_are_not_one_time(self) -> None:
        self.assertFalse(User.objects.filter(password_one_time=True).exists())
