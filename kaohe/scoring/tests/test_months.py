"""Scoring chosen months only (YearArrays.months): for those months, exactly what the run over 1..N gives."""

from __future__ import annotations

import random
import unittest
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kaohe.scoring import (
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    InputError,
    Kind,
    Promotion,
    Scheme,
    Target,
    Veto,
    VetoEffect,
    YearArrays,
    YearData,
    YearScores,
    grade_rule_from_dict,
    score_arrays,
    score_month,
    score_year,
    to_arrays,
)
from kaohe.scoring.tests.builders import data, scheme, spec
from kaohe.scoring.tests.randomized import random_case
from kaohe.scoring.tests.test_fast import weights_and_changes_case
from kaohe.scoring.types import RELATIVE, ComboRule

D = Decimal

# Everything YearScores holds per [indicator, month, unit] and per [month, unit].
CELL_ARRAYS = ("status", "points_cents", "points_lo", "points_n", "paced_lo", "paced_n", "indicator_rank")
UNIT_ARRAYS = (
    "indicator_points_cents",
    "bonus_cents",
    "deduction_cents",
    "total_cents",
    "paced_total_cents",
    "score_on_schedule",
    "on_schedule_count",
    "behind_count",
    "not_reported_count",
    "evaluated_count",
    "rank",
    "group_rank",
    "grade",
    "promoted",
    "award_eligible",
)


def holding(arrays: YearArrays, months: tuple[int, ...]) -> YearArrays:
    """Full-run arrays cut down to the figures of `months`, as a loader reading only those months builds them."""
    k = [m - 1 for m in months]
    return replace(arrays, values=arrays.values[:, k].copy(), reported=arrays.reported[:, k].copy(), months=months)


def assert_months_same(
    tc: unittest.TestCase, s: Scheme, d: YearData, through: int, months: tuple[int, ...], label: str
) -> bool:
    """Scores of `months` alone, built two ways (arrays cut down; score_year(months=)), equal the full run's for
    those months, array by array. False when the full run rejects the data (absurd random points)."""
    arrays = to_arrays(s, d, through)
    try:
        full = score_arrays(s, arrays)
    except InputError:
        return False
    k = [m - 1 for m in months]
    parts: list[YearScores] = [
        score_arrays(s, holding(arrays, months)),
        score_year(s, d, through=through, months=months).scores,
    ]
    for part in parts:
        at = f"{label} through {through} months {months}"
        tc.assertEqual(part.months, months, at)
        tc.assertEqual(part.through, through, at)
        tc.assertEqual(part.grade_names, full.grade_names, at)
        for name in CELL_ARRAYS:
            np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[:, k], f"{at}: {name}")
        for name in UNIT_ARRAYS:
            np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[k], f"{at}: {name}")
    return True


def month_subsets(r: random.Random, through: int) -> list[tuple[int, ...]]:
    """(N,), (N − 1, N) and a random ascending subset ending at N."""
    found: list[tuple[int, ...]] = [(through,)]
    if through > 1:
        found.append((through - 1, through))
        found.append((*sorted(r.sample(range(1, through), r.randint(1, through - 1))), through))
    return found


def _exercises(s: Scheme, d: YearData, through: int, months: tuple[int, ...]) -> set[str]:
    """Which features a case puts into play for the months scored (to show the seeds are not vacuous)."""
    seen = set()
    rules = [spec.rule for spec in s.indicators]
    if any(isinstance(r, ComboRule) for r in rules):
        seen.add("combo")
    if any(isinstance(r, RELATIVE) for r in rules):
        seen.add("relative")
    if any(spec.vs_group_average for spec in s.indicators):
        seen.add("vs_group_average")
    if any(t.stages for t in d.targets.values()):
        seen.add("stages")
    if any(start <= months[-1] for t in d.targets.values() for start, _ in t.changes):
        seen.add("changes")
    if any(item.month not in months for item in d.adjustments):
        seen.add("items in months not held")
    if any(v.approved and v.month not in months for v in d.vetoes):
        seen.add("vetoes from months not held")
    if any(p.month not in months for p in d.promotions):
        seen.add("promotions from months not held")
    if s.grade_rule is not None:
        seen.add("grades")
    return seen


class TestChosenMonthsMatchFullRun(unittest.TestCase):
    @given(st.integers(0, 2**32), st.integers(0, 2**11 - 1))
    def test_random_cases_any_subset(self, seed: int, mask: int) -> None:
        s, d, through = random_case(seed)
        months = (*(m for m in range(1, through) if mask >> (m - 1) & 1), through)
        assert_months_same(self, s, d, through, months, f"seed {seed}")

    def test_fixed_seeds(self) -> None:
        seen: set[str] = set()
        compared = 0
        for seed in range(80):
            s, d, through = random_case(seed)
            for months in month_subsets(random.Random(seed), through):
                with self.subTest(seed=seed, months=months):
                    if assert_months_same(self, s, d, through, months, f"seed {seed}"):
                        compared += 1
                        seen |= _exercises(s, d, through, months)
        self.assertGreater(compared, 150)
        expected = {
            "combo",
            "relative",
            "vs_group_average",
            "stages",
            "changes",
            "items in months not held",
            "vetoes from months not held",
            "promotions from months not held",
            "grades",
        }
        self.assertEqual(seen & expected, expected)

    def test_group_weights_and_changes_at_scale(self) -> None:
        s, d = weights_and_changes_case()
        for months in ((12,), (11, 12), (1, 4, 9, 10, 12), (3, 6, 9, 12)):
            self.assertTrue(assert_months_same(self, s, d, 12, months, "scale"))
        ten = YearData({k: v for k, v in d.targets.items()}, {k: v for k, v in d.values.items() if k[2] <= 10})
        for months in ((10,), (9, 10), (4, 10)):
            self.assertTrue(assert_months_same(self, s, ten, 10, months, "scale"))


def _case() -> tuple[Scheme, YearData]:
    """Two units, items and a veto and a promotion dated in months a (9, 10) run does not hold."""
    categories = (
        AdjustmentCategory("b", AdjustmentKind.BONUS, D("3")),
        AdjustmentCategory("d", AdjustmentKind.DEDUCTION, None),
    )
    s = scheme(
        spec("x", weight="10", rule={"family": "ratio", "cap": "1.2"}),
        spec("y", Kind.COUNT, "4", {"family": "rank_points", "points": ["4", "2"], "by": "value"}),
        units=("a", "b"),
        categories=categories,
        grade_rule=grade_rule_from_dict(
            {
                "method": "bands",
                "bands": [{"min": "20", "grade": "优秀"}, {"min": "10", "grade": "良好"}],
                "else": "一般",
            }
        ),
    )
    changed = Target(D("100"), changes=((7, Target(D("80"))),))
    values = {(u, code, m): str(m * k) for m in range(1, 11) for k, u in ((8, "a"), (9, "b")) for code in "xy"}
    values["b", "x", 10] = "0"
    d = data(
        {("a", "x"): changed, ("b", "x"): "100", ("a", "y"): "5", ("b", "y"): "5"},
        values,
        adjustments=(Adjustment("a", "b", D("2"), 3), Adjustment("a", "b", D("2"), 9), Adjustment("b", "d", D("1"), 5)),
        vetoes=(Veto("b", VetoEffect.NO_AWARD, 4),),
        promotions=(Promotion("a", 2),),
    )
    return s, d


class TestYearResultAccessors(unittest.TestCase):
    def setUp(self) -> None:
        self.scheme, self.data = _case()
        self.full = score_year(self.scheme, self.data, through=10)
        self.part = score_year(self.scheme, self.data, through=10, months=(9, 10))

    def test_months_and_accessors_at_months_scored(self) -> None:
        self.assertEqual(self.full.months, tuple(range(1, 11)))
        self.assertEqual(self.part.months, (9, 10))
        self.assertEqual(self.part.scores.month_index(9), 0)
        self.assertEqual(self.part.scores.month_index(10), 1)
        for unit in ("a", "b"):
            for month in (9, 10):
                self.assertEqual(self.part.total(unit, month), self.full.total(unit, month))
                self.assertEqual(self.part.rank(unit, month), self.full.rank(unit, month))
                self.assertEqual(self.part.status(unit, "x", month), self.full.status(unit, "x", month))
            self.assertEqual(self.part.rank_change(unit, 10), self.full.rank_change(unit, 10))
        # The capped bonus counts items of months 3 and 9, the promotion of month 2, the veto of month 4.
        self.assertEqual(self.part.period(10), self.full.period(10))
        self.assertEqual(self.part.period(10).unit("a").bonus, 3)
        self.assertEqual(self.part.period(10).unit("a").grade, "优秀")  # 良好, lifted by the month-2 promotion
        self.assertTrue(self.part.period(10).unit("a").promoted)
        self.assertFalse(self.part.period(10).unit("b").award_eligible)
        self.assertFalse(bool(self.part.scores.award_eligible[1, 1]))

    def test_period_over_arrays_reads_only_the_month_held(self) -> None:
        held = holding(to_arrays(self.scheme, self.data, 10), (9, 10))
        year = score_year(self.scheme, held)
        self.assertEqual(year.months, (9, 10))
        self.assertEqual(year.period(10), self.full.period(10))
        self.assertEqual(year.period(9), score_month(self.scheme, self.data, 9))

    def test_months_not_scored_raise_key_error(self) -> None:
        for call in (
            lambda: self.part.total("a", 8),
            lambda: self.part.rank("a", 1),
            lambda: self.part.status("a", "x", 5),
            lambda: self.part.period(8),
            lambda: self.part.period(11),
            lambda: self.part.rank_change("a", 9),  # needs month 8
            lambda: self.part.rank_change("a", 7),
        ):
            with self.assertRaises(KeyError):
                call()
        with self.assertRaises(KeyError) as ctx:
            self.part.scores.month_index(8)
        self.assertIn("8月未计分", str(ctx.exception))

    def test_month_one(self) -> None:
        first = score_year(self.scheme, self.data_through(1), through=1, months=(1,))
        self.assertIsNone(first.rank_change("a", 1))
        second = score_year(self.scheme, self.data_through(2), through=2, months=(2,))
        with self.assertRaises(KeyError):
            second.rank_change("a", 2)  # month 1 not scored
        with self.assertRaises(KeyError):
            second.rank_change("a", 1)  # month 1 not scored, not even to say "no change"

    def data_through(self, month: int) -> YearData:
        d = self.data
        return YearData(
            d.targets,
            {k: v for k, v in d.values.items() if k[2] <= month},
            tuple(a for a in d.adjustments if a.month <= month),
            tuple(v for v in d.vetoes if v.month <= month),
            tuple(p for p in d.promotions if p.month <= month),
        )

    def test_values_view_maps_month_numbers(self) -> None:
        values = holding(to_arrays(self.scheme, self.data, 10), (9, 10)).to_data().values
        self.assertEqual(values["a", "x", 9], D(72))
        self.assertEqual(values["b", "y", 10], D(90))
        for month in (8, 1, 11, 0):
            self.assertNotIn(("a", "x", month), values)
        self.assertEqual({m for _, _, m in values}, {9, 10})
        self.assertEqual(len(values), 8)


class TestMonthsValidation(unittest.TestCase):
    def setUp(self) -> None:
        self.scheme, self.data = _case()
        self.arrays = to_arrays(self.scheme, self.data, 10)

    def rejects(self, arrays: YearArrays, words: str) -> None:
        with self.assertRaises(InputError) as ctx:
            score_arrays(self.scheme, arrays)
        self.assertIn(words, ctx.exception.message)

    def test_bad_months(self) -> None:
        cases: list[tuple[Any, str]] = [  # Any: some are deliberately not tuple[int, ...]
            ((10, 9), "严格递增且不重复"),
            ((10, 10), "严格递增且不重复"),
            ((9, 9, 10), "严格递增且不重复"),
            ((0, 10), "须在1–10月之间，收到 0月"),
            ((10, 11), "须在1–10月之间，收到 11月"),
            ((8, 9), "须以考核月10月结束"),
            ((9.0, 10), "须为整数"),
            ((True, 10), "须为整数"),
            ([9, 10], "须为元组"),
        ]
        for months, words in cases:
            with self.subTest(months=months):
                n = len(months)
                a = replace(
                    self.arrays,
                    values=self.arrays.values[:, :n].copy(),
                    reported=self.arrays.reported[:, :n].copy(),
                    months=months,
                )
                self.rejects(a, words)

    def test_shape_must_match_the_months(self) -> None:
        three = replace(
            self.arrays, values=self.arrays.values[:, 7:].copy(), reported=self.arrays.reported[:, 7:].copy()
        )
        self.rejects(replace(three, months=(9, 10)), "数组形状与考核方案不一致")
        self.rejects(replace(self.arrays, months=(9, 10)), "（2, 2, 2）")
        ok = holding(self.arrays, (9, 10))
        self.rejects(replace(ok, reported=self.arrays.reported), "同形")

    def test_score_year_months_argument(self) -> None:
        with self.assertRaises(InputError) as ctx:
            score_year(self.scheme, holding(self.arrays, (9, 10)), months=(9, 10))
        self.assertIn("不能另传 months", ctx.exception.message)
        with self.assertRaises(InputError) as ctx:
            score_year(self.scheme, self.data, through=10, months=(8, 9))
        self.assertIn("须以考核月10月结束", ctx.exception.message)
        with self.assertRaises(InputError):
            score_year(self.scheme, self.data, through=10, months=(9, 9, 10))
        # Data after `through` stays an error, whatever months are chosen.
        with self.assertRaises(InputError):
            score_year(self.scheme, self.data, through=9, months=(9,))

    def test_empty_months_is_every_month(self) -> None:
        self.assertEqual(self.arrays.months, ())
        self.assertEqual(self.arrays.scored_months, tuple(range(1, 11)))
        self.assertEqual(score_arrays(self.scheme, self.arrays).months, tuple(range(1, 11)))
