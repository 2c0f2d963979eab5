"""序时进度: which months an indicator is judged in, s(N), staged targets, and input validation."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING

from kaohe.scoring.errors import InputError, RuleError
from kaohe.scoring.parse import check_plan_curve
from kaohe.scoring.types import (
    KIND_LABELS,
    BandsRule,
    BasePerPpRule,
    ComboRule,
    Direction,
    EfficacyRule,
    Frequency,
    GroupWeights,
    GrowthVsTargetRule,
    IndicatorSpec,
    Kind,
    PerEventRule,
    PerItemRule,
    PiecewisePpRule,
    RankPointsRule,
    RatioRule,
    Rule,
    ShareOfTotalRule,
    Target,
    YearData,
)

if TYPE_CHECKING:
    from kaohe.scoring.scheme import Scheme

MONTHS = range(1, 13)
QUARTER_ENDS = frozenset({3, 6, 9, 12})
MAX_VALUE = Decimal(10) ** 13  # values and targets: up to 10^12 with 4 decimal places, checked with margin
VALUE_PLACES = 4
MAX_COMPLETION = 10**6  # actual ÷ target beyond a million times is a data error (a target typed in the wrong unit)
MAX_POINTS = Decimal(10) ** 8  # per indicator, and for bonus/deduction items and caps

# Which families make sense for which kinds. Ratio-type families read "c = value ÷ target"; for a lower-is-better
# indicator more would mean better, so those families are only for higher-is-better indicators.
_FOR_VOLUMES = (
    RatioRule,
    ComboRule,
    BasePerPpRule,
    PiecewisePpRule,
    BandsRule,
    EfficacyRule,
    RankPointsRule,
    ShareOfTotalRule,
    PerItemRule,
    PerEventRule,
)
_ALLOWED: dict[Kind, tuple[type, ...]] = {
    Kind.CUMULATIVE: _FOR_VOLUMES,
    Kind.COUNT: _FOR_VOLUMES,
    Kind.ANNUAL: _FOR_VOLUMES,
    Kind.RATIO: (
        RatioRule,
        BasePerPpRule,
        PiecewisePpRule,
        BandsRule,
        EfficacyRule,
        RankPointsRule,
        GrowthVsTargetRule,
    ),
    Kind.GROWTH: (GrowthVsTargetRule, EfficacyRule, RankPointsRule),
}
_HIGHER_ONLY = (RatioRule, ComboRule, BasePerPpRule, PiecewisePpRule, ShareOfTotalRule, PerItemRule)


def evaluation_months(spec: IndicatorSpec) -> frozenset[int]:
    if spec.kind is Kind.ANNUAL or spec.frequency is Frequency.ANNUAL:
        return frozenset({12})
    if spec.frequency is Frequency.QUARTERLY:
        return QUARTER_ENDS
    return frozenset(MONTHS)


def schedule_fraction(spec: IndicatorSpec, month: int) -> Fraction:
    """s(N): N/12, or the plan curve p(N). Levels, growth rates and annual tasks are due in full (1)."""
    if spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
        return Fraction(1)
    if spec.plan_curve is not None:
        return Fraction(spec.plan_curve[month - 1])
    return Fraction(month, 12)


def stage_month(spec: IndicatorSpec, target: Target, month: int) -> int | None:
    """The stage month N falls in (the end of its 分期目标 period: 9 for July when stages end at 6 and 9; 12 after
    the last stage), when the unit's target in force has staged targets; None when month N is scheduled by s(N)."""
    target = target.at(month)
    if not target.stages or spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
        return None
    return next((s.month for s in target.stages if month <= s.month), 12)


def scheduled_amount(spec: IndicatorSpec, target: Target, month: int) -> Fraction:
    """The amount due by the end of month N: target × s(N), or the unit's staged target (分期目标), from the target
    in force in month N (任务调整)."""
    target = target.at(month)
    annual = Fraction(target.annual)
    if not target.stages or spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
        return annual * schedule_fraction(spec, month)
    ends = [(0, Fraction(0)), *((s.month, Fraction(s.amount)) for s in target.stages)]
    if ends[-1][0] != 12:
        ends.append((12, annual))
    for (m0, a0), (m1, a1) in pairwise(ends):
        if month <= m1:
            if not spec.interpolate_stages:
                return a1
            return a0 + (a1 - a0) * Fraction(month - m0, m1 - m0)
    raise AssertionError("month beyond 12")  # pragma: no cover - months are validated


def check_amount(value: Decimal, what: str) -> None:
    if not value.is_finite():
        raise InputError(f"{what}不是有效数值：{value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > VALUE_PLACES:
        raise InputError(f"{what}最多 {VALUE_PLACES} 位小数，收到 {value}")
    if abs(value) >= MAX_VALUE:
        raise InputError(f"{what}超出范围（绝对值须小于10^13）：{value}")


def check_target(spec: IndicatorSpec, unit: str, target: Target) -> None:
    what = f"单位 {unit} 指标 {spec.code} 的目标"
    _check_one_target(spec, what, target)
    previous = 1
    for entry in target.changes:
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], Target)):
            raise InputError(f"{what}：任务调整须为（月份, 目标）对，收到 {entry!r}")
        month, changed = entry
        if isinstance(month, bool) or not isinstance(month, int) or not previous < month <= 12:
            raise InputError(f"{what}：任务调整的起始月份须在2–12月之间且逐次递增，收到 {month!r}月")
        if changed.changes:
            raise InputError(f"{what}：{month}月起的调整后目标不能再含任务调整")
        _check_one_target(spec, f"{what}（{month}月起调整后）", changed)
        previous = month


def _check_one_target(spec: IndicatorSpec, what: str, target: Target) -> None:
    check_amount(target.annual, what)
    # A growth target may be 0 or negative (增速不低于-5%); every other target is an amount or level to reach.
    if spec.kind is not Kind.GROWTH and target.annual <= 0:
        raise InputError(f"{what}须大于0，收到 {target.annual}")
    if not target.stages:
        return
    if spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
        raise InputError(f"{what}：只有累计量和个数指标可设分期目标")
    previous_month, previous_amount = 0, Decimal(0)
    for stage in target.stages:
        check_amount(stage.amount, f"{what}（{stage.month}月分期目标）")
        if not previous_month < stage.month <= 12:
            raise InputError(f"{what}：分期目标的月份须在1–12月之间且递增，收到 {stage.month}月")
        if stage.amount <= 0:
            raise InputError(f"{what}：{stage.month}月分期目标须大于0，收到 {stage.amount}")
        if stage.amount < previous_amount:
            raise InputError(f"{what}：分期目标不能下降（{previous_amount} → {stage.amount}）")
        if stage.amount > target.annual:
            raise InputError(f"{what}：{stage.month}月分期目标 {stage.amount} 超过全年目标 {target.annual}")
        previous_month, previous_amount = stage.month, stage.amount
    if previous_month == 12 and previous_amount != target.annual:
        raise InputError(f"{what}：12月分期目标 {previous_amount} 须等于全年目标 {target.annual}")


def _check_rule(spec: IndicatorSpec, rule: Rule, codes: dict[str, IndicatorSpec]) -> None:
    where = f"指标 {spec.code}"
    if not isinstance(rule, _ALLOWED[spec.kind]):
        raise InputError(f"{where}：{KIND_LABELS[spec.kind]}类指标不能用“{rule.label}”计分")
    if spec.direction is Direction.LOWER and isinstance(rule, _HIGHER_ONLY):
        raise InputError(f"{where}：越低越好的指标不能用“{rule.label}”计分（完成率越高得分越高）")
    if isinstance(rule, BandsRule) and rule.at_most != (spec.direction is Direction.LOWER):
        raise InputError(f"{where}：越高越好的指标用 min 档，越低越好的指标用 max 档")
    if isinstance(rule, ComboRule):
        if spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
            raise InputError(f"{where}：“组合完成率”只用于累计量或个数指标")
        for part in rule.parts:
            other = codes.get(part.indicator)
            if other is None:
                raise InputError(f"{where}：组合计分引用了不存在的指标 {part.indicator}")
            if other.kind not in (Kind.CUMULATIVE, Kind.COUNT) or isinstance(other.rule, ComboRule):
                raise InputError(f"{where}：组合计分的组成指标 {part.indicator} 须为累计量或个数指标，且本身不是组合")
            if other.direction is Direction.LOWER:
                raise InputError(f"{where}：组合计分的组成指标 {part.indicator} 须为越高越好")


def check_spec(spec: IndicatorSpec) -> None:
    where = f"指标 {spec.code}"
    if not spec.code:
        raise InputError("指标代码不能为空")
    if not spec.weight.is_finite() or spec.weight < 0:
        raise InputError(f"{where}：权重不能小于0，收到 {spec.weight}")
    if spec.weight > MAX_POINTS:
        raise InputError(f"{where}：权重不能超过10^8，收到 {spec.weight}")
    exponent = spec.weight.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise InputError(f"{where}：权重最多6位小数，收到 {spec.weight}")
    if spec.vs_group_average and spec.kind not in (Kind.GROWTH, Kind.RATIO):
        raise InputError(f"{where}：只有增速和比率指标可比较组平均")
    groups: set[object] = set()
    gw = spec.group_weights
    for entry in gw.pairs if isinstance(gw, GroupWeights) else tuple(gw.items()):
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)):
            raise InputError(f"{where}：分组权重须为（分组, 权重）对，收到 {entry!r}")
        group, weight = entry
        if group in groups:
            raise InputError(f"{where}：分组 {group} 的权重重复")
        groups.add(group)
        if not isinstance(weight, Decimal):
            raise InputError(f"{where}：分组 {group} 的权重须为十进制数（Decimal），收到 {weight!r}")
        if not weight.is_finite() or weight < 0:
            raise InputError(f"{where}：分组 {group} 的权重不能小于0，收到 {weight}")
        if weight > MAX_POINTS:
            raise InputError(f"{where}：分组 {group} 的权重不能超过10^8，收到 {weight}")
        exponent = weight.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -6:
            raise InputError(f"{where}：分组 {group} 的权重最多6位小数，收到 {weight}")
    if spec.kind is Kind.ANNUAL and spec.frequency is Frequency.QUARTERLY:
        raise InputError(f"{where}：年度指标不能按季度考核")
    if spec.plan_curve is not None:
        if spec.kind not in (Kind.CUMULATIVE, Kind.COUNT):
            raise InputError(f"{where}：只有累计量和个数指标可设分月计划")
        try:
            check_plan_curve(spec.plan_curve, f"{spec.code}.plan_curve")
        except RuleError as exc:
            raise InputError(f"{where}：{exc.message}") from None


def validate_scheme(scheme: Scheme) -> None:
    codes: dict[str, IndicatorSpec] = {}
    for spec in scheme.indicators:
        check_spec(spec)
        if spec.code in codes:
            raise InputError(f"指标代码重复：{spec.code}")
        codes[spec.code] = spec
    for spec in scheme.indicators:
        if spec.rule is not None:
            _check_rule(spec, spec.rule, codes)
    used_groups = {u.group for u in scheme.units}
    for spec in scheme.indicators:
        for group in spec.group_weights:
            if group not in used_groups:
                raise InputError(f"指标 {spec.code}：分组权重引用了未知的分组 {group}（没有单位属于该组）")
    _unique((u.code for u in scheme.units), "单位代码")
    if any(not u.code for u in scheme.units):
        raise InputError("单位代码不能为空")
    _unique((c.code for c in scheme.categories), "加扣分类别代码")
    for category in scheme.categories:
        if category.cap is not None and not 0 <= category.cap <= MAX_POINTS:
            raise InputError(f"加扣分类别 {category.code} 的上限须在0到10^8之间，收到 {category.cap}")
        exponent = category.cap.as_tuple().exponent if category.cap is not None else 0
        if isinstance(exponent, int) and exponent < -6:
            raise InputError(f"加扣分类别 {category.code} 的上限最多6位小数")


def _unique(codes: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise InputError(f"{what}重复：{code}")
        seen.add(code)


def validate_data(scheme: Scheme, data: YearData, through: int) -> None:
    """Reject anything the engine would otherwise have to guess about; nothing is silently clamped."""
    if not 1 <= through <= 12:
        raise InputError(f"考核月份须在1–12之间，收到 {through}")
    specs = {s.code: s for s in scheme.indicators}
    units = {u.code for u in scheme.units}
    for (unit, code), target in data.targets.items():
        if unit not in units or code not in specs:
            raise InputError(f"目标引用了未知的单位或指标：{unit} / {code}")
        if isinstance(specs[code].rule, ComboRule):
            raise InputError(f"组合指标 {code} 不设目标，目标设在各组成指标上")
        check_target(specs[code], unit, target)
    for (unit, code, month), value in data.values.items():
        if unit not in units or code not in specs:
            raise InputError(f"数据引用了未知的单位或指标：{unit} / {code}")
        if not 1 <= month <= 12:
            raise InputError(f"单位 {unit} 指标 {code} 的数据月份须在1–12之间，收到 {month}")
        if month > through:
            raise InputError(f"单位 {unit} 指标 {code} 有{month}月的数据，晚于考核期{through}月")
        if isinstance(specs[code].rule, ComboRule):
            raise InputError(f"组合指标 {code} 不填数据，数据填在各组成指标上")
        check_amount(value, f"单位 {unit} 指标 {code} {month}月的数据")
        if value < 0 and specs[code].kind is not Kind.GROWTH:
            raise InputError(f"单位 {unit} 指标 {code} {month}月的数据不能为负：{value}")
        given = data.targets.get((unit, code))
        due = None if given is None else given.at(month)
        if due is not None and specs[code].kind is not Kind.GROWTH and value > due.annual * MAX_COMPLETION:
            raise InputError(
                f"单位 {unit} 指标 {code} {month}月的数据 {value} 超过目标 {due.annual} 的10^6倍，请核对单位"
            )
    check_events(scheme, data, through)


def check_events(scheme: Scheme, data: YearData, through: int) -> None:
    """Bonus/deduction items, vetoes and promotions: known units and categories, dated within the period."""
    units = {u.code for u in scheme.units}
    categories = {c.code: c for c in scheme.categories}
    for item in data.adjustments:
        if item.unit not in units or item.category not in categories:
            raise InputError(f"加扣分项引用了未知的单位或类别：{item.unit} / {item.category}")
        _check_month(item.month, through, f"单位 {item.unit} 的加扣分项")
        check_amount(item.points, f"单位 {item.unit} 的加扣分项分值")
        if not 0 < item.points <= MAX_POINTS:
            raise InputError(
                f"单位 {item.unit} 的加扣分项分值须大于0且不超过10^8（加或减由类别决定），收到 {item.points}"
            )
    for veto in data.vetoes:
        if veto.unit not in units:
            raise InputError(f"一票否决引用了未知的单位：{veto.unit}")
        _check_month(veto.month, through, f"单位 {veto.unit} 的一票否决")
    for promotion in data.promotions:
        if promotion.unit not in units:
            raise InputError(f"直接晋档引用了未知的单位：{promotion.unit}")
        _check_month(promotion.month, through, f"单位 {promotion.unit} 的直接晋档")


def _check_month(month: int, through: int, what: str) -> None:
    if not 1 <= month <= 12:
        raise InputError(f"{what}的月份须在1–12之间，收到 {month}")
    if month > through:
        raise InputError(f"{what}在{month}月生效，晚于考核期{through}月")
