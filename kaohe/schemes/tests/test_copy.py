"""A new year from the last: the scheme copied whole, targets from last year's actuals × (1 + g) or as they were."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection import services as collection
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory, owner_of
from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory, UnitGroupFactory
from kaohe.schemes import services
from kaohe.schemes.models import Scheme, Target

from .factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published, scheme_fields

CURVE = ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.55", "0.6", "0.7", "0.8", "0.9", "1"]
BANDS = {
    "family": "bands",
    "bands": [{"min": "1.2", "points": "40"}, {"min": "1", "points": "30"}, {"min": "0.8", "points": "20"}],
    "else": "5",
}


class SchemeCopyTests(TestCase):
    admin: ClassVar[User]
    t1: ClassVar[Unit]
    t2: ClassVar[Unit]
    source: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        group = UnitGroupFactory.create(code="gy", name="工业型")
        cls.t1 = UnitFactory.create(code="t1", name="一镇", group=group)
        cls.t2 = UnitFactory.create(code="t2", name="二镇", group=group)
        dept = DepartmentFactory.create(code="tj")
        scheme = SchemeFactory.create(
            year=2081, name="2081年度考核方案",
            grade_rule={"method": "bands", "bands": [{"min": "90", "grade": "优秀"}], "else": "合格"},
        )  # fmt: skip
        category = CategoryFactory.create(scheme=scheme, code="jj", name="经济")

        def ind(code: str, **kw: Any) -> Any:
            return IndicatorFactory.create(
                scheme=scheme, category=category, code=code, name=f"指标{code}", owner=dept, source="self", **kw
            )

        tax = ind(
            "tax",
            weight=Decimal(40),
            rule=BANDS,
            decimal_places=2,
            plan_curve=CURVE,
        )
        gy = ind("gy", weight=Decimal(10), part_of=tax, decimal_places=0)
        count = ind("xm", unit="个", kind="count", weight=Decimal(20), decimal_places=0)
        gdp = ind(
            "gdp", unit="%", kind="growth", weight=Decimal(30), rule={"family": "growth_vs_target", "over_points": "1"}
        )
        services.group_weight_set(indicator=gdp, group_id=group.pk, weight=Decimal(30), by=None)
        services.item_type_create(
            scheme=scheme, by=None, kind="bonus", code="zs", name="招商", points=Decimal(2), cap=Decimal(4)
        )
        for unit in (cls.t1, cls.t2):
            TargetFactory.create(
                indicator=tax, unit=unit, amount=Decimal(100), stretch=Decimal(120), stages={"6": "40"}
            )
            TargetFactory.create(indicator=gy, unit=unit, amount=Decimal(30))
            TargetFactory.create(indicator=count, unit=unit, amount=Decimal(5))
            TargetFactory.create(indicator=gdp, unit=unit, amount=Decimal("6.5"))
        scheme = published(scheme)
        # Last year's actuals: 一镇's 1–12月, reviewed; 二镇 reported nothing for 12月.
        submission = SubmissionFactory.create(scheme=scheme, unit=cls.t1, month=12)
        for indicator, amount in ((tax, "123.456"), (gy, "41.5"), (count, "7"), (gdp, "8.1")):
            ValueFactory.create(submission=submission, indicator=indicator, amount=Decimal(amount))
        collection.submission_submit(submission=submission, by=owner_of(submission))
        collection.submission_approve(submission=submission, by=UserFactory.create(role=Role.DISTRICT_REVIEWER))
        cls.source = scheme

    def copy(self, **kw: Any) -> services.SchemeCopy:
        return services.scheme_copy(source=self.source, year=2082, by=self.admin, **kw)

    def targets(self, code: str) -> dict[str, tuple[Decimal, Decimal | None, dict[str, str]]]:
        rows = Target.objects.filter(
            indicator__scheme__year=2082, indicator__scheme__scenario="", indicator__code=code
        ).select_related("unit")
        return {t.unit.code: (t.amount, t.stretch, t.stages) for t in rows}

    def test_the_new_draft_has_every_indicator_rule_band_and_item(self) -> None:
        made = self.copy()
        self.assertEqual(made.scheme.name, "2082年度考核方案")
        self.assertFalse(made.scheme.is_published)
        old, new = scheme_fields(self.source), scheme_fields(made.scheme)
        self.assertEqual({**new, "name": old["name"]}, old)
        self.assertEqual(len(new["indicators"]["tax"]["rule"].bands), 3)

    def test_a_year_without_four_eyes_passes_the_switch_on_to_the_copy(self) -> None:
        self.assertTrue(self.copy().scheme.four_eyes)
        source = services.scheme_four_eyes_set(scheme=self.source, on=False, by=self.admin, reason="考核办仅一人")
        made = services.scheme_copy(source=source, year=2083, by=self.admin)
        self.assertFalse(made.scheme.four_eyes)

    def test_targets_from_last_years_actual_times_growth_rounded_to_the_indicators_decimals(self) -> None:
        made = self.copy(growth={"tax": Decimal(8), "gy": Decimal("2.5"), "xm": Decimal(10)})
        # 123.456 × 1.08 = 133.33248 → 133.33 (2 decimals); 41.5 × 1.025 = 42.5375 → 43; 7 × 1.1 = 7.7 → 8.
        self.assertEqual(self.targets("tax")["t1"], (Decimal("133.33"), None, {}))
        self.assertEqual(self.targets("gy")["t1"][0], Decimal(43))
        self.assertEqual(self.targets("xm")["t1"][0], Decimal(8))
        # No reviewed 12月 figure for 二镇: no target, and the copy says so.
        self.assertNotIn("t2", self.targets("tax"))
        self.assertIn("二镇 · 指标tax", made.missing)
        # A growth indicator keeps last year's target value.
        self.assertEqual(self.targets("gdp"), {"t1": (Decimal("6.5"), None, {}), "t2": (Decimal("6.5"), None, {})})
        self.assertEqual((made.computed, made.copied, len(made.missing)), (3, 2, 3))

    def test_without_a_growth_rate_targets_are_copied_as_they_were(self) -> None:
        made = self.copy()
        self.assertEqual(self.targets("tax")["t2"], (Decimal(100), Decimal(120), {"6": "40"}))
        self.assertEqual((made.computed, made.copied, made.missing), (0, 8, ()))

    def test_a_copy_without_targets_has_none(self) -> None:
        made = self.copy(targets=False)
        self.assertEqual(Target.objects.filter(indicator__scheme=made.scheme).count(), 0)
        self.assertEqual(made.scheme.indicators.count(), 4)

    def test_a_growth_rate_on_a_growth_indicator_and_a_taken_year_are_refused(self) -> None:
        with self.assertRaisesMessage(ValidationError, "目标按上年原值复制"):
            self.copy(growth={"gdp": Decimal(5)})
        self.assertFalse(Scheme.objects.filter(year=2082).exists())
        with self.assertRaisesMessage(ApplicationError, "2081年已有考核方案"):
            services.scheme_copy(source=self.source, year=2081, by=self.admin)

    def test_kaohe_scheme_copy_takes_growth_rates_per_indicator(self) -> None:
        UserFactory.create(role=Role.DISTRICT_ADMIN, username="kb")
        out = io.StringIO()
        call_command("scheme", "copy", "--from", "2081", "--to", "2082", "--as", "kb", "--growth", "tax=8", stdout=out)
        self.assertIn("已由2081年考核方案复制出2082年考核方案（草稿）：4 个指标", out.getvalue())
        self.assertIn("未设目标（上年无审核通过的12月数据）：二镇 · 指标tax", out.getvalue())
        self.assertEqual(self.targets("tax")["t1"][0], Decimal("133.33"))
        with self.assertRaisesMessage(CommandError, "不能按增长率计算"):
            call_command("scheme", "copy", "--from", "2081", "--to", "2084", "--as", "kb", "--growth", "gdp=5")
        with self.assertRaisesMessage(CommandError, "指标编码=百分数"):
            call_command("scheme", "copy", "--from", "2081", "--to", "2084", "--as", "kb", "--growth", "tax=很多")

    def test_the_copy_page_asks_a_rate_per_volume_indicator(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("schemes:copy", args=[2081])
        page = self.client.get(url)
        self.assertContains(page, "指标tax增长率（%）")
        self.assertNotContains(page, "指标gdp增长率")  # a growth indicator keeps its target value
        done = self.client.post(url, {"year": 2082, "name": "", "targets": "on", "growth_xm": "10"}, follow=True)
        self.assertRedirects(done, reverse("schemes:detail", args=[2082]))
        self.assertContains(done, "按上年实际×(1+增长率)计算 1 项")
        self.assertContains(done, "二镇 · 指标xm")
        self.assertEqual(self.targets("xm")["t1"][0], Decimal(8))
        taken = self.client.post(url, {"year": 2081, "targets": "on"})
        self.assertContains(taken, "2081年已有考核方案")
