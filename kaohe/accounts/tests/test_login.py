"""Log-in, lockout after 5 failures, unlock by the security admin, idle timeout, audit of each."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from kaohe.accounts.forms import LOGIN_FAILED
from kaohe.accounts.middleware import RENEW_EVERY_SECONDS, RENEWED
from kaohe.core.models import ChangeLog
from kaohe.demo.services import demo_password
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase


def login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


@pytest.mark.smoke
class LoginTests(WorldTestCase):
    def test_every_demo_account_logs_in_with_the_printed_password(self) -> None:
        for user in self.users.values():
            client = Client(HTTP_HOST="127.0.0.1")
            response = client.post("/login/", {"username": user.username, "password": demo_password()})
            self.assertEqual(response.status_code, 302, user.username)
            self.assertEqual(response["Location"], "/")
            self.assertEqual(client.get("/").status_code, 200)

    def test_username_is_case_insensitive(self) -> None:
        self.assertEqual(login(self.client, "QingShi_TB", demo_password()), 302)

    def test_wrong_password_and_unknown_user_get_the_same_chinese_message(self) -> None:
        wrong = self.client.post("/login/", {"username": "qingshi_tb", "password": "Wrong#Password1"})
        unknown = self.client.post("/login/", {"username": "nobody", "password": "Wrong#Password1"})
        self.assertEqual(wrong.status_code, unknown.status_code)
        self.assertIn(LOGIN_FAILED, wrong.content.decode())
        self.assertIn(LOGIN_FAILED, unknown.content.decode())

    def test_login_and_failure_are_audited(self) -> None:
        login(self.client, "qingshi_tb", "Wrong#Password1")
        login(self.client, "qingshi_tb", demo_password())
        actions = list(ChangeLog.objects.filter(action__in=["login", "login_failed"]).values_list("action", "success"))
        self.assertEqual(actions, [("login", True), ("login_failed", False)])

    def test_logout_ends_the_server_session(self) -> None:
        login(self.client, "qingshi_tb", demo_password())
        self.assertEqual(Session.objects.count(), 1)
        self.client.post("/logout/")
        self.assertEqual(Session.objects.count(), 0)
        self.assertEqual(self.client.get("/").status_code, 302)


class LockoutTests(WorldTestCase):
    def test_five_failures_lock_the_account_even_for_the_right_password(self) -> None:
        for _ in range(5):
            login(self.client, "qingshi_tb", "Wrong#Password1")
        response = self.client.post("/login/", {"username": "qingshi_tb", "password": demo_password()})
        self.assertEqual(response.status_code, 403)
        self.assertIn("已被锁定 30 分钟", response.content.decode())
        self.assertTrue(ChangeLog.objects.filter(action="lockout", actor_username="qingshi_tb").exists())

    def test_four_failures_do_not_lock(self) -> None:
        for _ in range(4):
            login(self.client, "qingshi_tb", "Wrong#Password1")
        self.assertEqual(login(self.client, "qingshi_tb", demo_password()), 302)

    def test_lockout_counts_the_username_whatever_its_case(self) -> None:
        for name in ("qingshi_tb", "QINGSHI_TB", "Qingshi_tb", "qingshi_TB", "qingshi_tb"):
            login(self.client, name, "Wrong#Password1")
        self.assertEqual(login(self.client, "qingshi_tb", demo_password()), 403)

    def test_the_lock_lifts_after_thirty_minutes(self) -> None:
        for _ in range(5):
            login(self.client, "qingshi_tb", "Wrong#Password1")
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
        self.assertEqual(login(self.client, "qingshi_tb", demo_password()), 302)

    def test_security_admin_unlocks_with_a_reason(self) -> None:
        for _ in range(5):
            login(self.client, "qingshi_tb", "Wrong#Password1")
        admin = self.client_for("security_admin")
        clerk = self.users["township_clerk"]
        listing = admin.get("/accounts/users/").content.decode()
        self.assertIn("已锁定", listing)
        no_reason = admin.post(f"/accounts/users/{clerk.pk}/unlock/", {"reason": " "}, follow=True)
        self.assertIn("解除锁定必须填写原因", no_reason.content.decode())
        self.assertEqual(login(Client(HTTP_HOST="127.0.0.1"), "qingshi_tb", demo_password()), 403)
        admin.post(f"/accounts/users/{clerk.pk}/unlock/", {"reason": "本人电话确认"})
        self.assertEqual(login(Client(HTTP_HOST="127.0.0.1"), "qingshi_tb", demo_password()), 302)
        row = ChangeLog.objects.get(action="unlock")
        self.assertEqual((row.actor_username, row.object_id, row.reason), ("anquan", str(clerk.pk), "本人电话确认"))


class IdleTimeoutTests(WorldTestCase):
    def test_session_idle_limit_is_thirty_minutes_and_renewed_by_activity(self) -> None:
        self.assertEqual(settings.SESSION_COOKIE_AGE, 30 * 60)
        self.assertIn("kaohe.accounts.middleware.SessionRenewalMiddleware", settings.MIDDLEWARE)
        sessions = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
        self.assertGreater(settings.MIDDLEWARE.index("kaohe.accounts.middleware.SessionRenewalMiddleware"), sessions)

    def test_a_request_after_thirty_idle_minutes_goes_to_login(self) -> None:
        login(self.client, "qingshi_tb", demo_password())
        self.assertEqual(self.client.get("/").status_code, 200)
        # Thirty-one minutes of silence: the session row has expired.
        Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
        response = self.client.get("/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/login/"))

    def test_activity_pushes_the_expiry_forward_once_a_minute(self) -> None:
        login(self.client, "qingshi_tb", demo_password())
        soon = timezone.now() + timedelta(minutes=1)
        Session.objects.update(expire_date=soon)
        # Renewed less than a minute ago (at the log-in): the request leaves the session row alone.
        self.client.get("/")
        self.assertEqual(Session.objects.get().expire_date, soon)
        # A minute or more since the last renewal: the expiry moves 30 minutes ahead of this request.
        store = SessionStore(session_key=self.client.session.session_key)
        store[RENEWED] -= RENEW_EVERY_SECONDS
        store.save()
        Session.objects.update(expire_date=soon)
        self.client.get("/")
        self.assertGreater(Session.objects.get().expire_date, timezone.now() + timedelta(minutes=29))

    def test_a_request_without_a_session_writes_none(self) -> None:
        self.client.get("/login/")
        self.assertEqual(Session.objects.count(), 0)


class ExpiredPostTests(WorldTestCase):
    """A form posted after the session expired: back to the form's page after logging in, never to the address
    it posted to (which answers GET with 405), and nothing written."""

    FORM = f"/data/qingshi/{DEMO_YEAR}/{DEMO_MONTH}/"

    def test_a_post_without_a_session_returns_to_the_page_of_the_form(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        response = client.post(
            self.FORM + "save/", {"amount-dwzj": "1"}, HTTP_REFERER=f"http://127.0.0.1{self.FORM}?x=1"
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/login/?" + urlencode({"next": self.FORM + "?x=1", "expired": "1"}))
        page = client.get(response["Location"]).content.decode()
        self.assertIn("登录已超时，请重新登录", page)
        self.assertIn(f'name="next" value="{self.FORM}?x=1"', page)
        landed = client.post(response["Location"], {"username": "qingshi_tb", "password": demo_password()})
        self.assertEqual(landed["Location"], self.FORM + "?x=1")

    def test_another_site_s_referer_or_none_goes_home(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        for referer in ("https://evil.example/data/", ""):
            response = client.post(self.FORM + "save/", {}, HTTP_REFERER=referer)
            self.assertEqual(response["Location"], "/login/?next=%2F&expired=1", referer)

    def test_a_get_keeps_django_s_own_next(self) -> None:
        response = Client(HTTP_HOST="127.0.0.1").get(self.FORM)
        self.assertEqual(response["Location"], f"/login/?next={self.FORM}")


class SessionRenewTests(WorldTestCase):
    def test_renewal_saves_a_fresh_expiry_and_says_how_long_is_left(self) -> None:
        client = self.client_for("township_clerk")
        response = client.post("/accounts/session/renew/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"seconds": settings.SESSION_COOKIE_AGE})
        self.assertEqual(client.get("/accounts/session/renew/").status_code, 405)
        anonymous = Client(HTTP_HOST="127.0.0.1").post("/accounts/session/renew/")
        self.assertEqual(anonymous.status_code, 302)
