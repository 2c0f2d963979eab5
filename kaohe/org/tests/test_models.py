from __future__ import annotations

from django.core.exceptions import ValidationError

from kaohe.org.choices import UnitKind
from kaohe.org.models import Unit
from kaohe.test import WorldTestCase


class UnitTreeTests(WorldTestCase):
    def test_demo_has_ten_towns_and_four_streets_in_two_groups(self) -> None:
        assessed = Unit.objects.assessed()
        self.assertEqual(assessed.filter(kind=UnitKind.TOWN).count(), 10)
        self.assertEqual(assessed.filter(kind=UnitKind.STREET).count(), 4)
        self.assertEqual(set(assessed.values_list("group__code", flat=True)), {"industry", "service"})

    def test_it_refuses_a_township_without_a_district_parent(self) -> None:
        unit = Unit(code="x1", name="孤立镇", kind=UnitKind.TOWN)
        with self.assertRaises(ValidationError) as caught:
            unit.full_clean()
        self.assertIn("上级单位类型不正确", str(caught.exception))

    def test_it_refuses_a_village_in_a_group(self) -> None:
        village = Unit.objects.filter(kind=UnitKind.VILLAGE).first()
        assert village is not None
        village.group = self.own_unit.group
        with self.assertRaises(ValidationError) as caught:
            village.full_clean()
        self.assertIn("只有乡镇、街道可以加入考核分组", str(caught.exception))

    def test_it_refuses_a_malformed_code(self) -> None:
        district = Unit.objects.get(kind=UnitKind.DISTRICT)
        unit = Unit(code="青石 镇", name="新镇", kind=UnitKind.TOWN, parent=district)
        with self.assertRaises(ValidationError) as caught:
            unit.full_clean()
        self.assertIn("编码只能包含字母、数字", str(caught.exception))


class VisibleToTests(WorldTestCase):
    def test_township_user_sees_own_township_and_its_villages_only(self) -> None:
        for role in ("township_clerk", "township_leader"):
            codes = set(Unit.objects.visible_to(self.users[role]).values_list("code", flat=True))
            self.assertEqual(codes, {"qingshi", "qingshi-01", "qingshi-02", "qingshi-03"})

    def test_district_roles_see_the_whole_tree(self) -> None:
        total = Unit.objects.count()
        for role in ("district_admin", "dept_officer", "district_reviewer", "district_leader", "supervisor"):
            self.assertEqual(Unit.objects.visible_to(self.users[role]).count(), total)

    def test_separated_admins_see_no_business_units(self) -> None:
        for role in ("system_admin", "security_admin", "audit_admin"):
            self.assertEqual(Unit.objects.visible_to(self.users[role]).count(), 0)
