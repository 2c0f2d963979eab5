"""Frozen dataclasses the engine takes in and gives back.

Inputs carry `Decimal` (what the database stores, exact); results carry `Fraction` for every computed quantity
(completion 28/27 or schedule 11/12 has no finite decimal form). `kaohe.scoring.display` rounds them for people,
`exact_decimal()` turns them into a 28-significant-digit `Decimal` for JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar


class Kind(StrEnum):
    CUMULATIVE = "cumulative"  # 累计量: 1–N月累计 against the annual target
    COUNT = "count"  # 个数/户数, judged like a cumulative volume
    GROWTH = "growth"  # 增速 in %, judged against the target growth
    RATIO = "ratio"  # 比率/水平, judged against the target level
    ANNUAL = "annual"  # 年度指标: judged once, at month 12


KIND_LABELS: dict[Kind, str] = {
    Kind.CUMULATIVE: "累计量",
    Kind.COUNT: "个数",
    Kind.GROWTH: "增速",
    Kind.RATIO: "比率/水平",
    Kind.ANNUAL: "年度指标",
}  # the engine's own messages name kinds as users know them

VOLUME_KINDS = frozenset({Kind.CUMULATIVE, Kind.COUNT, Kind.ANNUAL})


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"  # 越低越好, e.g. an accident-death control figure


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class Status(StrEnum):
    ON_SCHEDULE = "on_schedule"
    BEHIND = "behind"
    COMPLETED = "completed"
    NOT_REPORTED = "not_reported"
    NO_TARGET = "no_target"
    NOT_EVALUATED = "not_evaluated"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: Mapping[Status, str] = {
    Status.ON_SCHEDULE: "达序时",
    Status.BEHIND: "欠序时",
    Status.COMPLETED: "已完成全年",
    Status.NOT_REPORTED: "未报",
    Status.NO_TARGET: "无任务",
    Status.NOT_EVALUATED: "本期不考核",
}
# Statuses that count as "evaluated" in the 序时 counts (未报/无任务/本期不考核 never do).
EVALUATED = frozenset({Status.ON_SCHEDULE, Status.BEHIND, Status.COMPLETED})
ON_SCHEDULE = frozenset({Status.ON_SCHEDULE, Status.COMPLETED})


class Basis(StrEnum):
    ANNUAL = "annual"  # c = actual ÷ annual target
    SCHEDULE = "schedule"  # c = actual ÷ scheduled amount (target × s(N), or the staged target)


class Pool(StrEnum):
    GROUP = "group"  # relative families compare a unit with the units of its own group
    ALL = "all"


class Measure(StrEnum):
    VALUE = "value"
    COMPLETION = "completion"


class UnderMode(StrEnum):
    PROPORTIONAL = "proportional"  # 按完成百分比计分: base × c
    PER_PP = "per_pp"  # base − points per pp under


class VetoEffect(StrEnum):
    ZERO_TOTAL = "zero_total"  # 总分计0
    FAIL_GRADE = "fail_grade"  # 等次定为不合格
    NO_AWARD = "no_award"  # 不得参加评优 (rank kept, marked)


VETO_LABELS: Mapping[VetoEffect, str] = {
    VetoEffect.ZERO_TOTAL: "一票否决：总分计0",
    VetoEffect.FAIL_GRADE: "一票否决：等次不合格",
    VetoEffect.NO_AWARD: "一票否决：不得评优",
}


class AdjustmentKind(StrEnum):
    BONUS = "bonus"
    DEDUCTION = "deduction"


class TieBreak(StrEnum):
    NONE = "none"
    ON_SCHEDULE_COUNT = "on_schedule_count"  # more indicators on schedule ranks first


class GradeMethod(StrEnum):
    BANDS = "bands"
    RANK_SHARE = "rank_share"


# --- rules (one dataclass per family; parse.rule_from_dict builds them from JSON) ---------------------------------


@dataclass(frozen=True, slots=True)
class RatioRule:
    family: ClassVar[str] = "ratio"
    label: ClassVar[str] = "完成率×分值"
    basis: Basis = Basis.ANNUAL
    cap: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class ComboPart:
    indicator: str
    share: Decimal


@dataclass(frozen=True, slots=True)
class ComboRule:
    family: ClassVar[str] = "combo"
    label: ClassVar[str] = "组合完成率"
    parts: tuple[ComboPart, ...]
    basis: Basis = Basis.ANNUAL
    cap: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class BasePerPpRule:
    family: ClassVar[str] = "base_per_pp"
    label: ClassVar[str] = "基本分+每百分点增减"
    basis: Basis = Basis.ANNUAL
    base: Decimal | None = None  # None: the indicator's weight
    over_points: Decimal = Decimal(0)  # points per `over_step` pp above 100 %
    over_step: Decimal = Decimal(1)
    max_bonus: Decimal | None = None
    under: UnderMode = UnderMode.PROPORTIONAL
    under_points: Decimal = Decimal(0)
    under_step: Decimal = Decimal(1)
    floor: Decimal | None = None
    whole_steps: bool = False  # count only full steps ("每超10%加1分")


@dataclass(frozen=True, slots=True)
class Segment:
    lower: Decimal  # completion fraction where the segment starts ("from")
    upper: Decimal | None  # where it ends ("to"); None: open above
    per_pp: Decimal  # signed points per percentage point inside the segment


@dataclass(frozen=True, slots=True)
class PiecewisePpRule:
    family: ClassVar[str] = "piecewise_pp"
    label: ClassVar[str] = "分段每百分点增减"
    segments: tuple[Segment, ...]
    basis: Basis = Basis.ANNUAL
    limit: Decimal | None = None  # total clamped to ±limit
    base: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Band:
    threshold: Decimal
    points: Decimal


@dataclass(frozen=True, slots=True)
class BandsRule:
    family: ClassVar[str] = "bands"
    label: ClassVar[str] = "分档计分"
    bands: tuple[Band, ...]  # "min" bands strictly descending, or "max" bands strictly ascending
    at_most: bool = False  # True for "max" bands (lower is better)
    basis: Basis = Basis.ANNUAL
    otherwise: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class EfficacyRule:
    family: ClassVar[str] = "efficacy"
    label: ClassVar[str] = "效能计分"
    pool: Pool = Pool.GROUP
    low: Decimal = Decimal(60)
    high: Decimal = Decimal(100)


@dataclass(frozen=True, slots=True)
class RankPointsRule:
    family: ClassVar[str] = "rank_points"
    label: ClassVar[str] = "按名次计分"
    points: tuple[Decimal, ...]
    default: Decimal = Decimal(0)
    by: Measure = Measure.VALUE
    pool: Pool = Pool.GROUP


@dataclass(frozen=True, slots=True)
class ShareOfTotalRule:
    family: ClassVar[str] = "share_of_total"
    label: ClassVar[str] = "按占全区比重计分"
    pool: Pool = Pool.GROUP


@dataclass(frozen=True, slots=True)
class PerItemRule:
    family: ClassVar[str] = "per_item"
    label: ClassVar[str] = "按项计分"
    points: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PerEventRule:
    family: ClassVar[str] = "per_event"
    label: ClassVar[str] = "按次计分"
    points: Decimal
    base: Decimal | None = None  # None: the indicator's weight
    floor: Decimal = Decimal(0)  # 扣完为止


@dataclass(frozen=True, slots=True)
class GrowthVsTargetRule:
    family: ClassVar[str] = "growth_vs_target"
    label: ClassVar[str] = "增速对比目标"
    base: Decimal | None = None
    over_points: Decimal = Decimal(0)
    over_step: Decimal = Decimal(1)
    under_points: Decimal = Decimal(0)
    under_step: Decimal = Decimal(1)
    whole_steps: bool = False
    max_bonus: Decimal | None = None
    max_penalty: Decimal | None = None


Rule = (
    RatioRule
    | ComboRule
    | BasePerPpRule
    | PiecewisePpRule
    | BandsRule
    | EfficacyRule
    | RankPointsRule
    | ShareOfTotalRule
    | PerItemRule
    | PerEventRule
    | GrowthVsTargetRule
)
# Families that score a raw value and need no target.
TARGET_FREE = (EfficacyRule, ShareOfTotalRule, PerItemRule, PerEventRule)
RELATIVE = (EfficacyRule, RankPointsRule, ShareOfTotalRule)


def needs_target(rule: Rule | None) -> bool:
    if isinstance(rule, RankPointsRule):
        return rule.by is Measure.COMPLETION
    return rule is not None and not isinstance(rule, TARGET_FREE)


# --- scheme ------------------------------------------------------------------------------------------------------


class GroupWeights(Mapping[str, Decimal]):
    """分组权重 of one indicator: a read-only, hashable mapping group -> weight, so IndicatorSpec stays frozen and
    hashable. Built from any Mapping or (group, weight) pairs; kept in group order, so equal weights compare and hash
    equal. Pairs naming a group twice are kept as given (`pairs`) for validation to reject."""

    __slots__ = ("pairs",)

    def __init__(self, items: Mapping[str, Decimal] | Iterable[tuple[str, Decimal]] = ()) -> None:
        given = tuple(items.items()) if isinstance(items, Mapping) else tuple(items)
        ordered = all(isinstance(p, tuple) and len(p) == 2 for p in given)
        self.pairs: tuple[tuple[str, Decimal], ...] = (
            tuple(sorted(given, key=lambda p: str(p[0]))) if ordered else given
        )

    def __getitem__(self, group: str) -> Decimal:
        for code, weight in self.pairs:
            if code == group:
                return weight
        raise KeyError(group)

    def __iter__(self) -> Iterator[str]:
        return (code for code, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GroupWeights):
            return self.pairs == other.pairs
        return isinstance(other, Mapping) and dict(self.pairs) == dict(other)

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __repr__(self) -> str:
        return f"GroupWeights({dict(self.pairs)!r})"


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    code: str
    kind: Kind
    weight: Decimal
    rule: Rule | None  # None: tracked for 序时 only, not scored
    direction: Direction = Direction.HIGHER
    frequency: Frequency = Frequency.MONTHLY
    plan_curve: tuple[Decimal, ...] | None = None  # 分月计划: cumulative fractions p(1..12)
    interpolate_stages: bool = False  # 分期目标 interpolated between stage ends instead of stepped
    counts_for_schedule: bool = True  # 计入序时统计
    vs_group_average: bool = False  # growth/ratio: 达序时 also needs ≥ the group's average (抚州 "市平均速度")
    name: str = ""
    category: str = ""  # 指标类别 (经济发展 …): scores' subtotal per category; scoring itself ignores it
    # 分组权重: group -> weight; a unit whose group is listed uses that weight instead of `weight` for everything
    # weight-driven. Any Mapping (or (group, weight) pairs) is accepted and stored as a hashable GroupWeights.
    group_weights: Mapping[str, Decimal] = GroupWeights()

    def __post_init__(self) -> None:
        if not isinstance(self.group_weights, GroupWeights):
            try:
                weights = GroupWeights(self.group_weights)
            except TypeError:
                from kaohe.scoring.errors import InputError

                raise InputError(
                    f"指标 {self.code}：分组权重须为“分组→权重”的映射，收到 {self.group_weights!r}"
                ) from None
            object.__setattr__(self, "group_weights", weights)

    def weight_for(self, group: str) -> Decimal:
        """The weight a unit of this group is scored with (its group weight, else the indicator's weight)."""
        return self.group_weights.get(group, self.weight)


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    group: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class AdjustmentCategory:
    code: str
    kind: AdjustmentKind
    cap: Decimal | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class GradeStep:
    threshold: Decimal  # minimum total (bands) or cumulative top share (rank_share)
    grade: str


@dataclass(frozen=True, slots=True)
class GradeRule:
    method: GradeMethod
    steps: tuple[GradeStep, ...]  # best grade first
    otherwise: str
    fail: str = "不合格"
    pool: Pool = Pool.ALL  # rank_share only: share of the whole district or of the unit's group

    @property
    def ladder(self) -> tuple[str, ...]:
        return (*(s.grade for s in self.steps), self.otherwise)


# --- per-unit data -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    month: int  # last month of the stage: 3 = 一季度, 6 = 上半年, 9 = 前三季度
    amount: Decimal  # cumulative amount due by the end of the stage


@dataclass(frozen=True, slots=True)
class Target:
    annual: Decimal
    stages: tuple[Stage, ...] = ()  # 分期目标, per unit
    # 任务调整: (month, target) in ascending month order; from that month on the unit's target (annual and stages)
    # is the changed one, earlier months keep the earlier target. Changed targets carry no changes of their own.
    changes: tuple[tuple[int, Target], ...] = ()

    def at(self, month: int) -> Target:
        """The target in force in month N: the last change dated N or earlier, else the original (without changes)."""
        if not self.changes:
            return self
        current = Target(self.annual, self.stages)
        for start, changed in self.changes:
            if start > month:
                break
            current = changed
        return current


@dataclass(frozen=True, slots=True)
class Adjustment:
    unit: str
    category: str
    points: Decimal  # positive; the category says whether it adds or subtracts
    month: int  # effective from this month on (year-to-date scores include it)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Veto:
    unit: str
    effect: VetoEffect
    month: int
    approved: bool = True  # proposed by a department, effective only once the admin approves
    reason: str = ""


def veto_note(veto: Veto) -> str:
    """How a veto reads wherever it is explained: its effect, its month and why (一票否决：等次不合格（9月，…）)."""
    why = f"，{veto.reason}" if veto.reason else ""
    return f"{VETO_LABELS[veto.effect]}（{veto.month}月{why}）"


@dataclass(frozen=True, slots=True)
class Promotion:
    unit: str  # 直接晋档: its condition held (judged and approved outside the engine)
    month: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class YearData:
    targets: Mapping[tuple[str, str], Target]  # (unit, indicator) -> target
    values: Mapping[tuple[str, str, int], Decimal]  # (unit, indicator, month) -> 1–N月累计 value
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    promotions: tuple[Promotion, ...] = ()


# --- results -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    unit: str
    indicator: str
    month: int
    kind: Kind
    status: Status
    target: Decimal | None
    actual: Decimal | None
    scheduled: Fraction | None  # amount due by month N (target × s(N), or the staged target)
    completion: Fraction | None  # actual ÷ annual target (volumes; combined share for combo)
    schedule: Fraction | None  # scheduled ÷ annual target: s(N) = N/12, p(N), or stage ÷ annual
    stage_completion: Fraction | None  # actual ÷ scheduled (完成序时/分期目标的比例)
    gap_pp: Fraction | None  # (completion − schedule) × 100; value − target for ratio/growth kinds
    points: Fraction
    paced_points: Fraction  # what the rule would give exactly on schedule (for 得分达序时)
    rank: int | None  # competition rank among the district's units on this indicator
    explanation: str
    stage: int | None = None  # the 分期目标 stage month N falls in (9 = 前三季度); None when scheduled by s(N)

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def stage_gap_pp(self) -> Fraction | None:
        """完成阶段目标 against 100 %, in percentage points, when the month is measured against a stage."""
        if self.stage is None or self.stage_completion is None:
            return None
        return (self.stage_completion - 1) * 100


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: str
    group: str
    month: int
    indicators: tuple[IndicatorResult, ...]
    indicator_points: Fraction
    bonus: Fraction
    deduction: Fraction
    vetoes: tuple[VetoEffect, ...]
    total: Fraction
    paced_total: Fraction
    score_on_schedule: bool  # 得分达序时: total ≥ paced_total
    on_schedule_count: int  # 达序时 + 已完成全年, over indicators that count for 序时
    behind_count: int
    not_reported_count: int
    evaluated_count: int  # on_schedule_count + behind_count
    rank: int
    group_rank: int
    grade: str | None
    promoted: bool
    award_eligible: bool
    explanation: str = field(default="")

    def indicator(self, code: str) -> IndicatorResult:
        for r in self.indicators:
            if r.indicator == code:
                return r
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class PeriodResult:
    month: int
    units: tuple[UnitResult, ...]
    engine_version: str

    def unit(self, code: str) -> UnitResult:
        for r in self.units:
            if r.unit == code:
                return r
        raise KeyError(code)
