"""The demo's figures through the collection services: its review states, the quality checks against its
history, and two clerks saving one form at once. The workflow itself is tested in a small world of its own
(test_workflow.py)."""

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
from kaohe.core.models import ChangeLog
from kaohe.demo.services import demo_is_loaded
from kaohe.org.models import Unit
from kaohe.schemes.models import Indicator, Scheme
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase, world_restore


def self_report(unit: str, month: int = DEMO_MONTH) -> Submission:
    return Submission.objects.get(scheme__year=DEMO_YEAR, unit__code=unit, month=month, owner=None)


def user(username: str) -> User:
    return User.objects.get(username=username)


class DemoWorkflowTests(WorldTestCase):
    def test_the_demo_month_has_every_state(self) -> None:
        self.assertEqual(self_report("nanyuan").status, SubmissionStatus.DRAFT)
        self.assertEqual(self_report("baisha").status, SubmissionStatus.RETURNED)
        self.assertEqual(self_report("donghu").status, SubmissionStatus.SUBMITTED)
        self.assertEqual(self_report("qingshi").status, SubmissionStatus.APPROVED)


class QualityCheckTests(WorldTestCase):
    def check(self, unit: str, codes: list[str], entries: dict[str, Entry], month: int = DEMO_MONTH) -> list[str]:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
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
