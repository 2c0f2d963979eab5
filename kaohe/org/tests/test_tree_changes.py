"""Changing the tree during the year: units with data are only deactivated from a year on (their past stays),
never deleted; moves and renames are logged with a reason; users' scopes follow the tree."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment import selectors as boards
from kaohe.collection import services as collection
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org import services
from kaohe.org.choices import UnitKind
from kaohe.org.models import Unit
from kaohe.org.tests.factories import UnitFactory
from kaohe.schemes import services as schemes
from kaohe.schemes.models import Scheme
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase, world_scheme


class DeactivationTests(WorldTestCase):
    """On the demo district: its year is scored, and a township leaves the assessment from the next year."""

    def board(self, scheme: Scheme, month: int) -> list[tuple[str, Fraction]]:
        return [(row.code, row.result.total) for row in boards.scoreboard(scheme=scheme, month=month).rows]

    def test_deactivation_from_next_year_keeps_this_years_board_and_leaves_next_years(self) -> None:
        admin, baisha = self.users["district_admin"], self.other_unit
        this_year = Scheme.objects.official().get(year=DEMO_YEAR)
        before = self.board(this_year, DEMO_MONTH)
        self.assertIn(baisha.code, [code for code, _ in before])
        services.unit_deactivate(unit=baisha, from_year=DEMO_YEAR + 1, by=admin, reason="撤镇设街道，并入城关")
        self.assertEqual(self.board(this_year, DEMO_MONTH), before)
        next_year = world_scheme(DEMO_YEAR + 1, admin, publish=True)
        codes = [code for code, _ in self.board(next_year, 1)]
        self.assertNotIn(baisha.code, codes)
        self.assertEqual(len(codes), len(before) - 1)
        with self.assertRaisesMessage(ApplicationError, f"白沙镇自{DEMO_YEAR + 1}年起已停用，不再填报。"):
            collection.submission_open(scheme=next_year, unit=baisha, month=1, owner=None)
        log = ChangeLog.objects.filter(object_type="org.unit", object_id=str(baisha.pk)).latest("id")
        self.assertEqual((log.before, log.after), ({"inactive_from": None}, {"inactive_from": DEMO_YEAR + 1}))
        self.assertEqual((log.actor, log.reason), (admin, "撤镇设街道，并入城关"))

    def test_a_year_already_published_cannot_lose_a_township(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            services.unit_deactivate(
                unit=self.other_unit, from_year=DEMO_YEAR, by=self.users["district_admin"], reason="撤并"
            )
        self.assertEqual(
            caught.exception.message_dict["inactive_from"],
            [
                f"{DEMO_YEAR}年考核方案已发布，白沙镇仍在其中考核；"
                f"请从{DEMO_YEAR + 1}年起停用，或先将{DEMO_YEAR}年方案退回修改。"
            ],
        )
        self.other_unit.refresh_from_db()
        self.assertIsNone(self.other_unit.inactive_from)

    def test_deactivation_needs_a_reason_and_is_undone_by_reactivation(self) -> None:
        admin = self.users["district_admin"]
        with self.assertRaises(ValidationError) as caught:
            services.unit_deactivate(unit=self.other_unit, from_year=DEMO_YEAR + 1, by=admin, reason=" ")
        self.assertEqual(caught.exception.message_dict["reason"], ["请填写停用原因。"])
        services.unit_deactivate(unit=self.other_unit, from_year=DEMO_YEAR + 1, by=admin, reason="撤并")
        self.assertNotIn(self.other_unit, Unit.objects.assessed(DEMO_YEAR + 1))
        services.unit_reactivate(unit=self.other_unit, by=admin, reason="撤并方案取消")
        self.assertIn(self.other_unit, Unit.objects.assessed(DEMO_YEAR + 1))

    def test_a_deactivated_township_gets_no_target_in_its_years(self) -> None:
        admin = self.users["district_admin"]
        services.unit_deactivate(unit=self.other_unit, from_year=DEMO_YEAR + 1, by=admin, reason="撤并")
        draft = world_scheme(DEMO_YEAR + 1, admin, targets=False)
        with self.assertRaises(ValidationError) as caught:
            schemes.target_set(
                indicator=draft.indicators.get(code="ind0"), unit=self.other_unit, amount=Decimal(1), by=admin
            )
        self.assertEqual(caught.exception.message_dict["unit"], [f"白沙镇自{DEMO_YEAR + 1}年起已停用，不再下达目标。"])


class DeletionTests(WorldTestCase):
    def test_a_unit_with_figures_cannot_be_deleted(self) -> None:
        admin = self.users["district_admin"]
        with self.assertRaisesMessage(
            ApplicationError, "白沙镇已有数据（下级单位、报送、目标、加扣分或账号），不能删除"
        ):
            services.unit_delete(unit=self.other_unit, by=admin, reason="误建")
        self.assertTrue(Unit.objects.filter(pk=self.other_unit.pk).exists())

    def test_a_unit_created_by_mistake_is_deleted_with_a_logged_reason(self) -> None:
        admin = self.users["district_admin"]
        mistake = UnitFactory.create(name="误建镇")
        pk = mistake.pk
        services.unit_delete(unit=mistake, by=admin, reason="重复建立")
        self.assertFalse(Unit.objects.filter(pk=pk).exists())
        log = ChangeLog.objects.filter(object_type="org.unit", object_id=str(pk), action="delete").get()
        self.assertEqual((log.object_repr, log.before["name"], log.reason), ("误建镇", "误建镇", "重复建立"))  # type: ignore[index]


class MovesAndScopeTests(TestCase):
    def test_a_township_user_sees_a_village_moved_in_and_stops_seeing_one_moved_out(self) -> None:
        admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        east, west = UnitFactory.create(name="东镇"), UnitFactory.create(name="西镇")
        into = UnitFactory.create(name="迁入村", kind=UnitKind.VILLAGE, parent=west, group=None)
        out = UnitFactory.create(name="迁出村", kind=UnitKind.VILLAGE, parent=east, group=None)
        clerk = UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=east)
        self.assertEqual(set(Unit.objects.visible_to(clerk)), {east, out})
        services.unit_update(unit=into, data={"parent": east}, by=admin, reason="区划调整")
        services.unit_update(unit=out, data={"parent": west}, by=admin, reason="区划调整")
        self.assertEqual(set(Unit.objects.visible_to(clerk)), {east, into})

    def test_a_move_under_itself_or_a_kind_its_children_cannot_have_is_refused(self) -> None:
        admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        town = UnitFactory.create(name="南镇")
        village = UnitFactory.create(name="南村", kind=UnitKind.VILLAGE, parent=town, group=None)
        with self.assertRaises(ValidationError) as caught:
            services.unit_update(unit=town, data={"kind": UnitKind.VILLAGE, "parent": village}, by=admin)
        self.assertEqual(caught.exception.message_dict["kind"], ["南镇下辖南村，不能改为“村（社区）”。"])
        with self.assertRaises(ValidationError) as caught:
            services.unit_update(unit=town, data={"code": "other"}, by=admin)
        self.assertEqual(caught.exception.message_dict["code"], [services.CODE_IS_STABLE])

    def test_a_rename_is_logged_with_before_after_and_reason(self) -> None:
        admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        town = UnitFactory.create(name="旧名镇")
        services.unit_update(
            unit=town, data={"name": "新名街道", "kind": UnitKind.STREET}, by=admin, reason="撤镇设街道"
        )
        log = ChangeLog.objects.filter(object_type="org.unit", object_id=str(town.pk), action="update").get()
        self.assertEqual(log.before, {"name": "旧名镇", "kind": "town"})
        self.assertEqual((log.after, log.reason), ({"name": "新名街道", "kind": "street"}, "撤镇设街道"))
