"""Reads of the scheme: overview, targets matrix, adjustment history and item records, always scoped to the user.

Also the Chinese wording of rules (`describe_rule`, `describe_grade_rule`) shown on the scheme's overview, so an
admin reads "完成率×分值，封顶120%" instead of JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from kaohe.accounts.models import User
from kaohe.accounts.permissions import role_has
from kaohe.core.models import ChangeLog
from kaohe.org.models import Unit, UnitGroup
from kaohe.scoring import (
    BandsRule,
    BasePerPpRule,
    Basis,
    ComboRule,
    EfficacyRule,
    GradeMethod,
    GrowthVsTargetRule,
    Measure,
    PerEventRule,
    PerItemRule,
    PiecewisePpRule,
    Pool,
    RankPointsRule,
    RatioRule,
    Rule,
    RuleError,
    ShareOfTotalRule,
    UnderMode,
    grade_rule_from_dict,
    plan_curve_from_list,
    rule_from_dict,
)

from .choices import RequestStatus
from .models import Category, Indicator, ItemRecord, ItemType, Scheme, Target, TargetAdjustment

# --- rule wording --------------------------------------------------------------------------------------------------

if TYPE_CHECKING:
    from .services import SchemeCopy


def num(value: Decimal | None, empty: str = "—") -> str:
    """A stored Decimal for reading, without trailing zeros or exponent: 1200.0000 → '1200', 1.2000 → '1.2'."""
    if value is None:
        return empty
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _n(value: Decimal) -> str:
    return num(value)


def _pct(fraction: Decimal) -> str:
    return f"{_n(fraction * 100)}%"


def _pp(step: Decimal) -> str:
    return "每个百分点" if step == 1 else f"每{_n(step)}个百分点"


def _completion(basis: Basis) -> str:
    return "序时完成率" if basis is Basis.SCHEDULE else "完成率"


def _pool(pool: Pool) -> str:
    return "本组" if pool is Pool.GROUP else "全区"


def _base(base: Decimal | None) -> str:
    return "分值" if base is None else f"{_n(base)}分"


def _gain(points: Decimal) -> str:
    return f"加{_n(points)}分" if points >= 0 else f"扣{_n(-points)}分"


def _ratio(rule: RatioRule, names: Mapping[str, str]) -> str:
    return f"{_completion(rule.basis)}×分值，封顶{_pct(rule.cap)}"


def _combo(rule: ComboRule, names: Mapping[str, str]) -> str:
    word = _completion(rule.basis)
    terms = "+".join(f"{names.get(p.indicator, p.indicator)}{word}×{_pct(p.share)}" for p in rule.parts)
    return f"【{terms}】×分值，封顶{_pct(rule.cap)}"


def _base_per_pp(rule: BasePerPpRule, names: Mapping[str, str]) -> str:
    word = _completion(rule.basis)
    whole = "（不足一档不计）" if rule.whole_steps else ""
    parts = [f"{word}达到100%得{_base(rule.base)}"]
    if rule.over_points:
        over = f"超过部分{_pp(rule.over_step)}加{_n(rule.over_points)}分{whole}"
        if rule.max_bonus is not None:
            over += f"，最多加{_n(rule.max_bonus)}分"
        parts.append(over)
    if rule.under is UnderMode.PROPORTIONAL:
        parts.append("未完成按完成比例计分")
    else:
        under = f"未完成{_pp(rule.under_step)}扣{_n(rule.under_points)}分{whole}"
        if rule.floor is not None:
            under += f"，最低{_n(rule.floor)}分"
        parts.append(under)
    return "；".join(parts)


def _piecewise(rule: PiecewisePpRule, names: Mapping[str, str]) -> str:
    word = _completion(rule.basis)
    pieces = []
    for seg in rule.segments:
        if seg.upper is None:
            span = f"{_pct(seg.lower)}以上"
        elif seg.lower == 0:
            span = f"{_pct(seg.upper)}以下"
        else:
            span = f"{_pct(seg.lower)}–{_pct(seg.upper)}"
        # Below 100 % the engine counts the shortfall, above it the excess: say which, so a sign slip shows.
        step = "每差1个百分点" if seg.upper is not None and seg.upper <= 1 else "每超1个百分点"
        pieces.append(f"{span}{step}{_gain(seg.per_pp)}")
    text = f"{word}" + "；".join(pieces)
    if rule.limit is not None:
        text += f"；合计不超过±{_n(rule.limit)}分"
    if rule.base:
        text = f"基础分{_n(rule.base)}分，{text}"
    return text


def _bands(rule: BandsRule, names: Mapping[str, str]) -> str:
    sign = "≤" if rule.at_most else "≥"
    steps = "，".join(f"{sign}{_pct(b.threshold)}得{_n(b.points)}分" for b in rule.bands)
    return f"按{_completion(rule.basis)}分档：{steps}，其余得{_n(rule.otherwise)}分"


def _efficacy(rule: EfficacyRule, names: Mapping[str, str]) -> str:
    return f"功效系数法：{_pool(rule.pool)}最好的计{_n(rule.high)}、最差的计{_n(rule.low)}，其余按差距折算，再×分值÷100"


def _rank_points(rule: RankPointsRule, names: Mapping[str, str]) -> str:
    by = "完成率" if rule.by is Measure.COMPLETION else "完成值"
    steps = "、".join(f"第{i}名{_n(p)}分" for i, p in enumerate(rule.points, start=1))
    return f"按{by}在{_pool(rule.pool)}排名：{steps}，其余{_n(rule.default)}分；并列取较高名次"


def _share(rule: ShareOfTotalRule, names: Mapping[str, str]) -> str:
    return f"分值×本单位完成值÷{_pool(rule.pool)}合计"


def _per_item(rule: PerItemRule, names: Mapping[str, str]) -> str:
    text = f"每个（项）计{_n(rule.points)}分"
    return text + (f"，最多{_n(rule.cap)}分" if rule.cap is not None else "")


def _per_event(rule: PerEventRule, names: Mapping[str, str]) -> str:
    end = "扣完为止" if rule.floor == 0 else f"最低{_n(rule.floor)}分"
    return f"基础{_base(rule.base)}，每发生一次扣{_n(rule.points)}分，{end}"


def _growth(rule: GrowthVsTargetRule, names: Mapping[str, str]) -> str:
    whole = "（不足一档不计）" if rule.whole_steps else ""
    parts = [f"增速达到目标得{_base(rule.base)}"]
    if rule.over_points:
        over = f"高于目标{_pp(rule.over_step)}加{_n(rule.over_points)}分{whole}"
        parts.append(over + (f"，最多加{_n(rule.max_bonus)}分" if rule.max_bonus is not None else ""))
    if rule.under_points:
        under = f"低于目标{_pp(rule.under_step)}扣{_n(rule.under_points)}分{whole}"
        parts.append(under + (f"，最多扣{_n(rule.max_penalty)}分" if rule.max_penalty is not None else ""))
    return "；".join(parts)


_WORDING: dict[type, Any] = {
    RatioRule: _ratio,
    ComboRule: _combo,
    BasePerPpRule: _base_per_pp,
    PiecewisePpRule: _piecewise,
    BandsRule: _bands,
    EfficacyRule: _efficacy,
    RankPointsRule: _rank_points,
    ShareOfTotalRule: _share,
    PerItemRule: _per_item,
    PerEventRule: _per_event,
    GrowthVsTargetRule: _growth,
}


def describe_rule(rule_json: Any, names: Mapping[str, str] | None = None) -> str:
    """The rule in Chinese words, e.g. "完成率×分值，封顶120%"; `names` maps indicator codes to names (combo)."""
    if rule_json is None:
        return "不计分（仅统计序时）"
    try:
        rule: Rule = rule_from_dict(rule_json)
    except RuleError as exc:
        return f"评分规则有误：{exc.message}"
    return str(_WORDING[type(rule)](rule, names or {}))


def describe_grade_rule(grade_json: Any) -> str:
    """The grade rule in Chinese words, e.g. "按总分：≥90分 优秀，≥80分 良好，其余 一般；否决定为 不合格"."""
    if grade_json is None:
        return "未设置等次规则"
    try:
        rule = grade_rule_from_dict(grade_json)
    except RuleError as exc:
        return f"等次规则有误：{exc.message}"
    if rule.method is GradeMethod.BANDS:
        steps = "，".join(f"≥{_n(s.threshold)}分 {s.grade}" for s in rule.steps)
        head = "按总分"
    else:
        steps = "，".join(f"前{_pct(s.threshold)} {s.grade}" for s in rule.steps)
        head = f"按{_pool(rule.pool)}名次比例"
    return f"{head}：{steps}，其余 {rule.otherwise}；一票否决定为 {rule.fail}"


def describe_plan_curve(curve: Any) -> str:
    if not curve:
        return "按月平均（N/12）"
    try:
        values = plan_curve_from_list(curve)
    except RuleError as exc:
        return f"分月计划有误：{exc.message}"
    return "、".join(f"{m}月{_pct(v)}" for m, v in enumerate(values, start=1))


# --- schemes and the overview --------------------------------------------------------------------------------------


def scheme_list() -> QuerySet[Scheme]:
    return Scheme.objects.official().select_related("published_by").order_by("-year")


def scheme_by_ref(ref: str) -> Scheme | None:
    """The scheme an address names: "2026" is the year's official scheme, "s12" the scenario with id 12."""
    if ref.startswith("s") and ref[1:].isdigit():
        return Scheme.objects.scenarios().filter(pk=int(ref[1:])).first()
    if ref.isdigit():
        return Scheme.objects.official().filter(year=int(ref)).first()
    return None


def scenarios_of(year: int) -> QuerySet[Scheme]:
    return Scheme.objects.scenarios().filter(year=year).order_by("scenario")


def figures_for(scheme: Scheme) -> Scheme | None:
    """The published scheme whose approved figures a proposal is compared on: a scenario's own year; next year's
    draft scheme, this year's (its indicators matched by code). None when there is nothing to compare against."""
    year = scheme.year if scheme.is_scenario else scheme.year - 1
    if not scheme.is_scenario and scheme.is_published:
        return None
    return Scheme.objects.published().filter(year=year).first()


@dataclass
class IndicatorRow:
    indicator: Indicator
    rule_text: str
    group_weights: list[tuple[UnitGroup, str]]
    plan_text: str

    @property
    def weight(self) -> str:
        return num(self.indicator.weight)


@dataclass
class CategoryBlock:
    category: Category
    rows: list[IndicatorRow] = field(default_factory=list)

    @property
    def weight(self) -> str:
        return num(sum((r.indicator.weight for r in self.rows), Decimal(0)))


def scheme_overview(scheme: Scheme) -> list[CategoryBlock]:
    """The scheme's categories with their indicators, rules in words and group-specific weights."""
    indicators = list(
        scheme.indicators.select_related("owner", "category", "part_of").prefetch_related("group_weights__group")
    )
    names = {i.code: i.name for i in indicators}
    blocks = {c.pk: CategoryBlock(c) for c in scheme.categories.order_by("sort_order", "code")}
    for ind in indicators:
        weights = [
            (gw.group, num(gw.weight))
            for gw in sorted(ind.group_weights.all(), key=lambda gw: (gw.group.sort_order, gw.group.code))
        ]
        row = IndicatorRow(ind, describe_rule(ind.rule, names), weights, describe_plan_curve(ind.plan_curve))
        blocks[ind.category_id].rows.append(row)
    return list(blocks.values())


def scheme_item_types(scheme: Scheme) -> QuerySet[ItemType]:
    return scheme.item_types.select_related("owner").order_by("kind", "code")


@dataclass
class ItemTypeRow:
    item_type: ItemType
    points: str
    cap: str


def item_type_rows(scheme: Scheme) -> list[ItemTypeRow]:
    return [ItemTypeRow(t, num(t.points), num(t.cap, "不封顶")) for t in scheme_item_types(scheme)]


# --- targets -------------------------------------------------------------------------------------------------------


def matrix_units(scheme: Scheme, user: User) -> list[Unit]:
    """The assessed townships the user may see targets of: a township user his own only."""
    return list(
        Unit.objects.visible_to(user).assessed(scheme.year).select_related("group").order_by("sort_order", "code")
    )


@dataclass
class TargetMatrix:
    units: list[Unit]
    categories: list[tuple[Category, list[Indicator]]]
    targets: dict[tuple[int, int], Target]  # (unit id, indicator id) → target
    derived: list[Indicator] = field(default_factory=list)  # combo indicators: no targets of their own

    @property
    def indicators(self) -> list[Indicator]:
        return [ind for _, inds in self.categories for ind in inds]

    def rows(self) -> list[tuple[Unit, list[tuple[Indicator, Target | None]]]]:
        return [(u, [(i, self.targets.get((u.pk, i.pk))) for i in self.indicators]) for u in self.units]

    def fingerprint(self) -> str:
        """A digest of every target shown: a save made from a page whose targets have changed since is refused."""
        cells = sorted(
            (key, str(t.amount), str(t.stretch), sorted(t.stages.items()), t.version) for key, t in self.targets.items()
        )
        shape = ([u.pk for u in self.units], [i.pk for i in self.indicators])
        return hashlib.sha256(repr((shape, cells)).encode()).hexdigest()[:32]


def target_matrix(scheme: Scheme, user: User, category: Category | None = None) -> TargetMatrix:
    """Assessed townships × indicators with their targets (two queries for the whole scheme)."""
    units = matrix_units(scheme, user)
    indicators = scheme.indicators.select_related("category").order_by("category__sort_order", "sort_order", "code")
    if category is not None:
        indicators = indicators.filter(category=category)
    by_category: dict[int, tuple[Category, list[Indicator]]] = {}
    derived: list[Indicator] = []
    for ind in indicators:
        if ind.is_derived:
            derived.append(ind)
        else:
            by_category.setdefault(ind.category_id, (ind.category, []))[1].append(ind)
    targets = Target.objects.filter(indicator__in=[i.pk for _, inds in by_category.values() for i in inds])
    targets = targets.filter(unit__in=[u.pk for u in units])
    return TargetMatrix(
        units=units,
        categories=list(by_category.values()),
        targets={(t.unit_id, t.indicator_id): t for t in targets},
        derived=derived,
    )


def stages_text(stages: Mapping[str, str] | None) -> str:
    """分期目标 as the matrix shows and accepts it: "3:1200, 9:3600"."""
    if not stages:
        return ""
    return ", ".join(f"{m}:{_n(Decimal(v))}" for m, v in sorted(stages.items(), key=lambda kv: int(kv[0])))


_LOG_LABELS = {
    "amount": "年度目标",
    "stretch": "奋斗目标",
    "stages": "分期目标",
    "effective_month": "生效月份",
    "status": "状态",
    "indicator": "指标",
    "unit": "单位",
}
_STATUS_LABELS = dict(RequestStatus.choices)


def _log_value(key: str, value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if key == "stages" and isinstance(value, dict):
        return stages_text(value)
    if key in ("amount", "stretch"):
        try:
            return num(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if key == "effective_month":
        return f"{value}月"
    if key == "status":
        return str(_STATUS_LABELS.get(value, value))
    return str(value)


def log_text(values: Mapping[str, Any] | None) -> str:
    """A change-log before/after dict in words: "年度目标 1200；分期目标 3:300"."""
    if not values:
        return ""
    return "；".join(f"{_LOG_LABELS.get(k, k)} {_log_value(k, v)}" for k, v in values.items())


@dataclass
class HistoryRow:
    """One change-log row of a target or of one of its adjustments, as a reader sees it."""

    log: ChangeLog
    subject: str

    @property
    def before(self) -> str:
        return log_text(self.log.before)

    @property
    def after(self) -> str:
        return log_text(self.log.after)


def target_history(target: Target) -> tuple[list[AdjustmentRow], list[HistoryRow]]:
    """Every adjustment of the target (newest first) and the change-log rows of the target and its adjustments."""
    adjustments = list(target.adjustments.select_related("requested_by", "decided_by").order_by("-created_at"))
    adjustment_ids = [str(a.pk) for a in adjustments]
    logs = ChangeLog.objects.filter(
        Q(object_type="schemes.target", object_id=str(target.pk))
        | Q(object_type="schemes.targetadjustment", object_id__in=adjustment_ids)
    ).order_by("-at", "-id")
    rows = [HistoryRow(log, "目标" if log.object_type == "schemes.target" else "调整申请") for log in logs]
    return [AdjustmentRow.of(a) for a in adjustments], rows


@dataclass
class AdjustmentRow:
    adjustment: TargetAdjustment
    old_amount: str
    new_amount: str
    old_stages: str
    new_stages: str

    @classmethod
    def of(cls, a: TargetAdjustment) -> AdjustmentRow:
        return cls(a, num(a.old_amount), num(a.new_amount), stages_text(a.old_stages), stages_text(a.new_stages))


@dataclass
class ItemRecordRow:
    record: ItemRecord
    points: str


def _pending_first(qs: QuerySet[Any]) -> QuerySet[Any]:
    qs = qs.annotate(
        pending=Case(When(status=RequestStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    return qs.order_by("pending", "-created_at")


def adjustment_list(scheme: Scheme, user: User) -> list[AdjustmentRow]:
    """The scheme's target adjustments the user may see, pending first, then newest first."""
    qs = TargetAdjustment.objects.filter(
        target__indicator__scheme=scheme, target__unit__in=Unit.objects.visible_to(user)
    ).select_related("target__indicator", "target__unit", "requested_by", "decided_by")
    return [AdjustmentRow.of(a) for a in _pending_first(qs)]


def item_record_list(scheme: Scheme, user: User) -> list[ItemRecordRow]:
    """The scheme's bonus, deduction and veto records the user may see, pending first."""
    qs = ItemRecord.objects.filter(item_type__scheme=scheme, unit__in=Unit.objects.visible_to(user)).select_related(
        "item_type", "unit", "proposed_by", "decided_by"
    )
    return [ItemRecordRow(r, num(r.points)) for r in _pending_first(qs)]


def proposable_item_types(scheme: Scheme, user: User) -> QuerySet[ItemType]:
    """Item types the user may propose: a department proposes its own items (and unowned ones); the admin, all."""
    qs = scheme_item_types(scheme).filter(from_timeliness=False)
    if role_has(user.role, "items.decide"):
        return qs
    return qs.filter(Q(owner__isnull=True) | Q(owner_id=user.department_id))


def proposable_units(scheme: Scheme, user: User) -> QuerySet[Unit]:
    return Unit.objects.visible_to(user).assessed(scheme.year).order_by("sort_order", "code")


def copy_summary(made: SchemeCopy, source_year: int) -> str:
    """One line on what a copy of last year's scheme made, for the page's message and the command."""
    scheme = made.scheme
    text = f"已由{source_year}年考核方案复制出{scheme.year}年考核方案（草稿）：{scheme.indicators.count()} 个指标"
    if made.computed or made.copied:
        text += f"；目标按上年实际×(1+增长率)计算 {made.computed} 项、按上年目标复制 {made.copied} 项"
    if made.missing:
        text += f"；{len(made.missing)} 项因上年无审核通过的12月数据未设目标"
    return text + "。"
