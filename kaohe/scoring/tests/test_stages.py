"""A month measured against a 分期目标 stage: which stage, the amount due, 完成阶段目标 and its gap, in words."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from kaohe.scoring import (
    Basis,
    IndicatorSpec,
    Kind,
    RatioRule,
    Scheme,
    Stage,
    Target,
    Unit,
    YearData,
    score_period,
    stage_label,
)

STAGES = Target(Decimal(1000), stages=(Stage(6, Decimal(400)), Stage(9, Decimal(700))))  # 上半年 400, 前三季度 700


def july(*, interpolate: bool, target: Target = STAGES, actual: str = "560") -> object:
    spec = IndicatorSpec(
        code="tz", kind=Kind.CUMULATIVE, weight=Decimal(10), rule=RatioRule(basis=Basis.SCHEDULE),
        interpolate_stages=interpolate,
    )  # fmt: skip
    scheme = Scheme(indicators=(spec,), units=(Unit("t1", "g"),))
    data = YearData(targets={("t1", "tz"): target}, values={("t1", "tz", 7): Decimal(actual)})
    return score_period(scheme, data, 7).unit("t1").indicator("tz")


def test_july_is_measured_against_the_whole_前三季度_stage_when_stepped() -> None:
    cell = july(interpolate=False)
    assert (cell.stage, cell.scheduled, cell.stage_completion) == (9, Fraction(700), Fraction(4, 5))  # type: ignore[attr-defined]
    assert cell.stage_gap_pp == -20  # type: ignore[attr-defined]
    assert cell.completion == Fraction(56, 100)  # type: ignore[attr-defined]  # the annual completion stays beside it
    assert "完成56.00%，前三季度目标700，完成阶段目标80.00%" in cell.explanation  # type: ignore[attr-defined]


def test_interpolated_july_is_measured_against_the_amount_between_上半年_and_前三季度() -> None:
    cell = july(interpolate=True)
    # 400 + (700 − 400) × (7 − 6) ÷ (9 − 6) = 500 due by July; 560 ÷ 500 = 112 %.
    assert (cell.stage, cell.scheduled, cell.stage_completion) == (9, Fraction(500), Fraction(28, 25))  # type: ignore[attr-defined]
    assert cell.stage_gap_pp == 12  # type: ignore[attr-defined]
    assert "按前三季度目标插值1-7月应完成500，完成阶段目标112.00%" in cell.explanation  # type: ignore[attr-defined]


def test_without_stages_there_is_no_stage() -> None:
    cell = july(interpolate=False, target=Target(Decimal(1000)))
    assert (cell.stage, cell.stage_gap_pp) == (None, None)  # type: ignore[attr-defined]
    assert "阶段" not in cell.explanation  # type: ignore[attr-defined]


def test_after_the_last_stage_the_year_itself_is_the_stage() -> None:
    spec = IndicatorSpec(code="tz", kind=Kind.CUMULATIVE, weight=Decimal(10), rule=RatioRule())
    scheme = Scheme(indicators=(spec,), units=(Unit("t1", "g"),))
    data = YearData(targets={("t1", "tz"): STAGES}, values={("t1", "tz", 10): Decimal(800)})
    cell = score_period(scheme, data, 10).unit("t1").indicator("tz")
    assert (cell.stage, cell.scheduled) == (12, Fraction(1000))
    assert stage_label(12) == "全年" and stage_label(6) == "上半年" and stage_label(5) == "1-5月"
