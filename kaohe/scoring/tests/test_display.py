"""Rounding happens once, at presentation, ROUND_HALF_UP, from exact values."""

from __future__ import annotations

import unittest
from decimal import Decimal
from fractions import Fraction

from kaohe.scoring import exact_decimal, fmt_pct, fmt_points, fmt_pp, period_label, round_half_up, stage_label
from kaohe.scoring.ranking import competition_ranks, group_ranks

F = Fraction


class TestDisplay(unittest.TestCase):
    def test_half_up_away_from_zero(self) -> None:
        self.assertEqual(fmt_points(F(5, 1000)), "0.01")
        self.assertEqual(fmt_points(F(-5, 1000)), "-0.01")
        self.assertEqual(fmt_points(F(4999, 1000000)), "0.00")
        self.assertEqual(fmt_points(Decimal("2.675")), "2.68")  # a float would say 2.67

    def test_formats(self) -> None:
        self.assertEqual(fmt_pct(F(11, 12), 1), "91.7%")
        self.assertEqual(fmt_pct(F(1, 12)), "8.33%")
        self.assertEqual(fmt_pp(F(1522, 100)), "+15.22个百分点")
        self.assertEqual(fmt_pp(F(-1292, 100)), "-12.92个百分点")
        self.assertEqual(fmt_pp(F(0)), "0.00个百分点")
        self.assertEqual(round_half_up(F(1, 3), 4), Decimal("0.3333"))

    def test_exact_decimal_for_json(self) -> None:
        self.assertEqual(exact_decimal(F(1, 2)), Decimal("0.5"))
        self.assertEqual(str(exact_decimal(F(1, 12))), "0.08333333333333333333333333333")
        self.assertEqual(len(exact_decimal(F(11, 12)).as_tuple().digits), 28)


class TestPeriods(unittest.TestCase):
    def test_january_alone_is_1月_and_later_months_run_from_january(self) -> None:
        self.assertEqual([period_label(m) for m in (1, 2, 10, 12)], ["1月", "1-2月", "1-10月", "1-12月"])
        self.assertEqual(stage_label(1), "1月")  # a stage in January is that month, never 1-1月
        self.assertEqual(stage_label(6), "上半年")


class TestRanking(unittest.TestCase):
    def test_competition_ranks(self) -> None:
        self.assertEqual(competition_ranks({"a": 9, "b": 7, "c": 7, "d": 5}), {"a": 1, "b": 2, "c": 2, "d": 4})
        self.assertEqual(competition_ranks({"a": 9, "b": 7, "c": 7}, higher_better=False), {"a": 3, "b": 1, "c": 1})

    def test_tuples_carry_a_tie_break(self) -> None:
        self.assertEqual(competition_ranks({"a": (7, 1), "b": (7, 3), "c": (7, 3)}), {"a": 3, "b": 1, "c": 1})

    def test_group_ranks(self) -> None:
        ranks = group_ranks({"a": 1, "b": 5, "c": 3}, {"a": "g1", "b": "g2", "c": "g2"})
        self.assertEqual(ranks, {"a": 1, "b": 1, "c": 2})
