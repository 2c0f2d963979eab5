"""The vectorised path decides exactly at every threshold: figures on a cap, a band, a segment bound, a limit or the
schedule, and one figure step (≤ 10^-6 of the target) either side, score as in the reference engine."""

from __future__ import annotations

import unittest
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kaohe.scoring import IndicatorSpec, Kind, Scheme, Target, Unit, YearData, rule_from_dict
from kaohe.scoring.tests.randomized import boundary_case
from kaohe.scoring.tests.test_fast import assert_same_case

D = Decimal

PIECEWISE: list[dict[str, str]] = [
    {"from": "0.5", "to": "1", "per_pp": "-0.1"},
    {"from": "1", "to": "1.3", "per_pp": "0.2"},
    {"from": "1.3", "per_pp": "0.1"},
]


def one_indicator(rule: dict[str, object], figures: list[str], target: str = "10000") -> tuple[Scheme, YearData]:
    """One cumulative indicator of weight 10 with the given rule; unit k reports figures[k] in December."""
    specs: tuple[IndicatorSpec, ...] = (IndicatorSpec("x", Kind.CUMULATIVE, D(10), rule_from_dict(rule)),)
    units = tuple(Unit(f"u{k}", "g") for k in range(len(figures)))
    data = YearData({(u.code, "x"): Target(D(target)) for u in units},
                    {(u.code, "x", 12): D(f) for u, f in zip(units, figures, strict=True)})  # fmt: skip
    return Scheme(specs, units), data


class TestBoundarySeekingDifferential(unittest.TestCase):
    @given(st.integers(0, 2**32))
    def test_random_schemes_on_their_thresholds(self, seed: int) -> None:
        scheme, data, through = boundary_case(seed)
        assert_same_case(self, scheme, data, through, f"boundary seed {seed}")

    def test_fixed_seeds(self) -> None:
        for seed in range(80):
            with self.subTest(seed=seed):
                scheme, data, through = boundary_case(seed)
                assert_same_case(self, scheme, data, through, f"boundary seed {seed}")


class TestCapsAndLimitsAreExact(unittest.TestCase):
    """Each case sits a hair's breadth past a cap or limit: a threshold checked with any slack scores it wrong."""

    def cells(self, scheme: Scheme, data: YearData) -> list[int]:
        f = assert_same_case(self, scheme, data, 12, "edge")
        assert f is not None
        return [int(x) for x in f.points_lo[0, 11]]

    def test_a_ratio_just_past_its_cap_earns_the_cap(self) -> None:
        # 12,000.01 ÷ 10,000 = 1.200001 > cap 1.2: the points stay at 10 × 1.2 = 12.
        scheme, data = one_indicator({"family": "ratio", "cap": "1.2"}, ["12000", "12000.01", "12005", "11999.99"])
        self.assertEqual(self.cells(scheme, data), [12 * 10**9, 12 * 10**9, 12 * 10**9, 11_999_990_000])

    def test_a_combo_just_past_its_cap_earns_the_cap(self) -> None:
        parts = [{"indicator": "a", "share": "0.5"}, {"indicator": "b", "share": "0.5"}]
        combo = rule_from_dict({"family": "combo", "cap": "1.2", "parts": parts})
        specs = (
            IndicatorSpec("combo", Kind.CUMULATIVE, D(10), combo),
            IndicatorSpec("a", Kind.CUMULATIVE, D(0), rule_from_dict({"family": "ratio", "cap": "2"})),
            IndicatorSpec("b", Kind.CUMULATIVE, D(0), rule_from_dict({"family": "ratio", "cap": "2"})),
        )  # fmt: skip
        units = (Unit("on", "g"), Unit("past", "g"), Unit("below", "g"))
        figures = {"on": "12000", "past": "12050", "below": "11999.99"}
        data = YearData({(u.code, p): Target(D(10000)) for u in units for p in ("a", "b")},
                        {(u.code, p, 12): D(figures[u.code]) for u in units for p in ("a", "b")})  # fmt: skip
        f = assert_same_case(self, Scheme(specs, units), data, 12, "combo")
        assert f is not None
        self.assertEqual([int(x) for x in f.points_lo[0, 11]], [12 * 10**9, 12 * 10**9, 11_999_990_000])

    def test_a_piecewise_total_just_past_its_limit_stops_at_the_limit(self) -> None:
        # limit 3 is reached at 115 % (15 pp × 0.2): 115.02 % (3.004 raw) still earns 3, and 69.95 % (−3.005 raw)
        # loses only 3; a limit checked with a slack of 1/100 lets both through.
        rule: dict[str, object] = {"family": "piecewise_pp", "limit": "3", "segments": PIECEWISE}
        scheme, data = one_indicator(rule, ["11500", "11502", "11499.99", "6995", "7000"])
        self.assertEqual(self.cells(scheme, data), [3 * 10**9, 3 * 10**9, 2_999_980_000, -3 * 10**9, -3 * 10**9])
