from __future__ import annotations

import pytest
from django.test import Client

from kaohe.test import WorldTestCase


@pytest.mark.smoke
class HealthTests(WorldTestCase):
    def test_healthz_answers_json_without_login(self) -> None:
        response = Client(HTTP_HOST="127.0.0.1").get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "ok")
        self.assertIn(response.json()["database"], {"postgresql", "sqlite"})

    def test_healthz_reports_a_dead_database_as_503(self) -> None:
        from unittest import mock

        from django.db.utils import OperationalError

        with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
            response = Client(HTTP_HOST="127.0.0.1").get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"status": "error", "database": "unavailable"})


class SecurityHeaderTests(WorldTestCase):
    def test_pages_carry_csp_nosniff_frame_and_no_store(self) -> None:
        response = self.client_for("district_leader").get("/org/")
        self.assertIn("object-src 'none'", response["Content-Security-Policy"])
        self.assertIn("frame-ancestors 'none'", response["Content-Security-Policy"])
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_state_changes_need_a_csrf_token(self) -> None:
        client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
        response = client.post("/login/", {"username": "qingshi_tb", "password": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("页面已过期", response.content.decode())

    def test_logout_refuses_get(self) -> None:
        self.assertEqual(self.client_for("district_leader").get("/logout/").status_code, 405)


class HomePageTests(WorldTestCase):
    def test_each_role_sees_its_own_home(self) -> None:
        clerk = self.client_for("township_clerk").get("/").content.decode()
        self.assertIn("青石镇", clerk)
        self.assertNotIn("白沙镇", clerk)
        leader = self.client_for("district_leader").get("/").content.decode()
        self.assertIn('data-testid="assessed-count">14<', leader)
        auditor = self.client_for("audit_admin").get("/").content.decode()
        self.assertIn("三员分立", auditor)
        self.assertIn("审计日志", auditor)
        self.assertNotIn("组织机构", auditor)

    def test_org_tree_of_a_township_user_shows_only_his_township(self) -> None:
        html = self.client_for("township_leader").get("/org/").content.decode()
        self.assertIn('data-unit="qingshi"', html)
        self.assertIn('data-unit="qingshi-01"', html)
        self.assertNotIn('data-unit="baisha"', html)
        self.assertNotIn('data-unit="yunxi"', html)

    def test_org_tree_of_the_district_shows_every_township(self) -> None:
        html = self.client_for("district_admin").get("/org/").content.decode()
        for code in ("yunxi", "qingshi", "baisha", "nanyuan", "chengguan-02"):
            self.assertIn(f'data-unit="{code}"', html)
        self.assertIn("工业主导型", html)
        self.assertIn("区统计局", html)
