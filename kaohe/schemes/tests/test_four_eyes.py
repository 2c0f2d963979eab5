"""四眼原则 (issue 35, SECURITY.md §9): whoever proposes a bonus, deduction or veto, or requests a target
adjustment, does not decide it; a scheme may switch the rule off for a one-person 考核办, and then every
self-approval is logged as such and the scheme page says the rule is off."""

from __future__ import annotations

from decimal import Decimal as D
from typing import ClassVar

from django.core.exceptions import ValidationError

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.schemes import services
from kaohe.schemes.choices import ItemKind, RequestStatus
from kaohe.schemes.models import ItemRecord, ItemType, Target, TargetAdjustment
from kaohe.schemes.tests.test_engine_checks import SmallWorld

OFF_REASON = "考核办仅一名工作人员"


class FourEyesTests(SmallWorld):
    year = 2043
    colleague: ClassVar[User]
    bonus: ClassVar[ItemType]
    veto: ClassVar[ItemType]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.colleague = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.bonus = services.item_type_create(scheme=cls.scheme, by=cls.admin, kind=ItemKind.BONUS, code="zs",
                                              name="招商加分", points=D(2), cap=D(6))  # fmt: skip
        cls.veto = services.item_type_create(scheme=cls.scheme, by=cls.admin, kind=ItemKind.VETO, code="aq",
                                             name="安全事故", veto_effect="no_award")  # fmt: skip
        cls.scheme = services.scheme_publish(scheme=cls.scheme, by=cls.admin)

    def target(self) -> Target:
        return Target.objects.get(indicator__scheme=self.scheme, indicator__code="ind0", unit=self.towns[0])

    def own_adjustment(self) -> TargetAdjustment:
        return services.target_adjustment_request(
            target=self.target(), effective_month=7, new_amount=D(80), reason="受洪灾影响", by=self.admin
        )

    def own_record(self, item_type: ItemType) -> ItemRecord:
        return services.item_record_propose(item_type=item_type, unit=self.towns[0], month=5, reason="依据材料",
                                            by=self.admin)  # fmt: skip

    def switch_off(self) -> None:
        services.scheme_four_eyes_set(scheme=self.scheme, on=False, by=self.admin, reason=OFF_REASON)
        self.scheme.refresh_from_db()

    def test_the_proposer_of_an_item_cannot_approve_or_reject_it(self) -> None:
        for item_type, what in ((self.bonus, "加扣分"), (self.veto, "一票否决")):
            record = self.own_record(item_type)
            for approve in (True, False):
                with self.subTest(what, approve=approve), self.assertRaises(ApplicationError) as ctx:
                    services.item_record_decide(record=record, approve=approve, by=self.admin, note="本人")
                self.assertEqual(ctx.exception.message, services.FOUR_EYES.format(what=what))
            self.assertEqual(ItemRecord.objects.get(pk=record.pk).status, RequestStatus.PENDING)
            services.item_record_decide(record=record, approve=True, by=self.colleague)
            self.assertEqual(ItemRecord.objects.get(pk=record.pk).status, RequestStatus.APPROVED)

    def test_the_requester_of_a_target_adjustment_cannot_decide_it(self) -> None:
        adjustment = self.own_adjustment()
        with self.assertRaisesMessage(ApplicationError, services.FOUR_EYES.format(what="任务调整")):
            services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.admin)
        self.assertEqual(self.target().amount, D(100))
        services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.colleague)
        self.assertEqual(self.target().amount, D(80))

    def test_switched_off_the_proposer_decides_and_each_self_approval_is_logged(self) -> None:
        with self.assertRaises(ValidationError):
            services.scheme_four_eyes_set(scheme=self.scheme, on=False, by=self.admin, reason=" ")
        self.switch_off()
        self.assertFalse(self.scheme.four_eyes)
        switch = ChangeLog.objects.filter(object_type="schemes.scheme", object_id=str(self.scheme.pk)).latest("id")
        self.assertEqual((switch.before, switch.after, switch.reason), ({"four_eyes": True}, {"four_eyes": False},
                                                                          OFF_REASON))  # fmt: skip

        record = self.own_record(self.bonus)
        services.item_record_decide(record=record, approve=True, by=self.admin, note="同意")
        row = ChangeLog.objects.filter(object_type="schemes.itemrecord", object_id=str(record.pk)).latest("id")
        self.assertEqual(row.reason, "同意" + services.SELF_APPROVED)
        adjustment = self.own_adjustment()
        services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.admin)
        self.assertEqual(self.target().amount, D(80))
        row = ChangeLog.objects.filter(object_type="schemes.target", object_id=str(self.target().pk)).latest("id")
        self.assertTrue(row.reason.endswith(services.SELF_APPROVED))
        # A colleague's decision is no self-approval and carries no such note.
        other = self.own_record(self.bonus)
        services.item_record_decide(record=other, approve=False, by=self.colleague, note="依据不足")
        row = ChangeLog.objects.filter(object_type="schemes.itemrecord", object_id=str(other.pk)).latest("id")
        self.assertEqual(row.reason, "依据不足")

    def test_the_scheme_page_shows_the_rule_and_switches_it_with_a_reason(self) -> None:
        client = self.client_for(self.admin)
        page = f"/schemes/{self.year}/"
        self.assertContains(client.get(page), "开启：加扣分、一票否决、任务调整和解锁")
        client.post(f"{page}four-eyes/", {"on": "0", "reason": ""})
        self.scheme.refresh_from_db()
        self.assertTrue(self.scheme.four_eyes)  # no reason, no switch
        client.post(f"{page}four-eyes/", {"on": "0", "reason": OFF_REASON})
        self.assertContains(client.get(page), "提出人可审批本人提出的事项")
        client.post(f"{page}four-eyes/", {"on": "1"})
        self.scheme.refresh_from_db()
        self.assertTrue(self.scheme.four_eyes)
        # A leader sees the rule but cannot switch it.
        leader = self.client_for(self.leader)
        self.assertEqual(leader.post(f"{page}four-eyes/", {"on": "0", "reason": "x"}).status_code, 404)

    def test_the_lists_tell_the_proposer_why_he_has_no_buttons(self) -> None:
        record = self.own_record(self.bonus)
        adjustment = self.own_adjustment()
        client = self.client_for(self.admin)
        items = client.get(f"/schemes/{self.year}/items/").content.decode()
        self.assertIn(f'data-testid="own-{record.pk}"', items)
        adjustments = client.get(f"/schemes/{self.year}/adjustments/").content.decode()
        self.assertIn(f'data-testid="own-{adjustment.pk}"', adjustments)
        self.assertNotIn(f'data-testid="approve-{adjustment.pk}"', adjustments)
        colleague = self.client_for(self.colleague).get(f"/schemes/{self.year}/adjustments/").content.decode()
        self.assertIn(f'data-testid="approve-{adjustment.pk}"', colleague)
