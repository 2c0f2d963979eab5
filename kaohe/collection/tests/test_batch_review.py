"""Review at a district's scale, through the services, in a small world of its own: five townships, one
self-reported indicator, one indicator of 统计局 that only three townships have a target for, and a quarterly
one nobody reports in April.

    2043年4月: due by 2043-05-10 23:59:59 (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar
from unittest.mock import patch
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection import selectors, services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission
from kaohe.collection.tests.factories import SubmissionFactory
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory
from kaohe.schemes.choices import DataSource, Frequency
from kaohe.schemes.models import Indicator, Scheme
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published

D = Decimal
YEAR, MONTH = 2043, 4
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ReviewWorld(TestCase):
    towns: ClassVar[list[Unit]]
    stats: ClassVar[Department]
    scheme: ClassVar[Scheme]
    signed: ClassVar[Indicator]
    output: ClassVar[Indicator]
    clerks: ClassVar[list[User]]
    officer: ClassVar[User]
    reviewer: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.towns = [UnitFactory.create(code=f"t{i}", name=f"第{i}镇", sort_order=i) for i in range(1, 6)]
        cls.stats = DepartmentFactory.create(name="测试统计局")
        scheme = SchemeFactory.create(year=YEAR)
        category = CategoryFactory.create(scheme=scheme)
        cls.signed = IndicatorFactory.create(
            scheme=scheme, category=category, code="qy", name="签约额", weight=D(60), source=DataSource.SELF_REPORTED
        )
        cls.output = IndicatorFactory.create(
            scheme=scheme, category=category, code="cz", name="工业产值", weight=D(30), owner=cls.stats
        )
        quarterly = IndicatorFactory.create(
            scheme=scheme, category=category, code="ny", name="农业产值", weight=D(10),
            owner=DepartmentFactory.create(), frequency=Frequency.QUARTERLY,
        )  # fmt: skip
        for town in cls.towns:
            TargetFactory.create(indicator=cls.signed, unit=town, amount=D(1000))
            TargetFactory.create(indicator=quarterly, unit=town, amount=D(100))
        for town in cls.towns[:3]:
            TargetFactory.create(indicator=cls.output, unit=town, amount=D(5000))
        cls.scheme = published(scheme)
        cls.clerks = [UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=town) for town in cls.towns]
        cls.officer = UserFactory.create(role=Role.DEPT_OFFICER, department=cls.stats)
        cls.reviewer = UserFactory.create(role=Role.DISTRICT_REVIEWER)

    def handed_in(self, k: int, amount: str = "300", month: int = MONTH) -> Submission:
        """Township k's own report of the month, saved and handed in by its clerk."""
        draft = SubmissionFactory.create(scheme=self.scheme, unit=self.towns[k], month=month)
        saved = services.values_save(
            submission=draft, changes={"qy": services.Change(D(amount))}, by=self.clerks[k], expected_version=None
        )
        return services.submission_submit(submission=saved, by=self.clerks[k])

    def decisions(self, submissions: list[Submission], reason: str = "") -> list[services.Decision]:
        return [services.Decision(s, s.version, reason) for s in submissions]


class BatchReviewTests(ReviewWorld):
    def test_five_are_approved_at_once_except_one_changed_since_the_reviewer_confirmed(self) -> None:
        shown = [self.handed_in(k) for k in range(5)]
        confirmed = self.decisions(shown)  # the versions on the confirmation page
        # Meanwhile another reviewer returns 第3镇's figures and its clerk corrects and hands them in again.
        other = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        services.submission_return(submission=shown[2], reason="签约额偏低，请核实", by=other)
        corrected = services.values_save(
            submission=Submission.objects.get(pk=shown[2].pk), changes={"qy": services.Change(D(900))},
            by=self.clerks[2], expected_version=None,
        )  # fmt: skip
        services.submission_submit(submission=corrected, by=self.clerks[2])
        approvals = ChangeLog.objects.filter(action="approve").count()

        outcome = services.submissions_decide(decisions=confirmed, approve=True, by=self.reviewer)

        self.assertEqual([s.unit.code for s in outcome.done], ["t1", "t2", "t4", "t5"])
        self.assertEqual([(s.unit.code, why) for s, why in outcome.refused],
                         [("t3", "您核对之后，数据已被修改或重新提交，请重新打开核对。")])  # fmt: skip
        statuses = dict(self.scheme.submissions.values_list("unit__code", "status"))
        self.assertEqual(statuses, {"t1": "approved", "t2": "approved", "t3": "submitted", "t4": "approved",
                                    "t5": "approved"})  # fmt: skip
        self.assertEqual(ChangeLog.objects.filter(action="approve").count(), approvals + 4)
        self.assertEqual(
            set(ChangeLog.objects.filter(action="approve", actor=self.reviewer).values_list("object_id", flat=True)),
            {str(shown[k].pk) for k in (0, 1, 3, 4)},
        )

    def test_a_return_gives_each_its_reason_and_one_without_a_reason_is_refused(self) -> None:
        shown = [self.handed_in(k) for k in range(3)]
        decisions = [
            services.Decision(shown[0], shown[0].version, "佐证材料不全"),
            services.Decision(shown[1], shown[1].version, "佐证材料不全"),
            services.Decision(shown[2], shown[2].version, "  "),
        ]
        outcome = services.submissions_decide(decisions=decisions, approve=False, by=self.reviewer)
        self.assertEqual(len(outcome.done), 2)
        self.assertEqual([(s.unit.code, why) for s, why in outcome.refused], [("t3", "请填写退回原因。")])
        returned = self.scheme.submissions.filter(status=SubmissionStatus.RETURNED).order_by("unit__sort_order")
        self.assertEqual(
            [(s.unit.code, s.return_reason) for s in returned], [("t1", "佐证材料不全"), ("t2", "佐证材料不全")]
        )
        log = ChangeLog.objects.filter(action="return").latest("id")
        self.assertEqual((log.reason, log.actor_username), ("佐证材料不全", self.reviewer.username))

    def test_whoever_handed_the_figures_in_never_approves_them(self) -> None:
        submission = self.handed_in(0)
        Submission.objects.filter(pk=submission.pk).update(submitted_by=self.reviewer)  # as if he had
        outcome = services.submissions_decide(decisions=self.decisions([submission]), approve=True, by=self.reviewer)
        self.assertEqual([why for _, why in outcome.refused], ["不能审核自己提交的数据。"])
        self.assertEqual(Submission.objects.get(pk=submission.pk).status, SubmissionStatus.SUBMITTED)

    def test_only_reviewers_decide_and_an_approved_one_is_not_approved_twice(self) -> None:
        first, second = self.handed_in(0), self.handed_in(1)
        refused = services.submissions_decide(decisions=self.decisions([first]), approve=True, by=self.clerks[1])
        self.assertEqual([why for _, why in refused.refused], ["只有区审核员或区考核办可以审核。"])
        services.submission_approve(submission=first, by=self.reviewer)
        first.refresh_from_db()
        again = services.submissions_decide(decisions=self.decisions([first, second]), approve=True, by=self.reviewer)
        self.assertEqual([s.unit.code for s in again.done], ["t2"])
        self.assertEqual([why for _, why in again.refused], ["只能审核已提交的数据（当前状态：已审核（锁定））。"])


class MissingReportTests(ReviewWorld):
    deadline = dt.datetime(YEAR, 5, 10, 23, 59, 59, tzinfo=SHANGHAI)

    def missing(self, at: dt.datetime) -> selectors.Missing:
        return selectors.missing_reports(user=self.reviewer, scheme=self.scheme, month=MONTH, at=at)

    def rows(self, at: dt.datetime) -> list[tuple[str, str]]:
        return [(r.unit.code, r.owner_label) for r in self.missing(at).reports]

    def test_what_each_township_and_department_owes_and_when_it_is_late(self) -> None:
        before = self.missing(self.deadline - dt.timedelta(hours=1))
        self.assertEqual((before.deadline, before.passed, before.days_late), (self.deadline, False, 0))
        # Every township's own report; 统计局's for the three with a 工业产值 target; no quarterly report in April.
        own, stats = "乡镇自报", "测试统计局"
        expected = [("t1", own), ("t1", stats), ("t2", own), ("t2", stats), ("t3", own), ("t3", stats), ("t4", own),
                    ("t5", own)]  # fmt: skip
        self.assertEqual(self.rows(self.deadline), expected)
        late = self.missing(dt.datetime(YEAR, 5, 13, 9, 0, tzinfo=SHANGHAI))
        self.assertEqual((late.passed, late.days_late), (True, 3))
        self.assertTrue(self.missing(self.deadline + dt.timedelta(seconds=1)).passed)

    def test_a_report_handed_in_is_no_longer_missing_and_a_draft_still_is(self) -> None:
        at = self.deadline + dt.timedelta(days=2)
        submitted = self.handed_in(0)
        draft = SubmissionFactory.create(scheme=self.scheme, unit=self.towns[1], month=MONTH)
        self.assertNotIn(("t1", "乡镇自报"), self.rows(at))
        self.assertIn(("t2", "乡镇自报"), self.rows(at))
        found = next(r for r in self.missing(at).reports if r.unit.code == "t2" and r.owner is None)
        self.assertEqual(found.draft, draft)
        services.submission_return(submission=submitted, reason="请核实", by=self.reviewer)
        self.assertNotIn(("t1", "乡镇自报"), self.rows(at))  # returned: handed in, waiting for its correction
        self.handed_in(1)
        self.assertNotIn(("t2", "乡镇自报"), self.rows(at))

    def test_a_township_user_sees_only_his_own(self) -> None:
        found = selectors.missing_reports(user=self.clerks[3], scheme=self.scheme, month=MONTH, at=self.deadline)
        self.assertEqual([(r.unit.code, r.owner_label) for r in found.reports], [("t4", "乡镇自报")])


class BatchReviewPageTests(ReviewWorld):
    def setUp(self) -> None:
        self.client.force_login(self.reviewer)
        self.queue = reverse("collection:review_queue", args=[YEAR, MONTH])
        self.batch = reverse("collection:review_batch", args=[YEAR, MONTH])

    def picks(self, submissions: list[Submission]) -> list[str]:
        return [f"{s.pk}:{s.version}" for s in submissions]

    def test_the_queue_ticks_each_submission_at_the_version_shown(self) -> None:
        shown = [self.handed_in(k) for k in range(2)]
        page = self.client.get(self.queue).content.decode()
        for s in shown:
            self.assertIn(f'name="pick" value="{s.pk}:{s.version}" form="kh-batch"', page)
        self.assertIn('data-testid="batch-approve"', page)

    def test_five_confirmed_then_approved_but_the_one_changed_meanwhile(self) -> None:
        shown = [self.handed_in(k) for k in range(5)]
        confirm = self.client.post(self.batch, {"action": "approve", "pick": self.picks(shown)})
        self.assertEqual(confirm.status_code, 200)
        listed = confirm.content.decode()
        self.assertEqual(listed.count('<tr data-submission="'), 5)
        self.assertIn("确认通过 5 份", listed)
        self.assertEqual(self.scheme.submissions.filter(status=SubmissionStatus.APPROVED).count(), 0)  # not yet
        # 第3镇 is returned and handed in again while the confirmation is open.
        services.submission_return(
            submission=shown[2], reason="请核实", by=UserFactory.create(role=Role.DISTRICT_REVIEWER)
        )
        services.submission_submit(submission=Submission.objects.get(pk=shown[2].pk), by=self.clerks[2])
        done = self.client.post(
            self.batch, {"action": "approve", "confirm": "1", "pick": self.picks(shown)}, follow=True
        )
        notes = [str(m) for m in done.context["messages"]]
        own = "（乡镇自报）"
        stale = services.REVIEW_STALE
        self.assertEqual(notes, [f"已通过 4 份：第1镇{own}、第2镇{own}、第4镇{own}、第5镇{own}。",
                                 f"未能通过：第3镇{own}——{stale}"])  # fmt: skip
        self.assertEqual(self.scheme.submissions.filter(status=SubmissionStatus.APPROVED).count(), 4)

    def test_a_return_needs_a_reason_for_each_and_takes_one_for_all(self) -> None:
        shown = [self.handed_in(k) for k in range(2)]
        form = {"action": "return", "confirm": "1", "pick": self.picks(shown)}
        missing = self.client.post(self.batch, {**form, f"reason-{shown[0].pk}": "签约额有误"})
        self.assertEqual(missing.status_code, 400)
        self.assertContains(missing, "请填写退回原因：可统一填写，也可逐份填写。", status_code=400)
        self.assertContains(missing, 'value="签约额有误"', status_code=400)  # what was typed stays
        self.assertEqual(self.scheme.submissions.filter(status=SubmissionStatus.RETURNED).count(), 0)
        self.client.post(self.batch, {**form, "reason": "佐证不全", f"reason-{shown[0].pk}": "签约额有误"})
        reasons = dict(self.scheme.submissions.values_list("unit__code", "return_reason"))
        self.assertEqual(reasons, {"t1": "签约额有误", "t2": "佐证不全"})

    def test_a_submission_out_of_scope_or_of_another_month_answers_404(self) -> None:
        ours = self.handed_in(0)
        other = self.handed_in(1, month=MONTH - 1)
        self.assertEqual(
            self.client.post(self.batch, {"action": "approve", "pick": self.picks([other])}).status_code, 404
        )
        clerk = self.client_class()
        clerk.force_login(self.clerks[1])
        self.assertEqual(clerk.post(self.batch, {"action": "approve", "pick": self.picks([ours])}).status_code, 404)
        bad = self.client.post(self.batch, {"action": "approve", "pick": ["1;drop"]}, follow=True)
        self.assertEqual([str(m) for m in bad.context["messages"]], ["所选数据无效，请刷新页面后重新选择。"])
        self.assertEqual(Submission.objects.get(pk=ours.pk).status, SubmissionStatus.SUBMITTED)

    def test_unreported_rows_appear_after_the_deadline_and_leave_when_the_report_arrives(self) -> None:
        deadline = MissingReportTests.deadline
        with patch.object(selectors, "now", return_value=deadline - dt.timedelta(hours=1)):
            before = self.client.get(self.queue).content.decode()
        self.assertNotIn('data-testid="queue-missing"', before)
        self.assertIn("未提交 8 份（报送截止 2043年5月10日 23:59）", before)
        with patch.object(selectors, "now", return_value=deadline + dt.timedelta(days=2)):
            after = self.client.get(self.queue).content.decode()
            self.assertIn('<tr data-missing="t4:self">', after)
            self.assertIn("未报 8 份", after)
            self.assertIn('<td class="text-end text-danger">2 天</td>', after)
            self.handed_in(3)
            arrived = self.client.get(self.queue).content.decode()
        self.assertNotIn('<tr data-missing="t4:self">', arrived)
        self.assertIn("未报 7 份", arrived)

    def test_a_single_approval_holds_the_version_its_page_showed(self) -> None:
        shown = self.handed_in(0)
        page = self.client.get(reverse("collection:submission_detail", args=[shown.pk])).content.decode()
        self.assertIn(f'<input type="hidden" name="version" value="{shown.version}">', page)
        other = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        services.submission_return(submission=shown, reason="请核实", by=other)
        services.submission_submit(submission=Submission.objects.get(pk=shown.pk), by=self.clerks[0])
        url = reverse("collection:submission_approve", args=[shown.pk])
        stale = self.client.post(url, {"version": shown.version})
        self.assertContains(stale, "您核对之后，数据已被修改或重新提交，请重新打开核对。", status_code=400)
        self.assertEqual(Submission.objects.get(pk=shown.pk).status, SubmissionStatus.SUBMITTED)
        fresh = Submission.objects.get(pk=shown.pk)
        self.assertEqual(self.client.post(url, {"version": fresh.version}).status_code, 302)
        self.assertEqual(Submission.objects.get(pk=shown.pk).status, SubmissionStatus.APPROVED)
