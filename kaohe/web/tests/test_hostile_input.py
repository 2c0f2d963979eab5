"""Hostile values never end in a 500: NUL and control characters, over-long values, and a database gone away."""

from __future__ import annotations

import random
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse

from kaohe.core.choices import ChangeAction
from kaohe.core.models import ChangeLog
from kaohe.schemes.models import Scheme
from kaohe.test import ALL_ROLES, DEMO_MONTH, DEMO_YEAR, OWN_UNIT, WorldTestCase
from kaohe.web.tests.test_routes import iter_patterns, sample_kwargs

REFUSED = "请求无效"


class HostilePathsAndQueries(WorldTestCase):
    def test_nul_and_control_characters_in_a_path_are_a_chinese_400(self) -> None:
        client = self.client_for("district_admin")
        for path in (
            f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/%00/",
            f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/{OWN_UNIT}%00/",
            "/org/units/%00/",
            "/org/units/qing%01shi/",
            "/schemes/%00/",
            "/org/units/a%7Fb/",
        ):
            with self.subTest(path=path):
                response = client.get(path)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, REFUSED, status_code=400)

    def test_nul_in_the_audit_logs_filter_is_a_400(self) -> None:
        client = self.client_for("audit_admin")
        for query in ("user=%00", "action=%00", "page=%00", "user=a%00b&action=login"):
            with self.subTest(query=query):
                self.assertEqual(client.get(f"/manage/audit/?{query}").status_code, 400)
        self.assertEqual(client.get("/manage/audit/?user=admin").status_code, 200)

    def test_an_over_long_query_value_is_a_400_and_a_long_path_too(self) -> None:
        client = self.client_for("audit_admin")
        self.assertEqual(client.get("/manage/audit/?user=" + "a" * 1001).status_code, 400)
        self.assertEqual(client.get("/manage/audit/?user=" + "a" * 1000).status_code, 200)
        self.assertEqual(client.get("/org/units/" + "a" * 3000 + "/").status_code, 400)

    def test_nul_in_a_posted_form_field_is_a_400_and_nothing_is_written(self) -> None:
        client = self.client_for("district_admin")
        before = ChangeLog.objects.count()
        response = client.post(reverse("schemes:create"), {"year": "2050", "name": "方案\x00"})
        self.assertContains(response, REFUSED, status_code=400)
        self.assertFalse(Scheme.objects.filter(year=2050).exists())
        self.assertEqual(ChangeLog.objects.count(), before)

    def test_a_line_break_in_a_form_field_still_goes_through(self) -> None:
        response = self.client_for("district_admin").post(reverse("schemes:create"), {"year": "2050", "name": "a\nb"})
        self.assertNotEqual(response.status_code, 400)


class HostileLogins(WorldTestCase):
    def login(self, username: str) -> Any:
        return Client(HTTP_HOST="127.0.0.1").post(reverse("login"), {"username": username, "password": "x"})

    def last_failure(self) -> ChangeLog:
        return ChangeLog.objects.filter(action=ChangeAction.LOGIN_FAILED).latest("id")

    def test_a_nul_in_the_login_name_is_a_chinese_form_error_and_is_audited(self) -> None:
        response = self.login("adm\x00in")
        self.assertContains(response, "用户名不能含控制字符。")
        self.assertEqual(self.last_failure().actor_username, "adm\ufffdin")

    def test_a_control_character_in_the_login_name_is_refused_and_audited(self) -> None:
        response = self.login("adm\x1bin")
        self.assertContains(response, "用户名不能含控制字符。")
        self.assertEqual(self.last_failure().actor_username, "adm\ufffdin")

    def test_a_100000_character_login_name_is_a_chinese_form_error_and_is_audited(self) -> None:
        response = self.login("a" * 100_000)
        self.assertContains(response, "用户名最多 150 个字符。")
        self.assertEqual(self.last_failure().actor_username, "a" * 150)

    def test_a_wrong_password_is_still_the_one_message(self) -> None:
        response = self.login("nobody")
        self.assertContains(response, "用户名或密码不正确。")
        self.assertEqual(self.last_failure().actor_username, "nobody")


def _unreachable(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """The same PostgreSQL settings, pointed at a port where no database answers."""
    return {**settings_dict, "HOST": "127.0.0.1", "PORT": "1"}


def test_a_logged_in_page_answers_a_chinese_503_while_the_database_is_gone(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    """A real connection, closed under a logged-in session and unable to come back, then back again: no test
    transaction here, so the page meets the database as a server does."""
    from kaohe.accounts.choices import Role
    from kaohe.accounts.models import User

    with django_db_blocker.unblock():
        # Its own account, removed after: this test commits, and must neither need nor leave anything behind.
        user = User.objects.create_user(username="db_gone_probe", password="x", role=Role.DISTRICT_LEADER)
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(user)
        try:
            assert client.get("/").status_code == 200
            saved = connection.settings_dict
            connection.close()
            connection.settings_dict = _unreachable(saved)
            try:
                response = client.get("/")
            finally:
                connection.close()
                connection.settings_dict = saved
            assert response.status_code == 503
            page = response.content.decode()
            assert "系统暂时无法访问" in page and "数据库暂时无法连接" in page
            assert response["Retry-After"] == "30"
            # The database is back: the very next request works, with no restart.
            assert client.get("/").status_code == 200
        finally:
            client.logout()
            user.delete()
            connection.close()


# --- a bounded fuzz of every route ------------------------------------------------------------------------------

HOSTILE = [
    "\x00", "a\x00b", "\x1b[2J", "\x7f", "%", "%00", "'", '"><script>alert(1)</script>', "../../etc/passwd",
    "9" * 40, "-1", "0", "1e309", "NaN", "Infinity", "１２３", "🙂", " ", "", "x" * 5000, "null", "[]", "{}",
]  # fmt: skip
# Path parameters of the <int:…> kind accept digits only; these are the digits that could still hurt.
HOSTILE_INTS = ["0", "99999999999999999999", "2147483648", "9" * 400]
QUERY_KEYS = ["mode", "page", "sort", "order", "group", "k", "unit", "user", "action", "month", "q"]
FORM_KEYS = [
    "reason", "name", "code", "amount", "year", "month", "note", "points", "new_amount", "effective_month",
    "weight", "rule", "username", "password", "expected_version", "grade_rule", "kind", "unit", "decision_note",
]  # fmt: skip


SESSION_ENDING = {"logout"}  # it would log the fuzzing client out, and every later request would only redirect


class RouteFuzzTests(WorldTestCase):
    """A sample of every route × every role × the hostile values: path parameters, query strings and posted
    fields. Nothing answers 500; the sample is fixed (seeded) so a failure names a request that can be replayed."""

    def test_no_route_answers_500_to_hostile_values(self) -> None:
        rng = random.Random(21)
        clients = {role: self.client_for(role) for role in ALL_ROLES}
        for client in clients.values():
            client.raise_request_exception = False
        failures: list[str] = []
        sent = 0
        # Every route's sample objects first: a hostile post that happens to be valid (a scheme returned for
        # revision, say) must not keep a later route from having its samples.
        routes = [(name, pattern, sample_kwargs(self, pattern, "own")) for name, pattern in iter_patterns()]
        for name, pattern, base in routes:
            if name in SESSION_ENDING:
                continue
            params = list(pattern.pattern.regex.groupindex)
            converters = pattern.pattern.converters
            for role, client in clients.items():
                requests: list[tuple[str, str, dict[str, str] | None]] = []
                for param in params:
                    is_int = type(converters[param]).__name__ == "IntConverter"
                    value = rng.choice(HOSTILE_INTS if is_int else HOSTILE)
                    if not is_int and ("/" in value or not value):
                        value = "a\x00b"
                    kwargs = {**base, param: value}
                    try:
                        path = reverse(name, kwargs=kwargs)
                    except Exception:
                        continue
                    requests.append(("get", path, None))
                url = reverse(name, kwargs=base)
                query = {key: rng.choice(HOSTILE) for key in rng.sample(QUERY_KEYS, 3)}
                requests.append(("get", url, query))
                requests.append(("post", url, {key: rng.choice(HOSTILE) for key in rng.sample(FORM_KEYS, 5)}))
                for method, path, data in requests:
                    response = getattr(client, method)(path, data) if data is not None else client.get(path)
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"{role} {method.upper()} {path!r} {data!r} → {response.status_code}")
        self.assertEqual(failures, [])
        self.assertGreater(sent, 1000)
