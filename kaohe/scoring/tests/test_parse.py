"""Rules, plan curves and grade rules are validated when parsed, with Chinese messages naming the field."""

from __future__ import annotations

import json
import unittest
from decimal import Decimal
from typing import Any

from kaohe.scoring import RuleError, grade_rule_from_dict, plan_curve_from_list, rule_from_dict, rule_to_dict
from kaohe.scoring.types import BandsRule, BasePerPpRule, GradeMethod, RatioRule

EVERY_FAMILY: list[dict[str, Any]] = [
    {"family": "ratio", "basis": "annual", "cap": "1.2"},
    {"family": "combo", "cap": 1, "parts": [{"indicator": "n", "share": "0.5"}, {"indicator": "amt", "share": "0.5"}]},
    {"family": "base_per_pp", "base": "20", "over_points": "0.5", "max_bonus": "10"},
    {
        "family": "base_per_pp",
        "basis": "schedule",
        "base": 300,
        "over_points": 5,
        "max_bonus": 50,
        "under": "per_pp",
        "under_points": 5,
        "floor": "0",
    },
    {
        "family": "piecewise_pp",
        "segments": [{"from": "0", "to": "1", "per_pp": "-0.1"}, {"from": "1", "per_pp": "0.2"}],
        "limit": "10",
    },
    {"family": "bands", "bands": [{"min": "1", "points": 100}, {"min": "0.8", "points": 75}], "else": "0"},
    {"family": "bands", "bands": [{"max": "1", "points": 10}, {"max": "1.2", "points": 5}]},
    {"family": "efficacy", "pool": "all"},
    {"family": "rank_points", "points": [60, 57, 54, 51, 48], "default": "40", "by": "completion"},
    {"family": "share_of_total"},
    {"family": "per_item", "points": "2", "cap": "6"},
    {"family": "per_event", "points": "1.5", "base": "5"},
    {"family": "growth_vs_target", "over_points": "0.4", "under_points": "0.4", "max_bonus": "2", "whole_steps": True},
]


class TestRuleFromDict(unittest.TestCase):
    def test_every_family_parses_and_round_trips(self) -> None:
        for d in EVERY_FAMILY:
            with self.subTest(d["family"]):
                rule = rule_from_dict(d)
                self.assertEqual(rule.family, d["family"])
                stored = json.loads(json.dumps(rule_to_dict(rule)))
                self.assertEqual(rule_from_dict(stored), rule)

    def test_numbers_are_exact_decimals(self) -> None:
        rule = rule_from_dict({"family": "ratio", "cap": "1.2"})
        assert isinstance(rule, RatioRule)
        self.assertEqual(rule.cap, Decimal("1.2"))

    def test_defaults(self) -> None:
        rule = rule_from_dict({"family": "base_per_pp"})
        assert isinstance(rule, BasePerPpRule)
        self.assertIsNone(rule.base)  # the indicator's weight
        self.assertEqual(rule.over_step, 1)

    def assert_rejected(self, d: Any, field: str, words: str = "") -> RuleError:
        with self.assertRaises(RuleError) as ctx:
            rule_from_dict(d)
        self.assertEqual(ctx.exception.field, field)
        self.assertIn(field, ctx.exception.message)
        self.assertIn(words, ctx.exception.message)
        return ctx.exception

    def test_it_rejects_json_floats(self) -> None:
        self.assert_rejected({"family": "ratio", "cap": 1.2}, "cap", '"1.2"')

    def test_it_rejects_booleans_as_numbers(self) -> None:
        self.assert_rejected({"family": "ratio", "cap": True}, "cap", "true/false")

    def test_it_rejects_text_that_is_not_a_number(self) -> None:
        for raw in ["1,2", "1e3", " 1", "NaN", "", "1."]:
            with self.subTest(raw):
                self.assert_rejected({"family": "ratio", "cap": raw}, "cap")

    def test_it_rejects_more_than_six_decimals(self) -> None:
        self.assert_rejected({"family": "ratio", "cap": "1.0000001"}, "cap", "6 位小数")

    def test_it_rejects_an_unknown_family(self) -> None:
        self.assert_rejected({"family": "magic"}, "family", "未知的计分方法")

    def test_it_rejects_unknown_fields(self) -> None:
        self.assert_rejected({"family": "ratio", "capp": "1"}, "capp", "未知字段")

    def test_it_rejects_a_bad_basis(self) -> None:
        self.assert_rejected({"family": "ratio", "basis": "monthly"}, "basis", "annual")

    def test_it_rejects_non_positive_caps(self) -> None:
        self.assert_rejected({"family": "ratio", "cap": "0"}, "cap", "大于0")

    def test_bands_out_of_order(self) -> None:
        bands = [{"min": "0.8", "points": 75}, {"min": "1", "points": 100}]
        self.assert_rejected({"family": "bands", "bands": bands}, "bands[1].min", "由高到低")
        bands = [{"max": "1.2", "points": 5}, {"max": "1", "points": 10}]
        self.assert_rejected({"family": "bands", "bands": bands}, "bands[1].max", "由低到高")

    def test_bands_mixing_min_and_max(self) -> None:
        bands = [{"min": "1", "points": 100}, {"max": "0.8", "points": 75}]
        self.assert_rejected({"family": "bands", "bands": bands}, "bands[1].max", "统一")

    def test_bands_are_kept_in_order(self) -> None:
        rule = rule_from_dict({"family": "bands", "bands": [{"min": "1", "points": 1}, {"min": "0.5", "points": 0}]})
        assert isinstance(rule, BandsRule)
        self.assertEqual([b.threshold for b in rule.bands], [Decimal(1), Decimal("0.5")])

    def test_combo_shares_must_sum_to_one(self) -> None:
        parts = [{"indicator": "n", "share": "0.5"}, {"indicator": "amt", "share": "0.4"}]
        self.assert_rejected({"family": "combo", "parts": parts}, "parts", "之和须为1")

    def test_combo_parts_need_an_indicator(self) -> None:
        self.assert_rejected({"family": "combo", "parts": [{"share": "1"}]}, "parts[0].indicator")

    def test_piecewise_segments_must_not_overlap_or_straddle_100(self) -> None:
        segs = [{"from": "1", "to": "1.3", "per_pp": "0.2"}, {"from": "1.2", "per_pp": "0.1"}]
        self.assert_rejected({"family": "piecewise_pp", "segments": segs}, "segments[1].from", "不重叠")
        segs = [{"from": "0.9", "to": "1.1", "per_pp": "0.2"}]
        self.assert_rejected({"family": "piecewise_pp", "segments": segs}, "segments[0].to", "100%")

    def test_proportional_under_takes_no_under_points(self) -> None:
        self.assert_rejected({"family": "base_per_pp", "under_points": "5"}, "under", "per_pp")

    def test_efficacy_needs_high_above_low(self) -> None:
        self.assert_rejected({"family": "efficacy", "low": "60", "high": "60"}, "high")

    def test_rank_points_need_points(self) -> None:
        self.assert_rejected({"family": "rank_points", "points": []}, "points", "非空列表")

    def test_a_rule_must_be_an_object(self) -> None:
        self.assert_rejected(["ratio"], "rule", "JSON 对象")


class TestPlanCurve(unittest.TestCase):
    CURVE = ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "1"]

    def test_a_good_curve(self) -> None:
        self.assertEqual(plan_curve_from_list(self.CURVE)[5], Decimal("0.5"))

    def test_it_must_not_decrease(self) -> None:
        curve = [*self.CURVE]
        curve[4] = "0.25"
        with self.assertRaises(RuleError) as ctx:
            plan_curve_from_list(curve)
        self.assertEqual(ctx.exception.field, "plan_curve[4]")
        self.assertIn("不能下降", ctx.exception.message)

    def test_it_must_end_at_one(self) -> None:
        with self.assertRaises(RuleError) as ctx:
            plan_curve_from_list([*self.CURVE[:11], "0.99"])
        self.assertEqual(ctx.exception.field, "plan_curve[11]")
        self.assertIn("须为1", ctx.exception.message)

    def test_it_needs_twelve_months_above_zero(self) -> None:
        with self.assertRaises(RuleError):
            plan_curve_from_list(self.CURVE[:11])
        with self.assertRaises(RuleError) as ctx:
            plan_curve_from_list(["0", *self.CURVE[1:]])
        self.assertEqual(ctx.exception.field, "plan_curve[0]")


class TestGradeRule(unittest.TestCase):
    def test_bands(self) -> None:
        rule = grade_rule_from_dict(
            {"method": "bands", "bands": [{"min": "90", "grade": "优秀"}, {"min": 80, "grade": "良好"}], "else": "一般"}
        )
        self.assertEqual(rule.ladder, ("优秀", "良好", "一般"))
        self.assertEqual(rule.fail, "不合格")

    def test_rank_share(self) -> None:
        rule = grade_rule_from_dict(
            {"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}], "else": "合格"}
        )
        self.assertIs(rule.method, GradeMethod.RANK_SHARE)

    def test_bands_out_of_order(self) -> None:
        with self.assertRaises(RuleError) as ctx:
            grade_rule_from_dict(
                {"bands": [{"min": "80", "grade": "良好"}, {"min": "90", "grade": "优秀"}], "else": "一般"}
            )
        self.assertEqual(ctx.exception.field, "bands[1].min")

    def test_shares_between_zero_and_one(self) -> None:
        with self.assertRaises(RuleError) as ctx:
            grade_rule_from_dict({"method": "rank_share", "shares": [{"top": "30", "grade": "优秀"}], "else": "合格"})
        self.assertEqual(ctx.exception.field, "shares[0].top")

    def test_needs_a_grade_for_the_rest(self) -> None:
        with self.assertRaises(RuleError) as ctx:
            grade_rule_from_dict({"bands": [{"min": "90", "grade": "优秀"}]})
        self.assertEqual(ctx.exception.field, "else")
