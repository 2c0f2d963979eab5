"""Chinese explanation text. Inputs are shown as entered; computed numbers rounded (ROUND_HALF_UP) for reading only."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from kaohe.scoring.display import fmt_pct, period_label, round_half_up, stage_label
from kaohe.scoring.types import Kind, Status

Number = Fraction | Decimal | int


def num(x: Number, places: int = 4) -> str:
    """Exact when it has at most `places` decimals (28, 177.7, 0.125), else rounded to `places`."""
    d = round_half_up(x, places)
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pts(x: Number) -> str:
    """Points as read out: two decimals, trailing zeros dropped (0.48, 0.5, 26)."""
    return num(x, 2)


def pct(x: Number) -> str:
    """A share as a percentage without trailing zeros: 0.5 -> '50%'."""
    return f"{num(Fraction(x) * 100, 2)}%"


def ratio_text(numerator: Number, denominator: Number) -> str:
    return f"{num(numerator)}÷{num(denominator)}"


def _pp(gap: Fraction) -> str:
    """A gap's size in percentage points, the direction being said in words (快/慢, 高于/低于)."""
    return f"{round_half_up(abs(gap), 2):.2f}个百分点"


def status_text(
    *,
    kind: Kind,
    status: Status,
    month: int,
    actual: Decimal | None,
    target: Decimal | None,
    completion: Fraction | None,
    schedule: Fraction | None,
    gap_pp: Fraction | None,
    stage: tuple[int, Fraction, Fraction, bool] | None = None,  # (stage month, amount due, 完成阶段目标, interpolated)
) -> str:
    if status is Status.NOT_EVALUATED:
        return "本期不考核"
    if status is Status.NO_TARGET:
        return "无任务" if actual is None else f"无任务，{period_label(month)}{num(actual)}"
    if status is Status.NOT_REPORTED:
        return f"{period_label(month)}未报"
    if kind in (Kind.GROWTH, Kind.RATIO):
        assert actual is not None and target is not None and gap_pp is not None
        word = "增速" if kind is Kind.GROWTH else "实际"
        side = "高于" if gap_pp >= 0 else "低于"
        return f"{word}{num(actual)}，目标{num(target)}，{side}目标{_pp(gap_pp)}，{status.label}"
    assert completion is not None and schedule is not None and gap_pp is not None
    # A combo has no single actual or target: its completion is the share-weighted mix of its parts.
    head = (
        "按权重合计"
        if actual is None or target is None
        else f"{period_label(month)}累计{num(actual)}，目标{num(target)}，"
    )
    head += f"完成{fmt_pct(completion)}，"
    if stage is not None:
        # The amount this month is measured against: the stage's target (or, interpolated, the amount due by now).
        stage_month, due, against, interpolated = stage
        measured = (
            f"按{stage_label(stage_month)}目标插值{period_label(month)}应完成{num(due, 2)}"
            if interpolated
            else f"{stage_label(stage_month)}目标{num(due, 2)}"
        )
        head += f"{measured}，完成阶段目标{fmt_pct(against)}，"
    return f"{head}序时{fmt_pct(schedule)}，{'快' if gap_pp >= 0 else '慢'}{_pp(gap_pp)}，{status.label}"
