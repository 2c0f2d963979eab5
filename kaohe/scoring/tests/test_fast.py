"""The vectorised path gives exactly the reference engine's results, on random inputs."""

from __future__ import annotations

import unittest
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from kaohe.scoring import (
    IndicatorSpec,
    InputError,
    Kind,
    Scheme,
    Stage,
    Target,
    Unit,
    YearData,
    YearScores,
    rule_from_dict,
    score_month,
    score_year,
)
from kaohe.scoring.display import round_half_up
from kaohe.scoring.fast import STATUSES
from kaohe.scoring.fixedpoint import S
from kaohe.scoring.tests.randomized import random_case
from kaohe.scoring.types import Direction

D = Decimal


def _cents(x: Fraction) -> int:
    return int(round_half_up(x, 2).scaleb(2))


def assert_bracket(tc: unittest.TestCase, lo: int, n: int, x: Fraction, at: str) -> None:
    """The fixed point (lo, n) at 10^-9 holds the exact value x: lo itself when n = 0, else strictly inside."""
    if n == 0:
        tc.assertEqual(Fraction(lo), x * S, at)
    else:
        tc.assertTrue(lo < x * S < lo + n, f"{at}: {lo} {n} {x * S}")


def assert_same(tc: unittest.TestCase, seed: int) -> None:
    scheme, data, through = random_case(seed)
    assert_same_case(tc, scheme, data, through, f"seed {seed}")


def assert_same_case(
    tc: unittest.TestCase, scheme: Scheme, data: YearData, through: int, label: str
) -> YearScores | None:
    try:
        refs = [score_month(scheme, data, m, explain=False) for m in range(1, through + 1)]
    except InputError:
        # Absurd random data (points beyond 10^8) is rejected by both engines alike.
        with tc.assertRaises(InputError):
            score_year(scheme, data, through=through)
        return None
    f = score_year(scheme, data, through=through).scores
    for m, ref in enumerate(refs, start=1):
        for u, unit in enumerate(ref.units):
            where = f"{label} month {m} unit {unit.unit}"
            for i, cell in enumerate(unit.indicators):
                at = f"{where} indicator {cell.indicator}"
                tc.assertEqual(STATUSES[f.status[i, m - 1, u]], cell.status, at)
                assert_bracket(tc, int(f.points_lo[i, m - 1, u]), int(f.points_n[i, m - 1, u]), cell.points, at)
                # Exact paced points are summed as they are when a unit's total needs settling exactly.
                paced_at = f"{at} (paced)"
                assert_bracket(
                    tc, int(f.paced_lo[i, m - 1, u]), int(f.paced_n[i, m - 1, u]), cell.paced_points, paced_at
                )
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
    return f


class TestFastMatchesReference(unittest.TestCase):
    @given(st.integers(0, 2**32))
    def test_random_schemes(self, seed: int) -> None:
        assert_same(self, seed)

    def test_fixed_seeds(self) -> None:
        for seed in range(60):
            with self.subTest(seed=seed):
                assert_same(self, seed)

    def test_fixed_seeds_exercise_group_weights_and_target_changes(self) -> None:
        cases = [random_case(seed) for seed in range(60)]
        weighted = sum(
            any(len({s.weight_for(u.group) for u in sc.units}) > 1 for s in sc.indicators) for sc, _, _ in cases
        )
        changed = sum(any(m <= through for t in d.targets.values() for m, _ in t.changes) for _, d, through in cases)
        self.assertGreater(weighted, 10)
        self.assertGreater(changed, 10)


WEIGHT_DRIVEN: dict[str, dict[str, object]] = {
    "ratio": {"family": "ratio", "cap": "1.2"},
    "sched": {"family": "ratio", "basis": "schedule"},
    "bpp": {"family": "base_per_pp", "over_points": "0.5", "max_bonus": "2", "under": "per_pp", "under_points": "0.1"},
    "bpp_prop": {"family": "base_per_pp", "over_points": "0.5", "basis": "schedule"},
    "eff": {"family": "efficacy"},
    "eff_all": {"family": "efficacy", "pool": "all"},
    "share": {"family": "share_of_total"},
    "events": {"family": "per_event", "points": "0.25"},
}


def weights_and_changes_case() -> tuple[Scheme, YearData]:
    """Every weight-driven family with per-group weights, a combo, growth, and many changed targets (some twice,
    some with stages), 60 units × 12 months."""
    weights = {"g0": D("8"), "g1": D("4"), "g2": D("0.5")}
    specs = [
        IndicatorSpec(code, Kind.CUMULATIVE, D("2"), rule_from_dict(rule), group_weights=weights)
        for code, rule in WEIGHT_DRIVEN.items()
    ]
    combo = {
        "family": "combo",
        "parts": [{"indicator": "ratio", "share": "0.5"}, {"indicator": "sched", "share": "0.5"}],
    }
    specs.append(IndicatorSpec("combo", Kind.CUMULATIVE, D("3"), rule_from_dict(combo), group_weights={"g0": D("8")}))
    growth = {"family": "growth_vs_target", "over_points": "0.4", "under_points": "0.4"}
    specs.append(IndicatorSpec("growth", Kind.GROWTH, D("5"), rule_from_dict(growth), group_weights=weights))
    specs.append(
        IndicatorSpec("lower", Kind.CUMULATIVE, D("1"), None, direction=Direction.LOWER, group_weights=weights)
    )
    units = tuple(Unit(f"u{k}", f"g{k % 4}") for k in range(60))
    scheme = Scheme(tuple(specs), units)
    targets: dict[tuple[str, str], Target] = {}
    values: dict[tuple[str, str, int], Decimal] = {}
    for k, unit in enumerate(units):
        for s in specs:
            if s.code == "combo":
                continue
            growth_kind = s.kind is Kind.GROWTH
            annual = D(6 + k % 5) if growth_kind else D(100 + 7 * k)
            changes: tuple[tuple[int, Target], ...] = ()
            if k % 3 == 0:  # a third of the units get their target changed, some twice, some with stages
                later = D(4 + k % 3) if growth_kind else D(60 + 5 * k)
                stages = () if growth_kind or k % 2 else (Stage(9, (later * D("0.7")).quantize(D(1))),)
                changes = ((4 + k % 5, Target(later, stages)),)
                if k % 6 == 0:
                    changes += ((10, Target(annual + 1)),)
            targets[unit.code, s.code] = Target(annual, changes=changes)
            for m in range(1, 13):
                values[unit.code, s.code, m] = D((k * 7 + m * 3) % 13 - 2) if growth_kind else D(m * (5 + k % 11))
    return scheme, YearData(targets, values)


class TestGroupWeightsAndChangesAtScale(unittest.TestCase):
    """Every weight-driven family with per-group weights and many changed targets, vectorised and exact."""

    def test_against_the_reference(self) -> None:
        scheme, data = weights_and_changes_case()
        f = assert_same_case(self, scheme, data, 12, "scale")
        assert f is not None
        self.assertLess(f.fallbacks, 60 * 12)  # the vectorised path settles most cells itself


class TestExactUnitTotals(unittest.TestCase):
    """Tied totals with a bracketed cell must be settled exactly; only the bracketed cells go to the reference."""

    def test_tie_between_inexact_totals(self) -> None:
        bands = {"family": "bands", "bands": [{"min": "1", "points": "2"}, {"min": "0.5", "points": "1"}]}
        specs = (
            IndicatorSpec("third", Kind.CUMULATIVE, D("1"), rule_from_dict({"family": "ratio"})),  # 1 ÷ 3: inexact
            *(IndicatorSpec(f"band{k}", Kind.CUMULATIVE, D("1"), rule_from_dict(bands)) for k in range(3)),
        )
        units = tuple(Unit(code, "g") for code in ("a", "b", "c"))
        scheme = Scheme(specs, units)
        targets = {(u.code, s.code): Target(D(3) if s.code == "third" else D(10)) for u in units for s in specs}
        # a and b are identical (a real tie at 1/3 + 3), c scores less; month 12 only, so c(N) = 1 paced exactly.
        actual = {"a": ("1", "10", "6", "5"), "b": ("1", "10", "6", "5"), "c": ("1", "6", "6", "1")}
        values = {(u, s.code, 12): D(x) for u, xs in actual.items() for s, x in zip(specs, xs, strict=True)}
        f = assert_same_case(self, scheme, YearData(targets, values), 12, "tie")
        assert f is not None
        self.assertEqual(f.rank[11].tolist(), [1, 1, 3])
        self.assertEqual(f.total_cents[11].tolist(), [433, 433, 233])
        # Exactly one bracketed cell (1 ÷ 3) per tied unit asks the reference engine; the exact cells do not.
        self.assertEqual(f.fallbacks, 2)
