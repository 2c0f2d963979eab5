"""No self-escalation (SECURITY.md AC-5, AC-6): the security admin cannot change his own role, give an account
one of the three admin roles, or reset an admin's password from the web; each attempt is refused and logged."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.demo.services import demo_password
from kaohe.test import WorldTestCase

NEW_PASSWORD = "Reset#2026Strong"


class EscalationTests(WorldTestCase):
    def setUp(self) -> None:
        self.security = self.users[Role.SECURITY_ADMIN]
        self.client = self.client_for(Role.SECURITY_ADMIN)

    def post_edit(self, user: User, **changes: object) -> str:
        data = {
            "username": user.username, "full_name": user.full_name, "role": user.role,
            "unit": user.unit_id or "", "department": user.department_id or "", "is_active": "on", **changes,
        }  # fmt: skip
        return self.client.post(f"/accounts/users/{user.pk}/", data).content.decode()

    def refusals(self) -> list[str]:
        return list(ChangeLog.objects.filter(action=ChangeAction.REFUSED).values_list("reason", flat=True))

    def test_ac6_the_security_admin_cannot_change_his_own_role(self) -> None:
        page = self.post_edit(self.security, role=Role.DISTRICT_ADMIN)
        self.assertIn(services.OWN_ACCOUNT, page)
        self.assertEqual(User.objects.get(pk=self.security.pk).role, Role.SECURITY_ADMIN)
        self.assertEqual(self.refusals(), [services.OWN_ACCOUNT])
        row = ChangeLog.objects.get(action=ChangeAction.REFUSED)
        self.assertEqual((row.actor_username, row.object_id), ("anquan", str(self.security.pk)))

    def test_ac6_nobody_changes_his_own_scope_or_active_flag(self) -> None:
        admin = self.users[Role.DISTRICT_ADMIN]
        with self.assertRaisesMessage(ApplicationError, services.OWN_ACCOUNT):
            services.user_update(user=admin, by=admin, data={"is_active": False})
        clerk = self.users[Role.TOWNSHIP_CLERK]
        with self.assertRaisesMessage(ApplicationError, services.OWN_ACCOUNT):
            services.user_update(user=clerk, by=clerk, data={"unit": self.other_unit})
        self.assertEqual(User.objects.get(pk=clerk.pk).unit_id, self.own_unit.pk)
        # His own name he may change.
        services.user_update(user=clerk, by=clerk, data={"full_name": "王芳芳"})
        self.assertEqual(User.objects.get(pk=clerk.pk).full_name, "王芳芳")

    def test_ac5_the_web_never_gives_an_admin_role(self) -> None:
        form = self.client.get("/accounts/users/new/").content.decode()
        for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
            self.assertNotIn(f'value="{role}"', form)
        self.client.post("/accounts/users/new/", {"username": "anquan3", "full_name": "x", "role": Role.SECURITY_ADMIN,
                                                  "password": NEW_PASSWORD, "is_active": "on"})  # fmt: skip
        self.assertFalse(User.objects.filter(username="anquan3").exists())
        with self.assertRaisesMessage(ApplicationError, services.SERVER_ONLY):
            services.user_create(username="anquan3", password=NEW_PASSWORD, role=Role.AUDIT_ADMIN, by=self.security)
        clerk = self.users[Role.TOWNSHIP_CLERK]
        page = self.post_edit(clerk, role=Role.AUDIT_ADMIN, unit="")
        self.assertEqual(User.objects.get(pk=clerk.pk).role, Role.TOWNSHIP_CLERK)
        self.assertNotIn("已保存账号", page)
        self.assertEqual(self.refusals(), [services.SERVER_ONLY])  # the web form never offered it: one service refusal

    def test_ac5_the_web_cannot_reset_an_admin_s_password_or_re_role_him(self) -> None:
        auditor = self.users[Role.AUDIT_ADMIN]
        page = self.post_edit(auditor, password=NEW_PASSWORD)
        self.assertIn(services.SERVER_ONLY, page)
        self.assertTrue(check_password(demo_password(), User.objects.get(pk=auditor.pk).password))
        with self.assertRaisesMessage(ApplicationError, services.SERVER_ONLY):
            services.user_update(user=auditor, by=self.security, data={"role": Role.DISTRICT_ADMIN})
        self.assertEqual(self.refusals(), [services.SERVER_ONLY, services.SERVER_ONLY])
        # A business account's password the security admin still resets from the web.
        clerk = self.users[Role.TOWNSHIP_CLERK]
        self.post_edit(clerk, password=NEW_PASSWORD)
        self.assertTrue(check_password(NEW_PASSWORD, User.objects.get(pk=clerk.pk).password))
