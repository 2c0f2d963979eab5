"""The vectorised path gives exactly the reference engine's results, on random inputs."""

from __future__ import annotations

import unittest
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.scoring import InputError, score_month, score_year
from kaohe.scoring.display import round_half_up
from kaohe.scoring.fast import STATUSES
from kaohe.scoring.fixedpoint import S
from kaohe.scoring.tests.randomized import random_case


def _cents(x: Fraction) -> int:
    return int(round_half_up(x, 2).scaleb(2))


def assert_same(tc: unittest.TestCase, seed: int) -> None:
    scheme, data, through = random_case(seed)
    try:
        refs = [score_month(scheme, data, m, explain=False) for m in range(1, through + 1)]
    except InputError:
        # Absurd random data (points beyond 10^8) is rejected by both engines alike.
        with tc.assertRaises(InputError):
            score_year(scheme, data, through=through)
        return
    f = score_year(scheme, data, through=through).scores
    for m, ref in enumerate(refs, start=1):
        for u, unit in enumerate(ref.units):
            where = f"seed {seed} month {m} unit {unit.unit}"
            for i, cell in enumerate(unit.indicators):
                at = f"{where} indicator {cell.indicator}"
                tc.assertEqual(STATUSES[f.status[i, m - 1, u]], cell.status, at)
                lo, n = int(f.points_lo[i, m - 1, u]), int(f.points_n[i, m - 1, u])
                x = cell.points * S
                if n == 0:
                    tc.assertEqual(Fraction(lo), x, at)
                else:
                    tc.assertTrue(lo < x < lo + n, f"{at}: {lo} {n} {x}")
                tc.assertEqual(int(f.points_cents[i, m - 1, u]), _cents(cell.points), at)
                tc.assertEqual(int(f.indicator_rank[i, m - 1, u]) or None, cell.rank, at)
            tc.assertEqual(int(f.total_cents[m - 1, u]), _cents(unit.total), where)
            tc.assertEqual(int(f.indicator_points_cents[m - 1, u]), _cents(unit.indicator_points), where)
            tc.assertEqual(int(f.bonus_cents[m - 1, u]), _cents(unit.bonus), where)
            tc.assertEqual(int(f.deduction_cents[m - 1, u]), _cents(unit.deduction), where)
            tc.assertEqual(int(f.paced_total_cents[m - 1, u]), _cents(unit.paced_total), where)
            tc.assertEqual(bool(f.score_on_schedule[m - 1, u]), unit.score_on_schedule, where)
            tc.assertEqual(int(f.on_schedule_count[m - 1, u]), unit.on_schedule_count, where)
            tc.assertEqual(int(f.behind_count[m - 1, u]), unit.behind_count, where)
            tc.assertEqual(int(f.not_reported_count[m - 1, u]), unit.not_reported_count, where)
            tc.assertEqual(int(f.rank[m - 1, u]), unit.rank, where)
            tc.assertEqual(int(f.group_rank[m - 1, u]), unit.group_rank, where)
            grade = None if f.grade[m - 1, u] < 0 else f.grade_names[f.grade[m - 1, u]]
            tc.assertEqual(grade, unit.grade, where)
            tc.assertEqual(bool(f.promoted[m - 1, u]), unit.promoted, where)
            tc.assertEqual(bool(f.award_eligible[m - 1, u]), unit.award_eligible, where)


class TestFastMatchesReference(unittest.TestCase):
    @settings(max_examples=150, deadline=None)
    @given(st.integers(0, 2**32))
    def test_random_schemes(self, seed: int) -> None:
        assert_same(self, seed)

    def test_fixed_seeds(self) -> None:
        for seed in range(60):
            with self.subTest(seed=seed):
                assert_same(self, seed)
