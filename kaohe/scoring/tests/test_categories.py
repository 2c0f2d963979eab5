"""Category subtotals (指标类别小计): Σ the category's exact indicator points, rounded half-up once."""

from __future__ import annotations

import random
import unittest
from dataclasses import replace
from fractions import Fraction

from kaohe.scoring import round_half_up, score_month, score_year
from kaohe.scoring.tests.builders import data, scheme, spec
from kaohe.scoring.tests.randomized import random_case


class CategorySubtotals(unittest.TestCase):
    def test_the_sum_of_exact_points_is_rounded_once(self) -> None:
        # Each indicator scores 1 × 1 ÷ 3 = 0.333…, shown 0.33; the two together are 0.666… → 0.67, not 0.66.
        ratio = {"family": "ratio", "basis": "annual", "cap": "1"}
        s = scheme(
            spec("a", rule=ratio, category="jj"), spec("b", rule=ratio, category="jj"),
            spec("c", rule=ratio, category="xm"),
        )  # fmt: skip
        d = data(
            targets={("a", code): "3" for code in "abc"},
            values={("a", code, 1): "1" for code in "abc"},
        )
        scores = score_year(s, d, through=1).scores
        self.assertEqual(list(scores.category_cents), ["jj", "xm"])
        self.assertEqual(int(scores.category_cents["jj"][0, 0]), 67)
        self.assertEqual(int(scores.category_cents["xm"][0, 0]), 33)
        self.assertEqual(int(scores.points_cents[0, 0, 0]) + int(scores.points_cents[1, 0, 0]), 66)

    def test_random_schemes_agree_with_the_reference_engine(self) -> None:
        for seed in range(60):
            s, d, through = random_case(seed)
            r = random.Random(seed)
            s = replace(s, indicators=tuple(replace(x, category=r.choice("pq")) for x in s.indicators))
            scores = score_year(s, d, through=through).scores
            for month in range(1, through + 1):
                period = score_month(s, d, month)
                for u, unit in enumerate(s.units):
                    result = period.unit(unit.code)
                    for code, cents in scores.category_cents.items():
                        exact = sum(
                            (Fraction(c.points) for c, x in zip(result.indicators, s.indicators, strict=True)
                             if x.category == code),
                            Fraction(0),
                        )  # fmt: skip
                        shown = int(round_half_up(exact, 2).scaleb(2))
                        self.assertEqual(int(cents[month - 1, u]), shown, (seed, month, unit.code, code))
