"""The scheme as the engine sees it: indicators, units, categories, grade rule, tie-break; valid once built."""

from __future__ import annotations

from dataclasses import dataclass

from kaohe.scoring.schedule import validate_scheme
from kaohe.scoring.types import AdjustmentCategory, GradeRule, IndicatorSpec, TieBreak, Unit


@dataclass(frozen=True, slots=True)
class Scheme:
    indicators: tuple[IndicatorSpec, ...]
    units: tuple[Unit, ...]
    categories: tuple[AdjustmentCategory, ...] = ()
    grade_rule: GradeRule | None = None
    tie_break: TieBreak = TieBreak.NONE

    def __post_init__(self) -> None:
        validate_scheme(self)

    def indicator(self, code: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.code == code:
                return spec
        raise KeyError(code)
