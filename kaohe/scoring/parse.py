"""Parse and validate rules, plan curves and grade rules from their stored (JSON) form.

Numbers may be JSON integers or strings in decimal notation ("1.2", "-0.1"). JSON floats are rejected: a float has
already lost exactness by the time it reaches us, and a scoring rule must mean exactly what the admin typed. At most
6 decimal places, so every constant is an exact integer in the fixed-point fast path. Every problem raises
`RuleError(field, message)` with a Chinese message naming the field, at parse time, never at scoring time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from kaohe.scoring.errors import RuleError
from kaohe.scoring.types import (
    Band,
    BandsRule,
    BasePerPpRule,
    Basis,
    ComboPart,
    ComboRule,
    EfficacyRule,
    GradeMethod,
    GradeRule,
    GradeStep,
    GrowthVsTargetRule,
    Measure,
    PerEventRule,
    PerItemRule,
    PiecewisePpRule,
    Pool,
    RankPointsRule,
    RatioRule,
    Rule,
    Segment,
    ShareOfTotalRule,
    UnderMode,
)

MAX_PLACES = 6
MAX_CONSTANT = Decimal(10) ** 9
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
E = TypeVar("E", bound=StrEnum)


def parse_number(raw: object, field: str, *, places: int = MAX_PLACES) -> Decimal:
    """An exact Decimal from a JSON int or decimal string; anything else is a RuleError."""
    if isinstance(raw, bool):
        raise RuleError(field, "须为数值，不能是 true/false")
    if isinstance(raw, float):
        raise RuleError(field, f'数值须写成字符串或整数（如 "{raw!r}"），不接受 JSON 浮点数，以免二进制误差')
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal) and raw.is_finite():
        value = raw
    elif isinstance(raw, str) and _NUMBER.fullmatch(raw):
        value = Decimal(raw)
    else:
        raise RuleError(field, f"须为整数或十进制数字字符串，收到 {raw!r}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise RuleError(field, f"最多 {places} 位小数，收到 {raw}")
    if abs(value) >= MAX_CONSTANT:
        raise RuleError(field, f"绝对值须小于10^9，收到 {raw}")
    return value


class _Reader:
    """Reads the keys of one JSON object, remembering which were used so unknown keys can be rejected."""

    def __init__(self, data: object, prefix: str) -> None:
        if not isinstance(data, Mapping):
            raise RuleError(prefix or "rule", "须为 JSON 对象")
        self.data: Mapping[str, Any] = data
        self.prefix = prefix
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def raw(self, key: str) -> Any:
        self.used.add(key)
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def number(self, key: str, default: Decimal | None = None, *, minimum: Decimal | None = None) -> Decimal:
        value = self.optional(key, minimum=minimum)
        if value is None:
            if default is None:
                raise RuleError(self.name(key), "缺少此项")
            return default
        return value

    def optional(self, key: str, *, minimum: Decimal | None = None, positive: bool = False) -> Decimal | None:
        raw = self.raw(key)
        if raw is None:
            return None
        value = parse_number(raw, self.name(key))
        if positive and value <= 0:
            raise RuleError(self.name(key), f"须大于0，收到 {value}")
        if minimum is not None and value < minimum:
            raise RuleError(self.name(key), f"不能小于 {minimum}，收到 {value}")
        return value

    def positive(self, key: str, default: Decimal | None = None) -> Decimal:
        value = self.optional(key, positive=True)
        if value is None:
            if default is None:
                raise RuleError(self.name(key), "缺少此项")
            return default
        return value

    def choice(self, key: str, enum: type[E], default: E) -> E:
        raw = self.raw(key)
        if raw is None:
            return default
        try:
            return enum(raw)
        except ValueError:
            allowed = "、".join(m.value for m in enum)
            raise RuleError(self.name(key), f"须为 {allowed} 之一，收到 {raw!r}") from None

    def flag(self, key: str, default: bool = False) -> bool:
        raw = self.raw(key)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            raise RuleError(self.name(key), f"须为 true 或 false，收到 {raw!r}")
        return raw

    def items(self, key: str) -> Sequence[Any]:
        raw = self.raw(key)
        if not isinstance(raw, list) or not raw:
            raise RuleError(self.name(key), "须为非空列表")
        return raw

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise RuleError(self.name(unknown[0]), "未知字段")


ZERO = Decimal(0)


def _ratio(r: _Reader) -> RatioRule:
    return RatioRule(basis=r.choice("basis", Basis, Basis.ANNUAL), cap=r.positive("cap", Decimal(1)))


def _combo(r: _Reader) -> ComboRule:
    parts = []
    for i, raw in enumerate(r.items("parts")):
        p = _Reader(raw, r.name(f"parts[{i}]"))
        code = p.raw("indicator")
        if not isinstance(code, str) or not code:
            raise RuleError(p.name("indicator"), "须为指标代码")
        parts.append(ComboPart(indicator=code, share=p.positive("share")))
        p.done()
    if len({p.indicator for p in parts}) != len(parts):
        raise RuleError(r.name("parts"), "同一指标不能出现两次")
    if sum(p.share for p in parts) != 1:
        raise RuleError(r.name("parts"), f"各部分 share 之和须为1，现为 {sum(p.share for p in parts)}")
    return ComboRule(
        parts=tuple(parts), basis=r.choice("basis", Basis, Basis.ANNUAL), cap=r.positive("cap", Decimal(1))
    )


def _base_per_pp(r: _Reader) -> BasePerPpRule:
    under = r.choice("under", UnderMode, UnderMode.PROPORTIONAL)
    rule = BasePerPpRule(
        basis=r.choice("basis", Basis, Basis.ANNUAL),
        base=r.optional("base"),
        over_points=r.number("over_points", ZERO, minimum=ZERO),
        over_step=r.positive("over_step", Decimal(1)),
        max_bonus=r.optional("max_bonus", minimum=ZERO),
        under=under,
        under_points=r.number("under_points", ZERO, minimum=ZERO),
        under_step=r.positive("under_step", Decimal(1)),
        floor=r.optional("floor"),
        whole_steps=r.flag("whole_steps"),
    )
    if under is UnderMode.PROPORTIONAL and (rule.under_points or rule.floor is not None):
        raise RuleError(
            r.name("under"), "按完成百分比计分（proportional）时不能设 under_points/floor，请设 under 为 per_pp"
        )
    return rule


def _piecewise(r: _Reader) -> PiecewisePpRule:
    segments: list[Segment] = []
    for i, raw in enumerate(r.items("segments")):
        s = _Reader(raw, r.name(f"segments[{i}]"))
        lower = s.number("from", minimum=ZERO)
        upper = s.optional("to")
        seg = Segment(lower=lower, upper=upper, per_pp=s.number("per_pp"))
        s.done()
        if upper is not None and upper <= lower:
            raise RuleError(s.name("to"), f"须大于 from（{lower}）")
        if lower < 1 and (upper is None or upper > 1):
            raise RuleError(s.name("to"), "分段不能跨越100%（1），请在1处拆成两段")
        if segments:
            prev = segments[-1]
            if prev.upper is None or lower < prev.upper:
                raise RuleError(s.name("from"), "分段须按从低到高排列且不重叠")
        segments.append(seg)
    rule = PiecewisePpRule(
        segments=tuple(segments),
        basis=r.choice("basis", Basis, Basis.ANNUAL),
        limit=r.optional("limit", positive=True),
        base=r.number("base", ZERO),
    )
    return rule


def _bands(r: _Reader) -> BandsRule:
    bands: list[Band] = []
    at_most: bool | None = None
    for i, raw in enumerate(r.items("bands")):
        b = _Reader(raw, r.name(f"bands[{i}]"))
        this_max = b.has("max")
        if b.has("min") == this_max:
            raise RuleError(b.name("min"), "每档须且只能设 min（达到）或 max（不超过）之一")
        if at_most is not None and at_most != this_max:
            raise RuleError(b.name("max" if this_max else "min"), "各档须统一用 min 或统一用 max")
        at_most = this_max
        threshold = b.number("max" if this_max else "min", minimum=ZERO)
        band = Band(threshold=threshold, points=b.number("points"))
        b.done()
        if bands:
            prev = bands[-1].threshold
            if (this_max and threshold <= prev) or (not this_max and threshold >= prev):
                order = "由低到高" if this_max else "由高到低"
                raise RuleError(b.name("max" if this_max else "min"), f"档次须{order}排列且不重复（上一档 {prev}）")
        bands.append(band)
    return BandsRule(
        bands=tuple(bands),
        at_most=bool(at_most),
        basis=r.choice("basis", Basis, Basis.ANNUAL),
        otherwise=r.number("else", ZERO),
    )


def _efficacy(r: _Reader) -> EfficacyRule:
    low = r.number("low", Decimal(60), minimum=ZERO)
    high = r.number("high", Decimal(100))
    if high <= low:
        raise RuleError(r.name("high"), f"须大于 low（{low}）")
    return EfficacyRule(pool=r.choice("pool", Pool, Pool.GROUP), low=low, high=high)


def _rank_points(r: _Reader) -> RankPointsRule:
    points = tuple(parse_number(p, r.name(f"points[{i}]")) for i, p in enumerate(r.items("points")))
    return RankPointsRule(
        points=points,
        default=r.number("default", ZERO),
        by=r.choice("by", Measure, Measure.VALUE),
        pool=r.choice("pool", Pool, Pool.GROUP),
    )


def _share(r: _Reader) -> ShareOfTotalRule:
    return ShareOfTotalRule(pool=r.choice("pool", Pool, Pool.GROUP))


def _per_item(r: _Reader) -> PerItemRule:
    return PerItemRule(points=r.number("points"), cap=r.optional("cap", minimum=ZERO))


def _per_event(r: _Reader) -> PerEventRule:
    return PerEventRule(points=r.positive("points"), base=r.optional("base"), floor=r.number("floor", ZERO))


def _growth(r: _Reader) -> GrowthVsTargetRule:
    return GrowthVsTargetRule(
        base=r.optional("base"),
        over_points=r.number("over_points", ZERO, minimum=ZERO),
        over_step=r.positive("over_step", Decimal(1)),
        under_points=r.number("under_points", ZERO, minimum=ZERO),
        under_step=r.positive("under_step", Decimal(1)),
        whole_steps=r.flag("whole_steps"),
        max_bonus=r.optional("max_bonus", minimum=ZERO),
        max_penalty=r.optional("max_penalty", minimum=ZERO),
    )


_FAMILIES: Mapping[str, Callable[[_Reader], Rule]] = {
    "ratio": _ratio,
    "combo": _combo,
    "base_per_pp": _base_per_pp,
    "piecewise_pp": _piecewise,
    "bands": _bands,
    "efficacy": _efficacy,
    "rank_points": _rank_points,
    "share_of_total": _share,
    "per_item": _per_item,
    "per_event": _per_event,
    "growth_vs_target": _growth,
}
RULE_FAMILIES: tuple[str, ...] = tuple(_FAMILIES)  # every family a stored rule may name


def rule_from_dict(data: object) -> Rule:
    """Build a rule from its stored JSON form, e.g. {"family": "ratio", "cap": "1.2", "basis": "annual"}."""
    r = _Reader(data, "")
    family = r.raw("family")
    if family not in _FAMILIES:
        raise RuleError("family", f"未知的计分方法 {family!r}，可选：{'、'.join(_FAMILIES)}")
    rule = _FAMILIES[str(family)](r)
    r.done()
    return rule


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The stored form of a rule (numbers as strings); rule_from_dict(rule_to_dict(r)) == r."""
    out: dict[str, Any] = {"family": rule.family}
    names = {"lower": "from", "upper": "to", "otherwise": "else"}
    for key in (f.name for f in fields(rule)):  # instance fields only: family and label are ClassVars
        value = getattr(rule, key)
        if key == "at_most" or value is None:
            continue
        if key == "bands":
            word = "max" if getattr(rule, "at_most", False) else "min"
            value = [{word: str(b.threshold), "points": str(b.points)} for b in value]
        elif key in ("parts", "segments"):
            value = [
                {names.get(k, k): _json(getattr(x, k)) for k in x.__dataclass_fields__ if getattr(x, k) is not None}
                for x in value
            ]
        out[names.get(key, key)] = _json(value)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def plan_curve_from_list(data: object, field: str = "plan_curve") -> tuple[Decimal, ...]:
    """分月计划: 12 cumulative fractions, each > 0, non-decreasing, ending at exactly 1."""
    if not isinstance(data, list) or len(data) != 12:
        raise RuleError(field, "须为12个月的累计比例列表")
    curve = tuple(parse_number(v, f"{field}[{i}]") for i, v in enumerate(data))
    check_plan_curve(curve, field)
    return curve


def check_plan_curve(curve: Sequence[Decimal], field: str = "plan_curve") -> None:
    if len(curve) != 12:
        raise RuleError(field, "须为12个月的累计比例列表")
    for i, p in enumerate(curve):
        # p(N) = 0 would make the scheduled amount 0 and "completion against schedule" undefined.
        if not 0 < p <= 1:
            raise RuleError(f"{field}[{i}]", f"{i + 1}月累计比例须大于0且不超过1，收到 {p}")
        if i and p < curve[i - 1]:
            raise RuleError(f"{field}[{i}]", f"累计比例不能下降（{i}月 {curve[i - 1]}，{i + 1}月 {p}）")
    if curve[11] != 1:
        raise RuleError(f"{field}[11]", f"12月累计比例须为1，收到 {curve[11]}")


def grade_rule_from_dict(data: object) -> GradeRule:
    """Grades by score bands ({"method": "bands", "bands": [{"min": "90", "grade": "优秀"}, …], "else": "一般"})
    or by rank share ({"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}, …], "else": "合格"})."""
    r = _Reader(data, "")
    method = r.choice("method", GradeMethod, GradeMethod.BANDS)
    key, word = ("bands", "min") if method is GradeMethod.BANDS else ("shares", "top")
    steps: list[GradeStep] = []
    for i, raw in enumerate(r.items(key)):
        s = _Reader(raw, r.name(f"{key}[{i}]"))
        threshold = s.number(word)
        grade = s.raw("grade")
        s.done()
        if not isinstance(grade, str) or not grade:
            raise RuleError(s.name("grade"), "须为等次名称")
        if method is GradeMethod.RANK_SHARE and not 0 < threshold <= 1:
            raise RuleError(s.name(word), f"须在0到1之间，收到 {threshold}")
        if steps:
            prev = steps[-1].threshold
            if (method is GradeMethod.BANDS and threshold >= prev) or (
                method is GradeMethod.RANK_SHARE and threshold <= prev
            ):
                order = "由高到低" if method is GradeMethod.BANDS else "由小到大"
                raise RuleError(s.name(word), f"须{order}排列且不重复（上一档 {prev}）")
        steps.append(GradeStep(threshold=threshold, grade=grade))
    otherwise = r.raw("else")
    if not isinstance(otherwise, str) or not otherwise:
        raise RuleError("else", "须为其余单位的等次名称")
    fail = r.raw("fail")
    if fail is not None and (not isinstance(fail, str) or not fail):
        raise RuleError("fail", "须为等次名称")
    rule = GradeRule(
        method=method,
        steps=tuple(steps),
        otherwise=otherwise,
        fail=fail or "不合格",
        pool=r.choice("pool", Pool, Pool.ALL),
    )
    r.done()
    if len(set(rule.ladder)) != len(rule.ladder):
        raise RuleError(key, "等次名称不能重复")
    return rule
