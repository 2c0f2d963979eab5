"""The org pages' forms: every refusal a Chinese message on the page, every change through the services."""

from __future__ import annotations

from typing import ClassVar

from django.test import Client, TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory


class OrgFormTests(TestCase):
    admin: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)

    def setUp(self) -> None:
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.client.force_login(self.admin)

    def test_a_village_cannot_be_created_under_the_district(self) -> None:
        district = Unit.objects.get(kind="district")
        data = {"code": "cun1", "name": "孤村", "kind": "village", "parent": district.pk, "sort_order": 0}
        response = self.client.post(reverse("org:unit_create"), data)
        self.assertContains(response, "村（社区）的上级单位类型不正确。", status_code=400)
        self.assertFalse(Unit.objects.filter(code="cun1").exists())

    def test_an_edit_without_a_reason_is_refused_and_changes_nothing(self) -> None:
        town = UnitFactory.create(name="甲镇")
        data = {"name": "乙镇", "kind": "town", "parent": town.parent_id, "sort_order": 1, "reason": ""}
        response = self.client.post(reverse("org:unit_edit", args=[town.code]), data)
        self.assertContains(response, "请填写原因。", status_code=400)
        town.refresh_from_db()
        self.assertEqual(town.name, "甲镇")

    def test_a_unit_with_data_is_not_deleted_and_the_page_says_why(self) -> None:
        town = UnitFactory.create(name="有账号镇")
        UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=town)
        response = self.client.post(reverse("org:unit_delete", args=[town.code]), {"reason": "误建"}, follow=True)
        self.assertContains(response, "有账号镇已有数据（下级单位、报送、目标、加扣分或账号），不能删除")
        self.assertTrue(Unit.objects.filter(pk=town.pk).exists())

    def test_a_department_is_created_and_renamed_with_a_reason(self) -> None:
        response = self.client.post(
            reverse("org:department_create"), {"code": "cs-shangwu", "name": "区测试商务局", "sort_order": 3}
        )
        self.assertRedirects(response, reverse("org:tree"))
        self.client.post(
            reverse("org:department_edit", args=["cs-shangwu"]),
            {"name": "区测试投资促进局", "short_name": "商务局", "sort_order": 3, "reason": "机构改革"},
        )
        department = Department.objects.get(code="cs-shangwu")
        self.assertEqual((department.name, department.short_name), ("区测试投资促进局", "商务局"))
        log = ChangeLog.objects.filter(object_type="org.department", action="update").latest("id")
        self.assertEqual((log.before, log.reason), ({"name": "区测试商务局", "short_name": ""}, "机构改革"))

    def test_an_unknown_department_answers_404_and_a_known_name_is_refused(self) -> None:
        self.assertEqual(self.client.get(reverse("org:department_edit", args=["none-such"])).status_code, 404)
        taken = DepartmentFactory.create(name="区测试局")
        response = self.client.post(
            reverse("org:department_create"), {"code": "cz2", "name": taken.name, "sort_order": 0}
        )
        self.assertContains(response, "已存在", status_code=400)
