"""Rules and grades as Chinese forms, and the live preview (试算) that scores sample numbers with the engine."""

from __future__ import annotations

import re
from typing import Any

from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.tests.factories import UserFactory
from kaohe.schemes.rule_forms import GradeRuleForm, RuleForm


def rule_data(
    family: str, scalars: dict[str, Any] | None = None, items: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"rule-family": family, "rule-rows": len(items or [])}
    data.update({f"rule-{k}": v for k, v in (scalars or {}).items()})
    for i, item in enumerate(items or []):
        data.update({f"rule-item-{i}-{k}": v for k, v in item.items()})
    return data


GOLDEN_4 = rule_data("base_per_pp", {"basis": "annual", "base": "20", "over_points": "0.5", "over_step": "1",
                                     "max_bonus": "10", "under": "proportional"})  # fmt: skip
GOLDEN_6 = rule_data("piecewise_pp", {"basis": "annual", "limit": "10", "base": "0"}, [
    {"from": "0", "to": "100", "per_pp": "-0.1"}, {"from": "100", "to": "130", "per_pp": "0.2"},
    {"from": "130", "per_pp": "0.1"},
])  # fmt: skip
GOLDEN_7 = rule_data("bands", {"basis": "annual", "compare": "min", "else": "0"}, [
    {"threshold": "100", "points": "100"}, {"threshold": "80", "points": "75"}, {"threshold": "50", "points": "50"},
])  # fmt: skip


class PreviewTests(TestCase):
    def setUp(self) -> None:
        self.client.force_login(UserFactory.create(role=Role.DISTRICT_ADMIN))

    def preview(self, rule: dict[str, Any], actual: str, *, weight: str = "20", target: str = "100") -> tuple[str, str]:
        data = {**rule, "weight": weight, "kind": "cumulative", "direction": "higher", "sample-target": target,
                "sample-actual": actual, "sample-month": "12"}  # fmt: skip
        page = self.client.post(reverse("schemes:rule_preview"), data).content.decode()
        points = re.search(r'data-testid="preview-points">([^<]*)<', page)
        explanation = re.search(r'data-testid="preview-explanation">([^<]*)<', page)
        self.assertIsNotNone(points, page)
        return points[1] if points else "", explanation[1] if explanation else ""

    def test_golden_case_4_base_and_points_per_pp(self) -> None:
        self.assertEqual(self.preview(GOLDEN_4, "112"), ("26.00", (
            "1-12月累计112，目标100，完成112.00%，序时100.00%，快12.00个百分点，已完成全年；"
            "完成率112÷100=112%，超12个百分点，20+0.5×12=26"
        )))  # fmt: skip
        self.assertEqual(self.preview(GOLDEN_4, "130")[0], "30.00")
        self.assertEqual(self.preview(GOLDEN_4, "150")[0], "30.00")
        self.assertEqual(self.preview(GOLDEN_4, "85"), ("17.00", (
            "1-12月累计85，目标100，完成85.00%，序时100.00%，慢15.00个百分点，欠序时；完成率85÷100=85%，按完成比例计分：20×85%=17"
        )))  # fmt: skip

    def test_golden_case_6_piecewise(self) -> None:
        self.assertEqual(self.preview(GOLDEN_6, "90")[0], "-1.00")
        self.assertEqual(self.preview(GOLDEN_6, "120")[0], "4.00")
        self.assertEqual(self.preview(GOLDEN_6, "140")[0], "7.00")
        points, explanation = self.preview(GOLDEN_6, "0")
        self.assertEqual(points, "-10.00")
        self.assertTrue(explanation.endswith("；完成率0÷100=0%，100个百分点×-0.1=-10"), explanation)
        self.assertTrue(self.preview(GOLDEN_6, "140")[1].endswith("30个百分点×0.2+10个百分点×0.1=7"))

    def test_golden_case_7_bands(self) -> None:
        self.assertEqual(self.preview(GOLDEN_7, "100"), ("100.00", (
            "1-12月累计100，目标100，完成100.00%，序时100.00%，快0.00个百分点，已完成全年；完成率100÷100=100%，≥100%档，得100"
        )))  # fmt: skip
        self.assertEqual(self.preview(GOLDEN_7, "79.99")[0], "50.00")
        self.assertEqual(self.preview(GOLDEN_7, "49.9")[0], "0.00")

    def test_an_incomplete_rule_and_a_missing_sample_are_said_in_chinese(self) -> None:
        page = self.client.post(reverse("schemes:rule_preview"), rule_data("bands", {"compare": "min"}, [
            {"threshold": "80", "points": "75"}, {"threshold": "100", "points": "100"}]))  # fmt: skip
        self.assertContains(page, "规则尚不完整")
        self.assertContains(page, "由高到低")
        page = self.client.post(reverse("schemes:rule_preview"), {**GOLDEN_7, "kind": "cumulative", "weight": "5"})
        self.assertContains(page, "请填写目标和实际完成")


class RuleFormTests(TestCase):
    def setUp(self) -> None:
        self.client.force_login(UserFactory.create(role=Role.DISTRICT_ADMIN))

    def test_a_stored_rule_is_shown_as_people_write_it(self) -> None:
        form = RuleForm(
            stored={"family": "bands", "bands": [{"min": "1.2", "points": "40"}, {"min": "1", "points": "30"}]}
        )
        self.assertEqual((form.family.name if form.family else "", form.rows), ("bands", 2))
        self.assertEqual(form["item-0-threshold"].value(), "120")
        self.assertEqual(form["compare"].value(), "min")
        self.assertEqual([f.label for f in form.scalar_fields()], ["完成率口径", "分档方式", "其余得分（分）"])

    def test_the_form_gives_the_stored_rule_exactly(self) -> None:
        form = RuleForm(rule_data("ratio", {"basis": "schedule", "cap": "115"}))
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.rule, {"family": "ratio", "basis": "schedule", "cap": "1.15"})

    def test_switching_family_keeps_what_the_new_family_has(self) -> None:
        data = rule_data(
            "bands", {"basis": "schedule", "compare": "min", "else": "5"}, [{"threshold": "100", "points": "4"}]
        )
        data["rule-family"] = "ratio"
        page = self.client.post(reverse("schemes:rule_fields"), data).content.decode()
        self.assertIn('<option value="schedule" selected>', page)  # 完成率口径 kept
        self.assertIn('name="rule-cap" value="100"', page)  # ratio's own default
        self.assertNotIn("rule-item-0-threshold", page)  # bands' rows are gone
        self.assertNotIn("rule-else", page)

    def test_rows_are_added_and_removed(self) -> None:
        data = rule_data(
            "bands", {"compare": "min"}, [{"threshold": "100", "points": "4"}, {"threshold": "50", "points": "2"}]
        )
        added = self.client.post(reverse("schemes:rule_fields"), {**data, "rule-add_row": "1"}).content.decode()
        self.assertIn('name="rule-item-2-threshold"', added)
        removed = self.client.post(reverse("schemes:rule_fields"), {**data, "rule-remove_row": "0"}).content.decode()
        self.assertIn('name="rule-item-0-threshold" value="50"', removed)
        self.assertNotIn("rule-item-1-threshold", removed)

    def test_a_refused_item_is_marked_at_its_cell(self) -> None:
        form = RuleForm(
            rule_data(
                "bands",
                {"compare": "min"},
                [{"threshold": "80", "points": "75"}, {"threshold": "100", "points": "100"}],
            )
        )
        self.assertFalse(form.is_valid())
        self.assertIn("由高到低", form.errors["item-1-threshold"][0])

    def test_grades_by_rank_share(self) -> None:
        form = GradeRuleForm({
            "grade-method": "rank_share", "grade-pool": "group", "grade-rows": 1, "grade-item-0-grade": "优秀",
            "grade-item-0-top": "30", "grade-else": "合格",
        })  # fmt: skip
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.grade_rule, {"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}],
                                           "pool": "group", "else": "合格"})  # fmt: skip
        empty = GradeRuleForm({"grade-rows": 0, "grade-else": ""})
        self.assertTrue(empty.is_valid(), empty.errors)
        self.assertIsNone(empty.grade_rule)
