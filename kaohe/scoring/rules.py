"""One function per rule family, in exact arithmetic (Fraction); each returns the points and their explanation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kaohe.scoring.explain import num, pct, pts, ratio_text
from kaohe.scoring.types import (
    BandsRule,
    BasePerPpRule,
    ComboRule,
    EfficacyRule,
    GrowthVsTargetRule,
    PerEventRule,
    PerItemRule,
    PiecewisePpRule,
    RankPointsRule,
    RatioRule,
    Rule,
    ShareOfTotalRule,
    UnderMode,
)

ONE = Fraction(1)
HUNDRED = Fraction(100)


@dataclass(frozen=True, slots=True)
class Completion:
    """c = actual ÷ base, where base is the annual target or the scheduled amount (kept apart for the text)."""

    actual: Fraction
    base: Fraction

    @property
    def c(self) -> Fraction:
        return self.actual / self.base

    def text(self) -> str:
        return ratio_text(self.actual, self.base)


@dataclass(frozen=True, slots=True)
class PoolStats:
    """What a relative family needs from the unit's pool (its group, or all units)."""

    low: Fraction
    high: Fraction
    total: Fraction
    rank: int | None = None  # this unit's competition rank in the pool (rank_points)


@dataclass(frozen=True, slots=True)
class RuleInput:
    weight: Fraction
    higher: bool = True
    value: Fraction | None = None
    target: Fraction | None = None
    c: Completion | None = None  # completion on the rule's basis
    parts: tuple[tuple[Fraction, Completion], ...] = ()  # combo: (share, completion) per part
    pool: PoolStats | None = None


def apply_rule(rule: Rule, inp: RuleInput) -> tuple[Fraction, str]:
    match rule:
        case RatioRule():
            return ratio(rule, inp)
        case ComboRule():
            return combo(rule, inp)
        case BasePerPpRule():
            return base_per_pp(rule, inp)
        case PiecewisePpRule():
            return piecewise_pp(rule, inp)
        case BandsRule():
            return bands(rule, inp)
        case EfficacyRule():
            return efficacy(rule, inp)
        case RankPointsRule():
            return rank_points(rule, inp)
        case ShareOfTotalRule():
            return share_of_total(rule, inp)
        case PerItemRule():
            return per_item(rule, inp)
        case PerEventRule():
            return per_event(rule, inp)
        case GrowthVsTargetRule():
            return growth_vs_target(rule, inp)


def _c(inp: RuleInput) -> Completion:
    assert inp.c is not None, "completion-based rule scored without a target"
    return inp.c


def _steps(pp: Fraction, step: Fraction, whole: bool) -> Fraction:
    k = pp / step
    return Fraction(k.numerator // k.denominator) if whole else k


def _capped(value: Fraction, cap: Fraction | None) -> tuple[Fraction, bool]:
    if cap is not None and value > cap:
        return cap, True
    return value, False


def ratio(rule: RatioRule, inp: RuleInput) -> tuple[Fraction, str]:
    c = _c(inp)
    w, cap = inp.weight, Fraction(rule.cap)
    raw = w * c.c
    text = f"({c.text()})×{num(w)}={pts(raw)}"
    if c.c > cap:
        return w * cap, f"{text}，封顶{pts(w * cap)}"
    return raw, text


def combo(rule: ComboRule, inp: RuleInput) -> tuple[Fraction, str]:
    w, cap = inp.weight, Fraction(rule.cap)
    mixed = sum((share * c.c for share, c in inp.parts), Fraction(0))
    terms = "+".join(f"({c.text()})×{pct(share)}" for share, c in inp.parts)
    text = f"【{terms}】×{num(w)}={pts(w * mixed)}"
    if mixed > cap:
        return w * cap, f"{text}，封顶{pts(w * cap)}"
    return w * mixed, text


def base_per_pp(rule: BasePerPpRule, inp: RuleInput) -> tuple[Fraction, str]:
    c = _c(inp)
    base = inp.weight if rule.base is None else Fraction(rule.base)
    head = f"完成率{c.text()}={pct(c.c)}"
    if c.c >= 1:
        over = (c.c - 1) * HUNDRED
        k = _steps(over, Fraction(rule.over_step), rule.whole_steps)
        bonus, capped = _capped(Fraction(rule.over_points) * k, _opt(rule.max_bonus))
        text = f"{head}，超{num(over, 2)}个百分点，{num(base)}+{num(rule.over_points)}×{num(k, 2)}"
        if rule.over_step != 1:
            text += f"（每{num(rule.over_step)}个百分点）"
        points = base + bonus
        return points, f"{text}={pts(points)}" + (f"（加分封顶{num(bonus)}）" if capped else "")
    if rule.under is UnderMode.PROPORTIONAL:
        points = base * c.c
        return points, f"{head}，按完成比例计分：{num(base)}×{pct(c.c)}={pts(points)}"
    under = (1 - c.c) * HUNDRED
    k = _steps(under, Fraction(rule.under_step), rule.whole_steps)
    points = base - Fraction(rule.under_points) * k
    text = f"{head}，差{num(under, 2)}个百分点，{num(base)}−{num(rule.under_points)}×{num(k, 2)}"
    if rule.under_step != 1:
        text += f"（每{num(rule.under_step)}个百分点）"
    text += f"={pts(points)}"
    if rule.floor is not None and points < rule.floor:
        points = Fraction(rule.floor)
        text += f"，保底{pts(points)}"
    return points, text


def piecewise_pp(rule: PiecewisePpRule, inp: RuleInput) -> tuple[Fraction, str]:
    c = _c(inp).c
    total = Fraction(0)
    pieces: list[str] = []
    for seg in rule.segments:
        lower = Fraction(seg.lower)
        upper = None if seg.upper is None else Fraction(seg.upper)
        # Over 100 % a segment counts the part of [1, c] inside it; under 100 % the part of [c, 1].
        if c >= 1 and lower >= 1:
            length = max(Fraction(0), (c if upper is None else min(c, upper)) - lower)
        elif c < 1 and upper is not None and upper <= 1:
            length = max(Fraction(0), upper - max(c, lower))
        else:
            continue
        if length:
            total += Fraction(seg.per_pp) * length * HUNDRED
            pieces.append(f"{num(length * HUNDRED, 2)}个百分点×{num(seg.per_pp)}")
    text = f"完成率{_c(inp).text()}={pct(c)}，" + ("+".join(pieces) or "0") + f"={pts(total)}"
    if rule.limit is not None and abs(total) > rule.limit:
        total = Fraction(rule.limit) * (1 if total > 0 else -1)
        text += f"，限{pts(total)}"
    if rule.base:
        total += Fraction(rule.base)
        text += f"，基础分{num(rule.base)}，合计{pts(total)}"
    return total, text


def bands(rule: BandsRule, inp: RuleInput) -> tuple[Fraction, str]:
    c = _c(inp)
    head = f"完成率{c.text()}={pct(c.c)}"
    for band in rule.bands:
        if (c.c <= band.threshold) if rule.at_most else (c.c >= band.threshold):
            sign = "≤" if rule.at_most else "≥"
            return Fraction(band.points), f"{head}，{sign}{pct(band.threshold)}档，得{pts(band.points)}"
    return Fraction(rule.otherwise), f"{head}，未达任何一档，得{pts(rule.otherwise)}"


def efficacy(rule: EfficacyRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.pool is not None and inp.value is not None
    v, lo, hi = inp.value, inp.pool.low, inp.pool.high
    low, high = Fraction(rule.low), Fraction(rule.high)
    if hi == lo:
        score = high
        text = f"功效系数：各单位数值相同，得{num(high)}"
    else:
        top, gap = (v - lo, f"{num(v)}−{num(lo)}") if inp.higher else (hi - v, f"{num(hi)}−{num(v)}")
        score = low + (high - low) * top / (hi - lo)
        text = f"功效系数：{num(low)}+{num(high - low)}×({gap})÷({num(hi)}−{num(lo)})={num(score, 2)}"
    points = inp.weight * score / HUNDRED
    return points, f"{text}，×{num(inp.weight)}÷100={pts(points)}"


def rank_points(rule: RankPointsRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.pool is not None and inp.pool.rank is not None
    r = inp.pool.rank
    points = Fraction(rule.points[r - 1]) if r <= len(rule.points) else Fraction(rule.default)
    return points, f"第{r}名，得{pts(points)}"


def share_of_total(rule: ShareOfTotalRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.pool is not None and inp.value is not None
    if inp.pool.total == 0:
        return Fraction(0), "合计为0，得0"
    points = inp.weight * inp.value / inp.pool.total
    return points, f"{num(inp.weight)}×{num(inp.value)}÷{num(inp.pool.total)}={pts(points)}"


def per_item(rule: PerItemRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.value is not None
    raw = Fraction(rule.points) * inp.value
    points, capped = _capped(raw, _opt(rule.cap))
    text = f"{num(inp.value)}×{num(rule.points)}={pts(raw)}"
    return points, text + (f"，封顶{pts(points)}" if capped else "")


def per_event(rule: PerEventRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.value is not None
    base = inp.weight if rule.base is None else Fraction(rule.base)
    raw = base - Fraction(rule.points) * inp.value
    text = f"{num(base)}−{num(rule.points)}×{num(inp.value)}={pts(raw)}"
    if raw < rule.floor:
        return Fraction(rule.floor), f"{text}，扣完为止，得{pts(rule.floor)}"
    return raw, text


def growth_vs_target(rule: GrowthVsTargetRule, inp: RuleInput) -> tuple[Fraction, str]:
    assert inp.value is not None and inp.target is not None
    base = inp.weight if rule.base is None else Fraction(rule.base)
    diff = inp.value - inp.target if inp.higher else inp.target - inp.value
    head = f"实际{num(inp.value)}，目标{num(inp.target)}"
    if diff >= 0:
        k = _steps(diff, Fraction(rule.over_step), rule.whole_steps)
        bonus, capped = _capped(Fraction(rule.over_points) * k, _opt(rule.max_bonus))
        points = base + bonus
        text = f"{head}，好于目标{num(diff, 2)}个百分点，{num(base)}+{num(rule.over_points)}×{num(k, 2)}={pts(points)}"
        return points, text + (f"（加分封顶{num(bonus)}）" if capped else "")
    k = _steps(-diff, Fraction(rule.under_step), rule.whole_steps)
    penalty, capped = _capped(Fraction(rule.under_points) * k, _opt(rule.max_penalty))
    points = base - penalty
    text = f"{head}，差于目标{num(-diff, 2)}个百分点，{num(base)}−{num(rule.under_points)}×{num(k, 2)}={pts(points)}"
    return points, text + (f"（扣分封顶{num(penalty)}）" if capped else "")


def _opt(x: Decimal | None) -> Fraction | None:
    return None if x is None else Fraction(x)
