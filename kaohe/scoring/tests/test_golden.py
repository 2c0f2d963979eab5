"""Every golden case of SCORING.md, digit for digit."""

from __future__ import annotations

import unittest
from collections.abc import Mapping
from fractions import Fraction

from kaohe.scoring import Kind, Status, fmt_pct, fmt_points, fmt_pp, rule_from_dict, score_period
from kaohe.scoring.rules import Completion, PoolStats, RuleInput, apply_rule
from kaohe.scoring.tests.builders import data, scheme, spec

F = Fraction


def c(x: str) -> Completion:
    """A completion given as a percentage, e.g. '96' -> 96 ÷ 100."""
    return Completion(F(x), F(100))


def points(rule: Mapping[str, object], weight: str = "1", **kw: object) -> str:
    return fmt_points(apply_rule(rule_from_dict(rule), RuleInput(weight=F(weight), **kw))[0])  # type: ignore[arg-type]


class TestGolden(unittest.TestCase):
    def test_01_ratio(self) -> None:
        self.assertEqual(points({"family": "ratio"}, "0.5", c=c("96")), "0.48")

    def test_02_ratio_with_cap(self) -> None:
        self.assertEqual(points({"family": "ratio", "cap": "1.2"}, "0.5", c=c("120")), "0.60")

    def test_03_combo(self) -> None:
        rule = rule_from_dict(
            {
                "family": "combo",
                "cap": "1",
                "parts": [{"indicator": "n", "share": "0.5"}, {"indicator": "amt", "share": "0.5"}],
            }
        )
        parts = ((F(1, 2), Completion(F(28), F(27))), (F(1, 2), Completion(F("177.7"), F(54))))
        value, text = apply_rule(rule, RuleInput(weight=F(1, 2), parts=parts))
        self.assertEqual(fmt_points(value), "0.50")
        self.assertEqual(text, "【(28÷27)×50%+(177.7÷54)×50%】×0.5=1.08，封顶0.5")

    def test_03_combo_through_the_engine(self) -> None:
        s = scheme(
            spec("n", Kind.COUNT, "0"),
            spec("amt", Kind.CUMULATIVE, "0"),
            spec(
                "deals",
                Kind.CUMULATIVE,
                "0.5",
                {
                    "family": "combo",
                    "parts": [{"indicator": "n", "share": "0.5"}, {"indicator": "amt", "share": "0.5"}],
                },
            ),
        )
        d = data({("a", "n"): "27", ("a", "amt"): "54"}, {("a", "n", 12): "28", ("a", "amt", 12): "177.7"})
        r = score_period(s, d, 12).unit("a").indicator("deals")
        self.assertEqual(fmt_points(r.points), "0.50")
        self.assertIn("【(28÷27)×50%+(177.7÷54)×50%】×0.5=1.08，封顶0.5", r.explanation)
        self.assertEqual(r.status, Status.COMPLETED)

    def test_04_base_per_pp_proportional_under(self) -> None:
        rule = {"family": "base_per_pp", "base": "20", "over_points": "0.5", "max_bonus": "10"}
        for pct, expected in [("112", "26.00"), ("130", "30.00"), ("150", "30.00"), ("85", "17.00")]:
            with self.subTest(pct):
                self.assertEqual(points(rule, c=c(pct)), expected)

    def test_05_base_per_pp_on_schedule_basis(self) -> None:
        rule = {
            "family": "base_per_pp",
            "basis": "schedule",
            "base": "300",
            "over_points": "5",
            "max_bonus": "50",
            "under": "per_pp",
            "under_points": "5",
        }
        for pct, expected in [("104", "320.00"), ("115", "350.00"), ("93", "265.00")]:
            with self.subTest(pct):
                self.assertEqual(points(rule, c=c(pct)), expected)

    def test_05_through_the_engine_against_the_monthly_plan(self) -> None:
        # 6月: plan 50 of 100; actual 52 is 4 pp above the plan number -> 320.
        rule = {
            "family": "base_per_pp",
            "basis": "schedule",
            "base": "300",
            "over_points": "5",
            "max_bonus": "50",
            "under": "per_pp",
            "under_points": "5",
        }
        s = scheme(spec("rev", rule=rule))
        r = score_period(s, data({("a", "rev"): "100"}, {("a", "rev", 6): "52"}), 6).unit("a").indicator("rev")
        self.assertEqual(fmt_points(r.points), "320.00")

    def test_06_piecewise_pp(self) -> None:
        rule = {
            "family": "piecewise_pp",
            "segments": [
                {"from": "0", "to": "1", "per_pp": "-0.1"},
                {"from": "1", "to": "1.3", "per_pp": "0.2"},
                {"from": "1.3", "per_pp": "0.1"},
            ],
            "limit": "10",
        }
        for pct, expected in [("90", "-1.00"), ("120", "4.00"), ("140", "7.00"), ("0", "-10.00")]:
            with self.subTest(pct):
                self.assertEqual(points(rule, c=c(pct)), expected)

    def test_07_bands(self) -> None:
        rule = {
            "family": "bands",
            "bands": [{"min": "1", "points": "100"}, {"min": "0.8", "points": "75"}, {"min": "0.5", "points": "50"}],
            "else": "0",
        }
        for pct, expected in [("100", "100.00"), ("79.99", "50.00"), ("49.9", "0.00")]:
            with self.subTest(pct):
                self.assertEqual(points(rule, c=c(pct)), expected)

    def test_08_efficacy(self) -> None:
        rule = {"family": "efficacy"}
        pool = PoolStats(low=F(10), high=F(40), total=F(75))
        got = [points(rule, "100", value=F(v), pool=pool) for v in (10, 25, 40)]
        self.assertEqual(got, ["60.00", "80.00", "100.00"])

    def test_08_efficacy_through_the_engine(self) -> None:
        s = scheme(spec("fdi", weight="100", rule={"family": "efficacy"}), units=("a", "b", "c"))
        d = data(values={("a", "fdi", 3): "10", ("b", "fdi", 3): "25", ("c", "fdi", 3): "40"})
        got = [fmt_points(u.indicator("fdi").points) for u in score_period(s, d, 3).units]
        self.assertEqual(got, ["60.00", "80.00", "100.00"])

    def test_09_rank_points_ties_share_the_better_rank(self) -> None:
        s = scheme(
            spec("inv", weight="60", rule={"family": "rank_points", "points": [60, 57, 54, 51, 48]}),
            units=("a", "b", "c", "d"),
        )
        d = data(values={("a", "inv", 6): "9", ("b", "inv", 6): "7", ("c", "inv", 6): "7", ("d", "inv", 6): "5"})
        result = score_period(s, d, 6)
        self.assertEqual([u.indicator("inv").rank for u in result.units], [1, 2, 2, 4])
        self.assertEqual(
            [fmt_points(u.indicator("inv").points) for u in result.units], ["60.00", "57.00", "57.00", "51.00"]
        )

    def test_10_foreign_capital_full_steps(self) -> None:
        rule = {
            "family": "base_per_pp",
            "base": "0",
            "over_points": "1",
            "over_step": "10",
            "under": "per_pp",
            "under_points": "1",
            "under_step": "5",
            "whole_steps": True,
        }
        self.assertEqual(points(rule, c=c("125")), "2.00")
        self.assertEqual(points(rule, c=c("88")), "-2.00")

    def test_11_gap_in_pp_at_month_10(self) -> None:
        s = scheme(spec("zs"), units=("a", "b"))
        d = data({("a", "zs"): "100", ("b", "zs"): "100"}, {("a", "zs", 10): "125.64", ("b", "zs", 10): "70.41"})
        result = score_period(s, d, 10)
        a, b = (result.unit(u).indicator("zs") for u in "ab")
        assert a.gap_pp is not None and b.gap_pp is not None
        self.assertEqual(fmt_pp(a.gap_pp), "+42.31个百分点")
        self.assertEqual(fmt_pp(b.gap_pp), "-12.92个百分点")
        self.assertEqual((a.status, b.status), (Status.COMPLETED, Status.BEHIND))

    def test_12_ahead_at_month_6(self) -> None:
        s = scheme(spec("inv"))
        r = score_period(s, data({("a", "inv"): "100"}, {("a", "inv", 6): "65.22"}), 6).unit("a").indicator("inv")
        assert r.completion is not None and r.gap_pp is not None
        self.assertEqual(fmt_pct(r.completion), "65.22%")
        self.assertEqual(fmt_pp(r.gap_pp), "+15.22个百分点")
        self.assertIn("快15.22个百分点", r.explanation)

    def test_13_schedule_at_month_11(self) -> None:
        s = scheme(spec("inv"))
        r = score_period(s, data({("a", "inv"): "100"}, {("a", "inv", 11): "90"}), 11).unit("a").indicator("inv")
        self.assertEqual(r.schedule, F(11, 12))
        assert r.schedule is not None
        self.assertEqual(fmt_pct(r.schedule, 1), "91.7%")

    def test_14_exactly_on_schedule(self) -> None:
        s = scheme(spec("inv"))
        r = score_period(s, data({("a", "inv"): "3"}, {("a", "inv", 6): "1.5"}), 6).unit("a").indicator("inv")
        self.assertEqual(r.status, Status.ON_SCHEDULE)
        self.assertEqual(r.completion, F(1, 2))
        self.assertEqual(r.gap_pp, 0)
