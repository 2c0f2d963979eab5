"""Property tests: exact decisions, caps and floors, consistent ranks, scale invariance, no target ≠ behind."""

from __future__ import annotations

import unittest
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from kaohe.scoring import ON_SCHEDULE_STATUSES, Kind, Status, score_month, score_period, score_year
from kaohe.scoring.tests.builders import data, scheme, spec
from kaohe.scoring.tests.randomized import random_case
from kaohe.scoring.types import ComboRule

amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
targets = st.decimals(min_value=Decimal("0.0001"), max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
months = st.integers(1, 12)


@st.composite
def curves(draw: Any) -> tuple[Decimal, ...] | None:
    if draw(st.booleans()):
        return None
    points = sorted(draw(st.lists(st.integers(1, 10**6), min_size=11, max_size=11)))
    return (*(Decimal(p).scaleb(-6) for p in points), Decimal(1))


class TestExactDecision(unittest.TestCase):
    @given(targets, amounts, months, curves())
    def test_on_schedule_is_the_exact_rational_comparison(
        self, target: Decimal, actual: Decimal, month: int, curve: tuple[Decimal, ...] | None
    ) -> None:
        assume(actual <= target * 10**6)
        s = scheme(spec(weight="1", rule={"family": "ratio", "basis": "schedule"}, plan_curve=curve))
        d = data({("a", "x"): str(target)}, {("a", "x", month): str(actual)})
        share = Fraction(curve[month - 1]) if curve else Fraction(month, 12)
        expected = Fraction(actual) >= Fraction(target) * share
        cell = score_period(s, d, month).unit("a").indicator("x")
        self.assertEqual(cell.status in ON_SCHEDULE_STATUSES, expected)
        self.assertEqual(score_year(s, d, through=month).status("a", "x", month) in ON_SCHEDULE_STATUSES, expected)

    @given(st.integers(1, 10**8), months)
    def test_exactly_on_schedule_is_on_schedule(self, units: int, month: int) -> None:
        target = Decimal(units * 12).scaleb(-4)  # target × N/12 is then exact with 4 decimals
        due = target * month / 12
        s = scheme(spec(rule=None))
        d = data({("a", "x"): str(target)}, {("a", "x", month): str(due)})
        self.assertIn(score_period(s, d, month).unit("a").indicator("x").status, ON_SCHEDULE_STATUSES)


BOUNDED: list[tuple[dict[str, Any], Fraction, Fraction]] = [
    ({"family": "ratio", "cap": "1.2"}, Fraction(0), Fraction(6, 5) * 3),
    ({"family": "base_per_pp", "base": "20", "over_points": "0.5", "max_bonus": "10"}, Fraction(0), Fraction(30)),
    (
        {
            "family": "base_per_pp",
            "base": "300",
            "over_points": "5",
            "max_bonus": "50",
            "under": "per_pp",
            "under_points": "5",
            "floor": "100",
            "basis": "schedule",
        },
        Fraction(100),
        Fraction(350),
    ),
    (
        {
            "family": "piecewise_pp",
            "segments": [{"from": "0", "to": "1", "per_pp": "-0.1"}, {"from": "1", "per_pp": "0.2"}],
            "limit": "10",
            "base": "5",
        },
        Fraction(-5),
        Fraction(15),
    ),
    ({"family": "per_item", "points": "2", "cap": "6"}, Fraction(0), Fraction(6)),
    ({"family": "per_event", "points": "1.5", "base": "5"}, Fraction(0), Fraction(5)),
]


class TestCapsAndFloors(unittest.TestCase):
    @given(st.integers(0, len(BOUNDED) - 1), targets, amounts, months)
    def test_points_stay_within_caps_and_floors(self, k: int, target: Decimal, actual: Decimal, month: int) -> None:
        assume(actual <= target * 1000)
        rule, low, high = BOUNDED[k]
        s = scheme(spec(weight="3", kind=Kind.COUNT, rule=rule))
        d = data({("a", "x"): str(target)}, {("a", "x", month): str(actual)})
        points = score_period(s, d, month).unit("a").indicator("x").points
        self.assertTrue(low <= points <= high, f"{rule} gave {points}")
        lo = int(score_year(s, d, through=month).scores.points_lo[0, month - 1, 0])
        self.assertTrue(low * 10**9 <= lo <= high * 10**9)

    @given(st.decimals(min_value=-50, max_value=50, places=2), st.decimals(min_value=-20, max_value=20, places=2))
    def test_growth_points_within_bonus_and_penalty_caps(self, growth: Decimal, target: Decimal) -> None:
        rule = {
            "family": "growth_vs_target",
            "base": "5",
            "over_points": "0.4",
            "under_points": "0.7",
            "max_bonus": "2",
            "max_penalty": "3",
        }
        s = scheme(spec(kind=Kind.GROWTH, rule=rule))
        points = score_period(s, data({("a", "x"): str(target)}, {("a", "x", 3): str(growth)}), 3).units[0].total
        self.assertTrue(2 <= points <= 7)


SCALE_INVARIANT: list[dict[str, Any]] = [
    {"family": "ratio", "cap": "1.2", "basis": "schedule"},
    {"family": "base_per_pp", "over_points": "0.5", "max_bonus": "2", "under": "per_pp", "under_points": "1"},
    {
        "family": "piecewise_pp",
        "segments": [{"from": "0", "to": "1", "per_pp": "-0.1"}, {"from": "1", "per_pp": "0.2"}],
    },
    {"family": "bands", "bands": [{"min": "1", "points": "3"}, {"min": "0.5", "points": "1"}]},
]


class TestScaleInvariance(unittest.TestCase):
    @given(st.integers(0, len(SCALE_INVARIANT) - 1), targets, amounts, months, st.integers(2, 1000))
    def test_scaling_values_and_targets_changes_nothing(
        self, k: int, target: Decimal, actual: Decimal, month: int, factor: int
    ) -> None:
        assume(target * factor < 10**12 and actual * factor < 10**12 and actual <= target * 10**6)
        s = scheme(spec(weight="4", rule=SCALE_INVARIANT[k]))

        def cell(scale: int) -> tuple[Status, Fraction]:
            d = data({("a", "x"): str(target * scale)}, {("a", "x", month): str(actual * scale)})
            c = score_period(s, d, month).unit("a").indicator("x")
            return c.status, c.points

        self.assertEqual(cell(1), cell(factor))


class TestRandomSchemes(unittest.TestCase):
    @given(st.integers(0, 2**32))
    def test_ranks_follow_totals_and_no_target_is_never_behind(self, seed: int) -> None:
        s, d, through = random_case(seed)
        for month in range(1, through + 1):
            result = score_month(s, d, month, explain=False)
            for a in result.units:
                for cell in a.indicators:
                    combo = isinstance(s.indicator(cell.indicator).rule, ComboRule)
                    if (a.unit, cell.indicator) not in d.targets and not combo:
                        self.assertIn(cell.status, (Status.NO_TARGET, Status.NOT_EVALUATED))
                for b in result.units:
                    key_a, key_b = (a.total, a.on_schedule_count), (b.total, b.on_schedule_count)
                    if s.tie_break.value == "none":
                        key_a, key_b = (a.total, 0), (b.total, 0)
                    if key_a > key_b:
                        self.assertLess(a.rank, b.rank)
                    elif key_a == key_b:
                        self.assertEqual(a.rank, b.rank)
                        if a.group == b.group:
                            self.assertEqual(a.group_rank, b.group_rank)
                    if a.group == b.group and key_a > key_b:
                        self.assertLess(a.group_rank, b.group_rank)
            ranks = sorted(u.rank for u in result.units)
            self.assertEqual(ranks[0], 1)
