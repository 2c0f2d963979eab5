"""Lockout by name and by address (SECURITY.md IA-4; issue 36): a name locks after 5 failures from anywhere, an
address after 20 failures at any names, and the three separated admins only at the address that guesses at them,
so nobody elsewhere can lock the security admin out."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import Client, RequestFactory, SimpleTestCase, override_settings

from kaohe.core.clients import client_address
from kaohe.core.models import ChangeLog
from kaohe.demo.services import demo_password
from kaohe.test import WorldTestCase

WRONG = "Wrong#Password1"
GUESSER = "203.0.113.7"  # documentation addresses (RFC 5737): strings in the test client, never network traffic
DESK = "198.51.100.20"


def attempt(address: str, name: str, password: str) -> tuple[int, str]:
    response = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address).post(
        "/login/", {"username": name, "password": password}
    )
    return response.status_code, response.content.decode()


class NameLockTests(WorldTestCase):
    def test_ia4_a_locked_name_stays_locked_from_every_address(self) -> None:
        for _ in range(5):
            attempt(GUESSER, "qingshi_tb", WRONG)
        self.assertEqual(attempt(DESK, "qingshi_tb", demo_password())[0], 403)

    def test_ia4_a_log_in_clears_its_own_name_but_not_the_guesses_at_others(self) -> None:
        for _ in range(4):
            attempt(GUESSER, "qingshi_tb", WRONG)
        self.assertEqual(attempt(GUESSER, "donghu_tb", demo_password())[0], 302)  # the guesser's own account
        attempt(GUESSER, "qingshi_tb", WRONG)  # the fifth guess still locks
        self.assertEqual(attempt(DESK, "qingshi_tb", demo_password())[0], 403)

    def test_ia4_the_owner_s_log_in_clears_his_own_failures(self) -> None:
        for _ in range(4):
            attempt(GUESSER, "qingshi_tb", WRONG)
        self.assertEqual(attempt(DESK, "qingshi_tb", demo_password())[0], 302)
        for _ in range(4):
            attempt(GUESSER, "qingshi_tb", WRONG)
        self.assertEqual(attempt(DESK, "qingshi_tb", demo_password())[0], 302)


class SeparatedAdminLockTests(WorldTestCase):
    def test_ia4_the_security_admin_logs_in_from_another_address_while_his_name_is_guessed(self) -> None:
        for _ in range(12):
            attempt(GUESSER, "anquan", WRONG)
        self.assertEqual(attempt(GUESSER, "anquan", demo_password())[0], 403)  # the guessing address is locked
        self.assertEqual(attempt(DESK, "anquan", demo_password())[0], 302)  # his own desk is not

    def test_ia4_other_spellings_of_the_admin_s_name_are_locked_at_the_guessing_address_too(self) -> None:
        for name in ("anquan", "ANQUAN", "ａｎｑｕａｎ", "Anquan", "anquan"):
            attempt(GUESSER, name, WRONG)
        self.assertEqual(attempt(GUESSER, "anquan", demo_password())[0], 403)
        self.assertEqual(attempt(DESK, "ＡＮＱＵＡＮ", demo_password())[0], 302)

    def test_ia4_an_ordinary_name_is_still_locked_everywhere(self) -> None:
        for _ in range(5):
            attempt(GUESSER, "shenhe", WRONG)
        self.assertEqual(attempt(DESK, "shenhe", demo_password())[0], 403)


class AddressLockTests(WorldTestCase):
    def spray(self, count: int) -> None:
        for n in range(count):
            attempt(GUESSER, f"guess{n}", WRONG)

    def test_ia4_twenty_failures_at_any_names_pause_the_address(self) -> None:
        self.spray(19)
        self.assertEqual(attempt(GUESSER, "qingshi_tb", demo_password())[0], 302)
        self.spray(1)
        status, page = attempt(GUESSER, "donghu_tb", demo_password())
        self.assertEqual(status, 403)
        self.assertIn("本机所在地址登录失败次数过多（20 次）", page)
        self.assertEqual(attempt(DESK, "donghu_tb", demo_password())[0], 302)

    def test_the_security_admin_lifts_an_address_pause_with_a_reason(self) -> None:
        self.spray(20)
        admin = self.client_for("security_admin")
        listing = admin.get("/accounts/users/").content.decode()
        self.assertIn(f'data-address="{GUESSER}"', listing)
        refused = admin.post("/accounts/addresses/unlock/", {"address": GUESSER, "reason": ""}, follow=True)
        self.assertIn("解除锁定必须填写原因", refused.content.decode())
        self.assertEqual(attempt(GUESSER, "donghu_tb", demo_password())[0], 403)
        admin.post("/accounts/addresses/unlock/", {"address": GUESSER, "reason": "乡镇办公室网络，已核实"})
        self.assertEqual(attempt(GUESSER, "donghu_tb", demo_password())[0], 302)
        row = ChangeLog.objects.get(action="unlock", object_type="accounts.address")
        self.assertEqual((row.actor_username, row.object_id), ("anquan", GUESSER))
        self.assertNotIn(f'data-address="{GUESSER}"', admin.get("/accounts/users/").content.decode())

    def test_an_address_unlock_refuses_what_is_not_an_address(self) -> None:
        admin = self.client_for("security_admin")
        page = admin.post("/accounts/addresses/unlock/", {"address": "x'; --", "reason": "试"}, follow=True)
        self.assertIn("地址格式不正确", page.content.decode())
        self.assertFalse(ChangeLog.objects.filter(action="unlock").exists())


class ClientAddressTests(SimpleTestCase):
    def request(self, forwarded: str | None) -> HttpRequest:
        request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
        if forwarded is not None:
            request.META["HTTP_X_FORWARDED_FOR"] = forwarded
        return request

    def test_without_a_proxy_the_connection_is_the_client(self) -> None:
        self.assertEqual(client_address(self.request(f"{GUESSER}, {DESK}")), "192.0.2.1")

    @override_settings(KAOHE_PROXY_COUNT=1)
    def test_behind_one_proxy_the_last_forwarded_hop_is_the_client(self) -> None:
        # Whatever the client wrote itself (the first entry) is not trusted.
        self.assertEqual(client_address(self.request(f"{GUESSER}, {DESK}")), DESK)

    @override_settings(KAOHE_PROXY_COUNT=2)
    def test_behind_two_proxies_the_second_from_the_right(self) -> None:
        self.assertEqual(client_address(self.request(f"1.1.1.1, {GUESSER}, {DESK}")), GUESSER)

    @override_settings(KAOHE_PROXY_COUNT=1)
    def test_a_missing_or_garbled_header_falls_back_to_the_connection(self) -> None:
        for forwarded in (None, "", "not-an-address"):
            self.assertEqual(client_address(self.request(forwarded)), "192.0.2.1")
