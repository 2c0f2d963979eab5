"""Grades (等次) by score bands or by rank share, with 直接晋档 and vetoes."""

from __future__ import annotations

from fractions import Fraction

from kaohe.scoring.types import GradeMethod, GradeRule


def base_grade(rule: GradeRule, *, total: Fraction, rank: int, pool_size: int) -> str:
    """Bands: the first band whose minimum the total reaches. Rank share: the first step with rank ≤ share × n
    (tied units share a rank, so a tie on the boundary lets all of them in)."""
    for step in rule.steps:
        if rule.method is GradeMethod.BANDS:
            if total >= step.threshold:
                return step.grade
        elif rank <= Fraction(step.threshold) * pool_size:
            return step.grade
    return rule.otherwise


def promote(rule: GradeRule, grade: str) -> str:
    """直接晋档: one step up the ladder; the top grade stays."""
    ladder = rule.ladder
    return ladder[max(ladder.index(grade) - 1, 0)]
