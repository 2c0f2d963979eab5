"""The review workflow through its services, in a small world of its own: two townships, one department,
a published scheme of three indicators, one account per part each plays."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection import services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory
from kaohe.schemes.choices import DataSource, Frequency
from kaohe.schemes.models import Indicator, Scheme
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published

D = Decimal


class SmallWorld(TestCase):
    town: ClassVar[Unit]
    other_town: ClassVar[Unit]
    stats: ClassVar[Department]
    scheme: ClassVar[Scheme]
    signed: ClassVar[Indicator]  # self-reported, with evidence
    investment: ClassVar[Indicator]  # self-reported
    farming: ClassVar[Indicator]  # the department's, quarterly; only the first township has a target
    clerk: ClassVar[User]
    other_clerk: ClassVar[User]
    reviewer: ClassVar[User]
    admin: ClassVar[User]
    leader: ClassVar[User]
    officer: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.town, cls.other_town = UnitFactory.create(), UnitFactory.create()
        cls.stats = DepartmentFactory.create(name="测试统计局")
        scheme = SchemeFactory.create(year=2041)
        category = CategoryFactory.create(scheme=scheme)
        self_reported = {"scheme": scheme, "category": category, "source": DataSource.SELF_REPORTED}
        # Explicit orders: the factory's codes (ind9, ind10 …) do not sort as they were made.
        cls.signed = IndicatorFactory.create(
            name="签约额", weight=D(40), requires_evidence=True, sort_order=1, **self_reported
        )
        cls.investment = IndicatorFactory.create(name="到位资金", weight=D(40), sort_order=2, **self_reported)
        cls.farming = IndicatorFactory.create(
            scheme=scheme, category=category, name="农业产值", weight=D(20), owner=cls.stats,
            frequency=Frequency.QUARTERLY,
        )  # fmt: skip
        for indicator in (cls.signed, cls.investment):
            for town in (cls.town, cls.other_town):
                TargetFactory.create(indicator=indicator, unit=town, amount=D(1000))
        TargetFactory.create(indicator=cls.farming, unit=cls.town, amount=D(500))
        cls.scheme = published(scheme)
        cls.clerk = UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=cls.town)
        cls.other_clerk = UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=cls.other_town)
        cls.reviewer = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.leader = UserFactory.create(role=Role.DISTRICT_LEADER)
        cls.officer = UserFactory.create(role=Role.DEPT_OFFICER, department=cls.stats)

    def draft(self, month: int = 9) -> Submission:
        return SubmissionFactory.create(scheme=self.scheme, unit=self.town, month=month)

    def save(self, submission: Submission, by: User, **amounts: str) -> Submission:
        changes = {getattr(self, name).code: services.Change(D(a)) for name, a in amounts.items()}
        return services.values_save(submission=submission, changes=changes, by=by, expected_version=submission.version)

    def submitted(self) -> Submission:
        """The first township's September figures, complete with the contract as evidence, handed in."""
        draft = self.draft()
        ValueFactory.create(submission=draft, indicator=self.investment, amount=D(300), by=self.clerk)
        contract = SimpleUploadedFile("合同.pdf", b"%PDF-1.4\n", content_type="application/pdf")
        complete = services.values_save(
            submission=draft, changes={self.signed.code: services.Change(D(200), evidence=contract)}, by=self.clerk,
            expected_version=None,
        )  # fmt: skip
        return services.submission_submit(submission=complete, by=self.clerk)


class WorkflowTests(SmallWorld):
    def test_the_owner_saves_a_draft_and_the_change_is_logged(self) -> None:
        draft = self.draft()
        first = self.save(draft, self.clerk, investment="100")
        saved = self.save(first, self.clerk, investment="123456.78")
        self.assertEqual(saved.version, draft.version + 2)
        self.assertEqual(saved.values.get(indicator=self.investment).amount, D("123456.78"))
        row = ChangeLog.objects.filter(object_type="collection.value", action="update").latest("id")
        self.assertEqual((row.before["amount"], row.after["amount"]), ("100.0000", "123456.7800"))  # type: ignore[index]
        self.assertEqual(row.actor_username, self.clerk.username)

    def test_a_stale_save_changes_nothing(self) -> None:
        draft = self.save(self.draft(), self.clerk, investment="100")
        logged = ChangeLog.objects.count()
        with self.assertRaisesMessage(services.StaleVersion, "已被他人修改"):
            services.values_save(
                submission=draft, changes={self.investment.code: services.Change(D(1))}, by=self.clerk,
                expected_version=draft.version - 1,
            )  # fmt: skip
        self.assertEqual(draft.values.get(indicator=self.investment).amount, D(100))
        self.assertEqual(ChangeLog.objects.count(), logged)

    def test_no_one_but_the_owner_edits_a_township_figure(self) -> None:
        draft = self.draft()
        for who in ("reviewer", "admin", "leader", "other_clerk", "officer"):
            with self.subTest(who=who), self.assertRaisesMessage(ApplicationError, services.NOT_OWNER):
                self.save(draft, getattr(self, who), investment="1")
        self.assertFalse(draft.values.exists())

    def test_approve_and_return_need_a_submitted_report(self) -> None:
        draft = self.draft()
        with self.assertRaisesMessage(ApplicationError, "只能审核已提交的数据"):
            services.submission_approve(submission=draft, by=self.reviewer)
        with self.assertRaisesMessage(ApplicationError, "只能审核已提交的数据"):
            services.submission_return(submission=draft, reason="x", by=self.reviewer)
        draft.refresh_from_db()
        self.assertEqual(draft.status, SubmissionStatus.DRAFT)

    def test_only_reviewers_approve_and_approved_figures_are_locked(self) -> None:
        pending = self.submitted()
        for who in ("clerk", "leader", "officer"):
            with self.subTest(who=who), self.assertRaisesMessage(ApplicationError, services.NOT_REVIEWER):
                services.submission_approve(submission=pending, by=getattr(self, who))
        approved = services.submission_approve(submission=pending, by=self.reviewer)
        self.assertEqual(approved.status, SubmissionStatus.APPROVED)
        with self.assertRaisesMessage(ApplicationError, "不能修改"):
            self.save(approved, self.clerk, investment="1")

    def test_return_needs_a_reason_then_the_owner_corrects_and_resubmits(self) -> None:
        pending = self.submitted()
        with self.assertRaisesMessage(ApplicationError, "请填写退回原因"):
            services.submission_return(submission=pending, reason="  ", by=self.reviewer)
        returned = services.submission_return(submission=pending, reason="签约额与合同不符", by=self.reviewer)
        self.assertEqual((returned.status, returned.return_reason), (SubmissionStatus.RETURNED, "签约额与合同不符"))
        corrected = self.save(returned, self.clerk, signed="190")
        resubmitted = services.submission_submit(submission=corrected, by=self.clerk)
        self.assertEqual((resubmitted.status, resubmitted.return_reason), (SubmissionStatus.SUBMITTED, ""))
        actions = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(pending.pk))
        self.assertEqual(list(actions.order_by("id").values_list("action", flat=True)), ["submit", "return", "submit"])

    def test_unlock_is_asked_with_a_reason_and_approved_by_the_admin(self) -> None:
        approved = services.submission_approve(submission=self.submitted(), by=self.reviewer)
        with self.assertRaisesMessage(ApplicationError, "请填写解锁原因"):
            services.submission_unlock_request(submission=approved, reason=" ", by=self.clerk)
        with self.assertRaisesMessage(ApplicationError, services.NOT_UNLOCK_ASKER):
            services.submission_unlock_request(submission=approved, reason="更正", by=self.other_clerk)
        asked = services.submission_unlock_request(submission=approved, reason="统计局更正口径", by=self.clerk)
        self.assertEqual((asked.status, asked.unlock_requested_by), (SubmissionStatus.APPROVED, self.clerk))
        with self.assertRaisesMessage(ApplicationError, services.UNLOCK_PENDING):
            services.submission_unlock_request(submission=asked, reason="再次", by=self.clerk)
        with self.assertRaisesMessage(ApplicationError, "只有区考核办可以解锁"):
            services.submission_unlock(submission=asked, by=self.reviewer)
        unlocked = services.submission_unlock(submission=asked, by=self.admin)
        self.assertEqual((unlocked.status, unlocked.return_reason), (SubmissionStatus.RETURNED, "解锁：统计局更正口径"))
        self.assertEqual((unlocked.unlock_requested_by, unlocked.unlock_reason), (None, ""))
        actions = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(approved.pk))
        self.assertEqual(list(actions.order_by("id").values_list("action", flat=True)),
                         ["submit", "approve", "unlock_request", "unlock"])  # fmt: skip
        with self.assertRaisesMessage(ApplicationError, "只有已审核的数据需要解锁"):
            services.submission_unlock(submission=unlocked, reason="再次", by=self.admin)

    def test_submit_is_blocked_without_evidence(self) -> None:
        draft = self.save(self.draft(), self.clerk, investment="300", signed="200")
        with self.assertRaisesMessage(ApplicationError, "须上传佐证材料"):
            services.submission_submit(submission=draft, by=self.clerk)
        draft.refresh_from_db()
        self.assertEqual(draft.status, SubmissionStatus.DRAFT)


class SubmissionContentTests(SmallWorld):
    def test_a_self_report_carries_the_townships_own_indicators(self) -> None:
        self.assertEqual(services.owner_indicators(self.draft()), [self.signed, self.investment])

    def test_quarterly_indicators_report_only_at_quarter_ends(self) -> None:
        def carried(month: int) -> list[Indicator]:
            submission = SubmissionFactory.create(scheme=self.scheme, unit=self.town, month=month, owner=self.stats)
            return services.owner_indicators(submission)

        self.assertEqual(carried(9), [self.farming])
        self.assertEqual(carried(10), [])

    def test_a_township_without_a_target_is_not_asked_for_it(self) -> None:
        street = SubmissionFactory.create(scheme=self.scheme, unit=self.other_town, month=9, owner=self.stats)
        self.assertEqual(services.owner_indicators(street), [])

    def test_a_figure_outside_the_submission_is_refused(self) -> None:
        with self.assertRaisesMessage(ApplicationError, "本表不包含指标"):
            services.values_save(
                submission=self.draft(), changes={self.farming.code: services.Change(D(1))}, by=self.clerk,
                expected_version=None,
            )  # fmt: skip

    def test_history_never_overwrites_live_data(self) -> None:
        self.draft(month=10)
        row = services.HistoryRow(self.town, self.investment, 10, D(1))
        with self.assertRaisesMessage(ApplicationError, "历史数据不能覆盖已有数据"):
            services.history_import(scheme=self.scheme, rows=[row], by=self.admin, reason="补录")
        self.assertFalse(Submission.objects.filter(scheme=self.scheme, status=SubmissionStatus.APPROVED).exists())
