"""Rate limits (SECURITY.md IV-8; issue 36): log-in posts per client address and exports per user answer a
Chinese 429 past the configured number, and the count is one across all server processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

from django.core.cache import caches
from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, override_settings

from kaohe import serving
from kaohe.core.models import ChangeLog
from kaohe.core.ratelimit import Rate, hit, window_left
from kaohe.demo.services import demo_password
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

LIMITS = {"login": (3, 60), "export": (2, 60)}
NOW = 1_800_000_030.0  # the in-process tests count on a fixed clock, 30 seconds into a window
WRONG = "Wrong#Password1"
GUESSER = "203.0.113.7"  # documentation addresses (RFC 5737): strings in the test client, never network traffic
DESK = "198.51.100.20"
EXPORT = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/export.xlsx"


def post_login(address: str, name: str, password: str) -> object:
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address)
    return client.post("/login/", {"username": name, "password": password})


class FixedClockTestCase(WorldTestCase):
    def setUp(self) -> None:
        caches["shared"].clear()
        clock = mock.patch("kaohe.core.ratelimit.clock", return_value=NOW)
        clock.start()
        self.addCleanup(clock.stop)


@override_settings(KAOHE_RATE_LIMITS=LIMITS)
class LoginRateTests(FixedClockTestCase):
    def test_iv8_log_in_posts_past_the_limit_answer_a_chinese_429(self) -> None:
        for _ in range(3):
            self.assertEqual(post_login(GUESSER, "qingshi_tb", WRONG).status_code, 200)  # type: ignore[attr-defined]
        refused = post_login(GUESSER, "qingshi_tb", demo_password())
        self.assertEqual(refused.status_code, 429)  # type: ignore[attr-defined]
        page = refused.content.decode()  # type: ignore[attr-defined]
        self.assertIn("操作过于频繁", page)
        self.assertIn("每 60 秒最多 3 次", page)
        self.assertEqual(refused["Retry-After"], "30")  # type: ignore[index]
        # The refused post never reached the log-in: the right password did not log in.
        self.assertFalse(ChangeLog.objects.filter(action="login").exists())

    def test_iv8_the_log_in_limit_counts_per_address(self) -> None:
        for _ in range(3):
            post_login(GUESSER, "qingshi_tb", WRONG)
        self.assertEqual(post_login(DESK, "donghu_tb", demo_password()).status_code, 302)  # type: ignore[attr-defined]

    def test_iv8_opening_the_log_in_page_is_not_counted(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=GUESSER)
        for _ in range(5):
            self.assertEqual(client.get("/login/").status_code, 200)
        self.assertEqual(post_login(GUESSER, "qingshi_tb", demo_password()).status_code, 302)  # type: ignore[attr-defined]


@override_settings(KAOHE_RATE_LIMITS=LIMITS)
class ExportRateTests(FixedClockTestCase):
    def test_iv8_exports_past_the_limit_answer_429_per_user(self) -> None:
        leader = self.client_for("district_leader")
        self.assertEqual([leader.get(EXPORT).status_code for _ in range(3)], [200, 200, 429])
        self.assertIn("操作过于频繁", leader.get(EXPORT).content.decode())
        self.assertEqual(ChangeLog.objects.filter(action="export").count(), 2)  # a refused export is no export
        self.assertEqual(self.client_for("district_admin").get(EXPORT).status_code, 200)

    def test_iv8_every_workbook_download_counts_against_the_same_export_limit(self) -> None:
        admin = self.client_for("district_admin")
        self.assertEqual(admin.get(EXPORT).status_code, 200)
        self.assertEqual(admin.get(f"/data/excel/targets/{DEMO_YEAR}/").status_code, 200)
        self.assertEqual(admin.get("/org/ledger/export.xlsx").status_code, 429)


class WindowTests(TestCase):
    def setUp(self) -> None:
        caches["shared"].clear()

    def test_a_window_holds_the_configured_number_and_the_next_one_starts_afresh(self) -> None:
        rate = Rate(2, 60)
        self.assertEqual([hit("t", "a", rate, now=120.0) for _ in range(3)], [True, True, False])
        self.assertTrue(hit("t", "b", rate, now=130.0))  # another client has his own count
        self.assertTrue(hit("t", "a", rate, now=180.0))

    def test_retry_after_is_what_is_left_of_the_window(self) -> None:
        self.assertEqual(window_left(Rate(2, 60), 125.0), 55)
        self.assertEqual(window_left(Rate(2, 60), 180.0), 60)


WINDOW = 3600


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _post_login(opener: urllib.request.OpenerDirector, base: str) -> int:
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the login form has a CSRF token"
    form = urllib.parse.urlencode({"username": "qingshi_tb", "password": WRONG, "csrfmiddlewaretoken": token.group(1)})
    request = urllib.request.Request(base + "/login/", data=form.encode(), headers={"Referer": base})
    try:
        return int(opener.open(request).status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


class TwoServerProcessesTests(TransactionTestCase):
    def test_iv8_two_server_processes_count_into_one_log_in_limit(self) -> None:
        """Two gunicorn servers on the suite's PostgreSQL database, the posts alternating between them: the fifth
        post is refused, though each server has seen only two or three. Counted per process, none would be."""
        caches["shared"].clear()
        db = connection.settings_dict
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
        var = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, var, True)
        env.update({
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "SECRET_KEY": "rate-limit-test-key-" + "0" * 40, "KAOHE_VAR_DIR": var,
            "LOGIN_RATE_LIMIT": f"4/{WINDOW}", "DJANGO_SETTINGS_MODULE": "kaohe.settings",
        })  # fmt: skip
        serving.kaohe(env, "collectstatic", "--noinput", "-v0")
        # The six posts must fall in one window: started near its end, wait for the next (once in 30 runs).
        left = window_left(Rate(4, WINDOW), time.time())
        if left < 120:
            time.sleep(left + 1)
        with serving.served(env) as first, serving.served(env) as second:
            openers = [(first, _opener()), (second, _opener())]
            statuses = []
            for n in range(6):
                base, opener = openers[n % 2]
                statuses.append(_post_login(opener, base))
        self.assertEqual(statuses, [200, 200, 200, 200, 429, 429])


class SharedCacheCheckTests(TestCase):
    def test_kaohe_check_warns_when_the_counts_would_not_be_shared(self) -> None:
        from kaohe.core.checks import rate_limit_cache_is_shared

        self.assertEqual(rate_limit_cache_is_shared(), [])  # the database cache: shared
        local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        with override_settings(CACHES={**local, "shared": local["default"]}):
            warnings = rate_limit_cache_is_shared()
        self.assertEqual([w.id for w in warnings], ["kaohe.W001"])
        self.assertIn("多个服务进程会各自计数", warnings[0].msg)
