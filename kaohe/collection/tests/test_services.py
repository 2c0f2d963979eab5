"""The review workflow through its services: every transition, the forbidden ones, and the checks."""

from __future__ import annotations

import threading
from decimal import Decimal

from django.db import connection
from django.test import TransactionTestCase

from kaohe.accounts.models import User
from kaohe.collection import services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission, Value
from kaohe.collection.quality import Entry, check_entries
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.demo.services import demo_is_loaded
from kaohe.org.models import Department, Unit
from kaohe.schemes.models import Indicator, Scheme
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase, world_restore


def self_report(unit: str, month: int = DEMO_MONTH) -> Submission:
    return Submission.objects.get(scheme__year=DEMO_YEAR, unit__code=unit, month=month, owner=None)


def user(username: str) -> User:
    return User.objects.get(username=username)


class WorkflowTests(WorldTestCase):
    def test_the_demo_month_has_every_state(self) -> None:
        self.assertEqual(self_report("nanyuan").status, SubmissionStatus.DRAFT)
        self.assertEqual(self_report("baisha").status, SubmissionStatus.RETURNED)
        self.assertEqual(self_report("donghu").status, SubmissionStatus.SUBMITTED)
        self.assertEqual(self_report("qingshi").status, SubmissionStatus.APPROVED)

    def test_the_owner_saves_a_draft_and_the_change_is_logged(self) -> None:
        draft = self_report("nanyuan")
        before = draft.values.get(indicator__code="qyje").amount
        saved = services.values_save(
            submission=draft, changes={"qyje": services.Change(Decimal("123456.78"))}, by=user("nanyuan_tb"),
            expected_version=draft.version,
        )  # fmt: skip
        self.assertEqual(saved.version, draft.version + 1)
        self.assertEqual(saved.values.get(indicator__code="qyje").amount, Decimal("123456.78"))
        row = ChangeLog.objects.filter(object_type="collection.value", action="update").latest("id")
        self.assertEqual((row.before["amount"], row.after["amount"]), (str(before), "123456.7800"))  # type: ignore[index]
        self.assertEqual(row.actor_username, "nanyuan_tb")

    def test_a_stale_save_changes_nothing(self) -> None:
        draft = self_report("nanyuan")
        logged = ChangeLog.objects.count()
        with self.assertRaisesMessage(services.StaleVersion, "已被他人修改"):
            services.values_save(
                submission=draft, changes={"qyje": services.Change(Decimal(1))}, by=user("nanyuan_tb"),
                expected_version=draft.version - 1,
            )  # fmt: skip
        self.assertNotEqual(draft.values.get(indicator__code="qyje").amount, Decimal(1))
        self.assertEqual(ChangeLog.objects.count(), logged)

    def test_a_reviewer_never_edits_a_township_figure(self) -> None:
        for reviewer in ("shenhe", "kaoheban", "lingdao", "baisha_tb", "tongjiju"):
            draft = self_report("nanyuan")
            with self.subTest(reviewer=reviewer), self.assertRaisesMessage(ApplicationError, services.NOT_OWNER):
                services.values_save(
                    submission=draft, changes={"qyje": services.Change(Decimal(1))}, by=user(reviewer),
                    expected_version=draft.version,
                )  # fmt: skip

    def test_approve_and_return_need_a_submitted_report(self) -> None:
        draft = self_report("nanyuan")
        with self.assertRaisesMessage(ApplicationError, "只能审核已提交的数据"):
            services.submission_approve(submission=draft, by=user("shenhe"))
        with self.assertRaisesMessage(ApplicationError, "只能审核已提交的数据"):
            services.submission_return(submission=draft, reason="x", by=user("shenhe"))
        self.assertEqual(self_report("nanyuan").status, SubmissionStatus.DRAFT)

    def test_only_reviewers_approve(self) -> None:
        pending = self_report("donghu")
        for who in ("donghu_tb", "lingdao", "tongjiju"):
            with self.subTest(who=who), self.assertRaisesMessage(ApplicationError, services.NOT_REVIEWER):
                services.submission_approve(submission=pending, by=user(who))
        services.submission_approve(submission=pending, by=user("shenhe"))
        self.assertEqual(self_report("donghu").status, SubmissionStatus.APPROVED)

    def test_approved_figures_are_locked(self) -> None:
        approved = self_report("qingshi")
        with self.assertRaisesMessage(ApplicationError, "不能修改"):
            services.values_save(
                submission=approved, changes={"qyje": services.Change(Decimal(1))}, by=user("qingshi_tb"),
                expected_version=approved.version,
            )  # fmt: skip

    def test_return_needs_a_reason_then_the_owner_corrects_and_resubmits(self) -> None:
        pending = self_report("xishan")
        with self.assertRaisesMessage(ApplicationError, "请填写退回原因"):
            services.submission_return(submission=pending, reason="  ", by=user("shenhe"))
        returned = services.submission_return(submission=pending, reason="签约额与合同不符", by=user("shenhe"))
        self.assertEqual((returned.status, returned.return_reason), (SubmissionStatus.RETURNED, "签约额与合同不符"))
        corrected = services.values_save(
            submission=returned, changes={"qyje": services.Change(Decimal("90000"))}, by=user("xishan_tb"),
            expected_version=returned.version,
        )  # fmt: skip
        resubmitted = services.submission_submit(submission=corrected, by=user("xishan_tb"))
        self.assertEqual(resubmitted.status, SubmissionStatus.SUBMITTED)
        self.assertEqual(resubmitted.return_reason, "")
        actions = list(ChangeLog.objects.filter(object_type="collection.submission", object_id=str(pending.pk))
                       .order_by("id").values_list("action", flat=True))  # fmt: skip
        self.assertEqual(actions[-2:], ["return", "submit"])

    def test_unlock_is_for_the_admin_with_a_reason(self) -> None:
        approved = self_report("qingshi")
        with self.assertRaisesMessage(ApplicationError, "只有区考核办可以解锁"):
            services.submission_unlock(submission=approved, reason="更正", by=user("shenhe"))
        with self.assertRaisesMessage(ApplicationError, "请填写解锁原因"):
            services.submission_unlock(submission=approved, reason="", by=user("kaoheban"))
        unlocked = services.submission_unlock(submission=approved, reason="统计局更正口径", by=user("kaoheban"))
        self.assertEqual(unlocked.status, SubmissionStatus.RETURNED)
        self.assertEqual(unlocked.return_reason, "解锁：统计局更正口径")
        self.assertTrue(ChangeLog.objects.filter(action="unlock", object_id=str(approved.pk)).exists())
        with self.assertRaisesMessage(ApplicationError, "只有已审核的数据需要解锁"):
            services.submission_unlock(submission=unlocked, reason="再次", by=user("kaoheban"))

    def test_submit_is_blocked_without_evidence(self) -> None:
        returned = self_report("baisha")
        value = returned.values.get(indicator__code="dwzj")
        Value.objects.filter(pk=value.pk).update(evidence="")
        with self.assertRaisesMessage(ApplicationError, "须上传佐证材料"):
            services.submission_submit(submission=returned, by=user("baisha_tb"))
        self.assertEqual(self_report("baisha").status, SubmissionStatus.RETURNED)


class SubmissionContentTests(WorldTestCase):
    def test_quarterly_indicators_report_only_at_quarter_ends(self) -> None:
        stats = Department.objects.get(code="tongji")
        october = Submission.objects.get(scheme__year=DEMO_YEAR, unit__code="qingshi", month=10, owner=stats)
        september = Submission.objects.get(scheme__year=DEMO_YEAR, unit__code="qingshi", month=9, owner=stats)
        self.assertNotIn("nlmy", [i.code for i in services.owner_indicators(october)])
        self.assertIn("nlmy", [i.code for i in services.owner_indicators(september)])

    def test_a_street_without_a_farming_target_is_not_asked_for_it(self) -> None:
        stats = Department.objects.get(code="tongji")
        street = Submission.objects.get(scheme__year=DEMO_YEAR, unit__code="chengguan", month=9, owner=stats)
        self.assertNotIn("nlmy", [i.code for i in services.owner_indicators(street)])

    def test_history_never_overwrites_live_data(self) -> None:
        scheme = Scheme.objects.get(year=DEMO_YEAR)
        row = services.HistoryRow(Unit.objects.get(code="qingshi"), scheme.indicators.get(code="qyje"), 10, Decimal(1))
        with self.assertRaisesMessage(ApplicationError, "历史数据不能覆盖已有数据"):
            services.history_import(scheme=scheme, rows=[row], by=user("kaoheban"), reason="补录")


class QualityCheckTests(WorldTestCase):
    def check(self, unit: str, codes: list[str], entries: dict[str, Entry], month: int = DEMO_MONTH) -> list[str]:
        scheme = Scheme.objects.get(year=DEMO_YEAR)
        indicators = list(Indicator.objects.filter(scheme=scheme, code__in=codes).select_related("part_of"))
        issues = check_entries(
            scheme=scheme, unit=Unit.objects.get(code=unit), month=month, indicators=indicators, entries=entries
        )
        return [f"{i.level}:{i.message}" for i in issues]

    def last_month(self, unit: str, code: str) -> Decimal:
        return Value.objects.get(
            submission__scheme__year=DEMO_YEAR, submission__unit__code=unit, submission__month=DEMO_MONTH - 1,
            indicator__code=code,
        ).amount  # fmt: skip

    def test_a_cumulative_value_may_not_fall_unless_it_is_a_noted_revision(self) -> None:
        lower = self.last_month("nanyuan", "qyje") - 1
        issues = self.check("nanyuan", ["qyje"], {"qyje": Entry(lower)})
        self.assertEqual(len(issues), 1)
        self.assertIn("block:", issues[0])
        self.assertIn("低于1-9月", issues[0])
        self.assertEqual(self.check("nanyuan", ["qyje"], {"qyje": Entry(lower, is_revision=True)}), issues)
        self.assertEqual(self.check("nanyuan", ["qyje"], {"qyje": Entry(lower, True, "统计局更正")}), [])

    def test_a_part_may_not_exceed_its_total(self) -> None:
        issues = self.check("qingshi", ["gdzc", "gytz"], {"gdzc": Entry(Decimal(100)), "gytz": Entry(Decimal(101))})
        self.assertTrue(any("大于其总量指标“固定资产投资”" in i for i in issues))

    def test_missing_values_and_missing_evidence_block(self) -> None:
        issues = self.check("nanyuan", ["dwzj", "qyje"], {"dwzj": Entry(Decimal(5))})
        self.assertIn("block:“签约项目投资总额”未填写。", issues)
        self.assertTrue(any("须上传佐证材料" in i for i in issues))

    def test_outliers_are_flagged_for_checking_not_blocked(self) -> None:
        huge = self.last_month("nanyuan", "qyje") * 50
        issues = self.check("nanyuan", ["qyje"], {"qyje": Entry(huge)})
        self.assertTrue(any(i.startswith("warn:") and "上年同期" in i for i in issues), issues)
        self.assertFalse(any(i.startswith("block:") for i in issues))

    def test_peer_outliers_use_a_z_score(self) -> None:
        huge = self.last_month("qingshi", "gdzc") * 40
        issues = self.check("qingshi", ["gdzc"], {"gdzc": Entry(huge)})
        self.assertTrue(any("Z 分数" in i for i in issues), issues)


class LostUpdateTests(TransactionTestCase):
    """Two clerks save the same form from the same version at the same time: one wins (SECURITY.md DI-1)."""

    def setUp(self) -> None:
        if not demo_is_loaded():
            world_restore()

    def test_exactly_one_of_two_concurrent_saves_wins(self) -> None:
        self.assertEqual(connection.vendor, "postgresql", "the lost-update test runs on PostgreSQL")
        draft = self_report("nanyuan")
        clerk = user("nanyuan_tb")
        logged = ChangeLog.objects.filter(object_type="collection.value").count()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def save(amount: str) -> None:
            try:
                barrier.wait()
                services.values_save(
                    submission=draft, changes={"qyje": services.Change(Decimal(amount))}, by=clerk,
                    expected_version=draft.version,
                )  # fmt: skip
                outcomes.append("saved")
            except services.StaleVersion as exc:
                outcomes.append(exc.message)
            finally:
                connection.close()

        threads = [threading.Thread(target=save, args=(a,)) for a in ("111.11", "222.22")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(outcomes), ["saved", services.STALE])
        self.assertEqual(self_report("nanyuan").version, draft.version + 1)
        self.assertEqual(ChangeLog.objects.filter(object_type="collection.value").count(), logged + 1)
        self.assertIn(self_report("nanyuan").values.get(indicator__code="qyje").amount,
                      {Decimal("111.11"), Decimal("222.22")})  # fmt: skip
