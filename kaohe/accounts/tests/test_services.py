from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.test import WorldTestCase

GOOD_PASSWORD = "Qingshi#2026ok"


class UserCreateTests(WorldTestCase):
    def test_it_creates_a_township_clerk_and_logs_it(self) -> None:
        admin = self.users[Role.SECURITY_ADMIN]
        user = services.user_create(
            username="baisha_tb2",
            password=GOOD_PASSWORD,
            role=Role.TOWNSHIP_CLERK,
            unit_id=self.other_unit.pk,
            by=admin,
        )
        self.assertTrue(user.check_password(GOOD_PASSWORD))
        self.assertTrue(user.password.startswith("md5$") or user.password.startswith("argon2"))
        row = ChangeLog.objects.get(action="create", object_id=str(user.pk), object_type="accounts.user")
        self.assertEqual(row.actor_username, "anquan")
        self.assertEqual(row.after["unit"], self.other_unit.pk)  # type: ignore[index]
        self.assertNotIn("password", row.after or {})

    def test_usernames_are_unique_regardless_of_case(self) -> None:
        with self.assertRaises(ApplicationError):
            services.user_create(username="QINGSHI_TB", password=GOOD_PASSWORD, role=Role.DISTRICT_LEADER, by=None)
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.create(username="QingShi_Tb", role=Role.DISTRICT_LEADER)

    def test_a_township_role_needs_a_township(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            services.user_create(username="x_tb", password=GOOD_PASSWORD, role=Role.TOWNSHIP_CLERK, by=None)
        self.assertIn("乡镇用户必须指定所属乡镇", str(caught.exception))

    def test_a_department_officer_needs_a_department(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            services.user_create(username="x_bm", password=GOOD_PASSWORD, role=Role.DEPT_OFFICER, by=None)
        self.assertIn("部门数据员必须指定所属部门", str(caught.exception))

    def test_a_district_role_cannot_be_scoped_to_a_township(self) -> None:
        with self.assertRaises(ValidationError):
            services.user_create(
                username="x_ld", password=GOOD_PASSWORD, role=Role.DISTRICT_LEADER, unit_id=self.own_unit.pk, by=None
            )

    def test_weak_passwords_are_refused_in_chinese(self) -> None:
        # too short; one class; digits only; too similar to the username
        for weak in ("short1A!", "alllowercaseletters", "1234567890123", "zhangsan_ld1"):
            with self.subTest(weak=weak), self.assertRaises(ValidationError):
                services.user_create(username="zhangsan_ld", password=weak, role=Role.DISTRICT_LEADER, by=None)
        with self.assertRaises(ValidationError) as caught:
            services.user_create(username="y_ld", password="abcdefghijkl", role=Role.DISTRICT_LEADER, by=None)
        self.assertIn("至少三类", " ".join(caught.exception.messages))
        self.assertFalse(User.objects.filter(username="y_ld").exists())


class UserUpdateTests(WorldTestCase):
    def test_it_records_before_and_after(self) -> None:
        admin = self.users[Role.SECURITY_ADMIN]
        leader = self.users[Role.DISTRICT_LEADER]
        services.user_update(user=leader, by=admin, data={"is_active": False}, reason="调离")
        row = ChangeLog.objects.get(action="update", object_id=str(leader.pk), reason="调离")
        self.assertEqual((row.before["is_active"], row.after["is_active"]), (True, False))  # type: ignore[index]
        self.assertEqual(row.reason, "调离")

    def test_security_admin_creates_an_account_through_the_form(self) -> None:
        client = self.client_for(Role.SECURITY_ADMIN)
        response = client.post(
            "/accounts/users/new/",
            {"username": "baisha_sj", "full_name": "钱进", "role": "township_leader", "unit": self.other_unit.pk,
             "password": GOOD_PASSWORD, "is_active": "on"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        self.assertEqual(User.objects.get(username="baisha_sj").unit, self.other_unit)

    def test_the_form_shows_the_scope_error_instead_of_saving(self) -> None:
        client = self.client_for(Role.SECURITY_ADMIN)
        response = client.post(
            "/accounts/users/new/",
            {"username": "nobody_tb", "role": "township_clerk", "password": GOOD_PASSWORD, "is_active": "on"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("乡镇用户必须指定所属乡镇", response.content.decode())
        self.assertFalse(User.objects.filter(username="nobody_tb").exists())
