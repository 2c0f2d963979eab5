"""The reference engine: one period in exact arithmetic, with an explanation for every point.

`score_period` is the specification in code. `score_year` scores all months through the vectorised fast path
(`fast.py`), whose results property tests compare with this module on random inputs; its `period(month)` gives
this module's full results (with explanations) for any month on demand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from kaohe.scoring.display import round_half_up
from kaohe.scoring.errors import InputError
from kaohe.scoring.explain import num, pts, status_text
from kaohe.scoring.grades import base_grade, promote
from kaohe.scoring.ranking import competition_ranks, group_ranks
from kaohe.scoring.rules import Completion, PoolStats, RuleInput, apply_rule
from kaohe.scoring.schedule import (
    MAX_POINTS,
    evaluation_months,
    schedule_fraction,
    scheduled_amount,
    stage_month,
    validate_data,
)
from kaohe.scoring.scheme import Scheme
from kaohe.scoring.types import (
    EVALUATED,
    ON_SCHEDULE,
    RELATIVE,
    TARGET_FREE,
    AdjustmentKind,
    BasePerPpRule,
    Basis,
    ComboRule,
    Direction,
    EfficacyRule,
    GradeMethod,
    GrowthVsTargetRule,
    IndicatorResult,
    IndicatorSpec,
    Kind,
    Measure,
    PerEventRule,
    PeriodResult,
    Pool,
    RankPointsRule,
    RatioRule,
    Rule,
    ShareOfTotalRule,
    Status,
    TieBreak,
    UnitResult,
    VetoEffect,
    YearData,
    needs_target,
    veto_note,
)

# 1.1: group weights (分组权重), target changes (任务调整); 1.1.1: a veto's explanation names its month and why.
ENGINE_VERSION = "1.1.1"
ZERO = Fraction(0)
ONE = Fraction(1)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything about one unit on one indicator in one month that does not depend on other units."""

    status: Status
    target: Decimal | None = None
    actual: Decimal | None = None
    scheduled: Fraction | None = None
    completion: Fraction | None = None
    schedule: Fraction | None = None
    stage_completion: Fraction | None = None
    stage: int | None = None  # the 分期目标 stage month N falls in, when the unit has staged targets
    gap_pp: Fraction | None = None
    annual: tuple[tuple[Fraction, Completion], ...] = ()  # (share, c against the annual target) per part
    on_schedule: tuple[tuple[Fraction, Completion], ...] = ()  # (share, c against the scheduled amount)
    paced: tuple[tuple[Fraction, Completion], ...] = ()  # annual-basis completions if exactly on schedule
    scored: bool = False  # the rule can score it (evaluated, reported, target present when one is needed)
    below_average: bool = False  # demoted to 欠序时 by the group-average test


def _stage(spec: IndicatorSpec, f: Facts) -> tuple[int, Fraction, Fraction, bool] | None:
    """What the explanation says of a month measured against a 分期目标 stage."""
    if f.stage is None or f.scheduled is None or f.stage_completion is None:
        return None
    return f.stage, f.scheduled, f.stage_completion, spec.interpolate_stages


def unit_facts(spec: IndicatorSpec, specs: Mapping[str, IndicatorSpec], data: YearData, unit: str, month: int) -> Facts:
    if month not in evaluation_months(spec):
        return Facts(Status.NOT_EVALUATED)
    if isinstance(spec.rule, ComboRule):
        return _combo_facts(spec, spec.rule, specs, data, unit, month)
    target = data.targets.get((unit, spec.code))
    actual = data.values.get((unit, spec.code, month))
    needs = spec.rule is None or needs_target(spec.rule)
    if target is None:
        return Facts(Status.NO_TARGET, actual=actual, scored=actual is not None and not needs)
    target = target.at(month)  # 任务调整: the target in force in month N
    t = Fraction(target.annual)
    if spec.kind in (Kind.RATIO, Kind.GROWTH):
        # Levels and growth rates are judged against the target itself; there is no s(N).
        level = ((ONE, Completion(t, t)),) if t > 0 else ()
        if actual is None:
            return Facts(Status.NOT_REPORTED, target=target.annual, paced=level)
        v = Fraction(actual)
        good = v >= t if spec.direction is Direction.HIGHER else v <= t
        c = ((ONE, Completion(v, t)),) if t > 0 else ()
        return Facts(
            Status.ON_SCHEDULE if good else Status.BEHIND,
            target=target.annual,
            actual=actual,
            gap_pp=v - t,
            annual=c,
            on_schedule=c,
            paced=level,
            scored=True,
        )
    due = scheduled_amount(spec, target, month)
    paced = ((ONE, Completion(due, t)),)
    if actual is None:
        return Facts(
            Status.NOT_REPORTED, target=target.annual, scheduled=due, schedule=due / t, paced=paced, scored=False
        )
    a = Fraction(actual)
    if spec.direction is Direction.LOWER:
        status = Status.ON_SCHEDULE if a <= due else Status.BEHIND
    else:
        status = Status.COMPLETED if a >= t else Status.ON_SCHEDULE if a >= due else Status.BEHIND
    return Facts(
        status,
        target=target.annual,
        actual=actual,
        scheduled=due,
        completion=a / t,
        schedule=due / t,
        stage_completion=a / due,
        stage=stage_month(spec, target, month),
        gap_pp=(a - due) / t * 100,
        annual=((ONE, Completion(a, t)),),
        on_schedule=((ONE, Completion(a, due)),),
        paced=paced,
        scored=True,
    )


def group_average(spec: IndicatorSpec, facts: Mapping[str, Facts], members: Iterable[str]) -> Fraction | None:
    """Average value of the units judged on this indicator (无任务 and 未报 are left out)."""
    values = [Fraction(f.actual) for u in members if (f := facts[u]).status in EVALUATED and f.actual is not None]
    return sum(values, ZERO) / len(values) if values else None


def with_average(spec: IndicatorSpec, f: Facts, average: Fraction | None) -> Facts:
    """The optional second test for growth and ratio indicators: on schedule only if also at least the average."""
    if not spec.vs_group_average or f.status is not Status.ON_SCHEDULE or average is None or f.actual is None:
        return f
    v = Fraction(f.actual)
    good = v >= average if spec.direction is Direction.HIGHER else v <= average
    return f if good else replace(f, status=Status.BEHIND, below_average=True)


def _combo_facts(
    spec: IndicatorSpec, rule: ComboRule, specs: Mapping[str, IndicatorSpec], data: YearData, unit: str, month: int
) -> Facts:
    """A combo is judged on its parts' completions mixed by share: on schedule when Σ share × (actual − due) ÷ target
    ≥ 0, completed when the mix of annual completions reaches 1."""
    annual, on_schedule, paced = [], [], []
    missing_target = missing_value = False
    for part in rule.parts:
        target = data.targets.get((unit, part.indicator))
        actual = data.values.get((unit, part.indicator, month))
        if target is None:
            missing_target = True
            continue
        target = target.at(month)
        t = Fraction(target.annual)
        due = scheduled_amount(specs[part.indicator], target, month)
        share = Fraction(part.share)
        paced.append((share, Completion(due, t)))
        if actual is None:
            missing_value = True
            continue
        annual.append((share, Completion(Fraction(actual), t)))
        on_schedule.append((share, Completion(Fraction(actual), due)))
    if missing_target:
        return Facts(Status.NO_TARGET)
    schedule = sum((s * c.c for s, c in paced), ZERO)
    if missing_value:
        return Facts(Status.NOT_REPORTED, schedule=schedule, paced=tuple(paced))
    completion = sum((s * c.c for s, c in annual), ZERO)
    status = Status.COMPLETED if completion >= 1 else Status.ON_SCHEDULE if completion >= schedule else Status.BEHIND
    return Facts(
        status,
        completion=completion,
        schedule=schedule,
        stage_completion=sum((s * c.c for s, c in on_schedule), ZERO),
        gap_pp=(completion - schedule) * 100,
        annual=tuple(annual),
        on_schedule=tuple(on_schedule),
        paced=tuple(paced),
        scored=True,
    )


def measure(spec: IndicatorSpec, facts: Facts) -> Fraction | None:
    """What the unit is ranked on for this indicator: completion for volumes, else the value itself."""
    if not facts.scored:
        return None
    by_value = spec.kind in (Kind.RATIO, Kind.GROWTH) or _by_value(spec.rule)
    if by_value:
        return None if facts.actual is None else Fraction(facts.actual)
    return facts.completion


def _by_value(rule: Rule | None) -> bool:
    if isinstance(rule, RankPointsRule):
        return rule.by is Measure.VALUE
    return isinstance(rule, TARGET_FREE)


def rule_input(
    spec: IndicatorSpec, facts: Facts, *, paced: bool = False, pool: PoolStats | None = None, group: str = ""
) -> RuleInput:
    """The rule's view of a unit: completions on the rule's basis (or the paced ones), value, target and pool; the
    weight is the one of the unit's group (分组权重) where the indicator sets one."""
    rule = spec.rule
    basis = getattr(rule, "basis", Basis.ANNUAL)
    if paced:
        # Exactly on schedule: actual = due, so c = s against the annual target and 1 against the schedule.
        parts = (
            facts.paced if basis is Basis.ANNUAL else tuple((s, Completion(c.actual, c.actual)) for s, c in facts.paced)
        )
        value = None if facts.target is None else Fraction(facts.target)
    else:
        parts = facts.annual if basis is Basis.ANNUAL else facts.on_schedule
        value = None if facts.actual is None else Fraction(facts.actual)
    return RuleInput(
        weight=Fraction(spec.weight_for(group)),
        higher=spec.direction is Direction.HIGHER,
        value=value,
        target=None if facts.target is None else Fraction(facts.target),
        c=parts[0][1] if len(parts) == 1 and not isinstance(rule, ComboRule) else None,
        parts=parts,
        pool=pool,
    )


def pool_stats(rule: Rule, members: Mapping[str, Fraction], higher: bool) -> dict[str, PoolStats]:
    """Pool figures of a relative family for every member (members: unit -> value or completion)."""
    if not members:
        return {}
    values = list(members.values())
    low, high, total = min(values), max(values), sum(values, ZERO)
    ranks = competition_ranks(members, higher_better=higher) if isinstance(rule, RankPointsRule) else {}
    return {u: PoolStats(low=low, high=high, total=total, rank=ranks.get(u)) for u in members}


def cell_points(
    spec: IndicatorSpec, f: Facts, pool: PoolStats | None, *, group: str = "", explain: bool = True
) -> tuple[Fraction, Fraction, str]:
    """(points, paced points, explanation) of one unit (of group `group`) on one indicator."""
    rule = spec.rule
    if f.status is Status.NOT_EVALUATED:
        return ZERO, ZERO, ""
    if rule is None:
        return ZERO, ZERO, "不计分"
    if not f.scored:
        paced = ZERO
        if f.status is Status.NOT_REPORTED and needs_target(rule) and not isinstance(rule, RELATIVE):
            paced = apply_rule(rule, rule_input(spec, f, paced=True, group=group))[0]
        return ZERO, paced, "不得分"
    points, text = apply_rule(rule, rule_input(spec, f, pool=pool, group=group))
    if isinstance(rule, (*RELATIVE, *TARGET_FREE)):
        paced = points  # no schedule pace exists for these: neutral in 得分达序时
    else:
        paced = apply_rule(rule, rule_input(spec, f, paced=True, group=group))[0]
    if uses_weight(rule) and spec.group_weights and spec.weight_for(group) != spec.weight:
        text = f"按分组{group}权重{num(spec.weight_for(group))}：{text}"
    if abs(points) > MAX_POINTS:
        # Both engines share this bound; it keeps every total inside the fast path's 64-bit fixed point.
        raise InputError(
            f"指标 {spec.code} 的得分 {round_half_up(points, 2)} 超出范围（绝对值须不超过10^8），请核对计分规则与数据"
        )
    return points, paced, text if explain else ""


def uses_weight(rule: Rule) -> bool:
    """Whether the rule's points depend on the indicator's weight (w, or base defaulting to w)."""
    if isinstance(rule, (RatioRule, ComboRule, EfficacyRule, ShareOfTotalRule)):
        return True
    return isinstance(rule, (BasePerPpRule, PerEventRule, GrowthVsTargetRule)) and rule.base is None


def indicator_points(
    spec: IndicatorSpec, facts: Mapping[str, Facts], groups: Mapping[str, str], *, explain: bool = True
) -> dict[str, tuple[Fraction, Fraction, str]]:
    """unit -> (points, paced points, explanation) for one indicator."""
    rule = spec.rule
    pools: dict[str, PoolStats] = {}
    if isinstance(rule, RELATIVE):
        by_pool: dict[str, dict[str, Fraction]] = defaultdict(dict)
        for unit, f in facts.items():
            m = measure(spec, f)
            if m is not None:
                by_pool[groups[unit] if rule.pool is Pool.GROUP else ""][unit] = m
        for members in by_pool.values():
            pools.update(pool_stats(rule, members, spec.direction is Direction.HIGHER))
    return {
        unit: cell_points(spec, f, pools.get(unit), group=groups[unit], explain=explain) for unit, f in facts.items()
    }


def score_period(scheme: Scheme, data: YearData, month: int) -> PeriodResult:
    """Score month N (values are 1–N月累计). Data dated after month N is an error, not silently ignored."""
    validate_data(scheme, data, month)
    return score_month(scheme, data, month)


def score_month(scheme: Scheme, data: YearData, month: int, *, explain: bool = True) -> PeriodResult:
    """score_period without validation and ignoring data after `month` (for whole-year data already validated)."""
    specs = {s.code: s for s in scheme.indicators}
    groups = {u.code: u.group for u in scheme.units}
    cells: dict[str, dict[str, IndicatorResult]] = {u.code: {} for u in scheme.units}
    for spec in scheme.indicators:
        facts = {u.code: unit_facts(spec, specs, data, u.code, month) for u in scheme.units}
        if spec.vs_group_average:
            members: dict[str, list[str]] = defaultdict(list)
            for u in scheme.units:
                members[u.group].append(u.code)
            averages = {g: group_average(spec, facts, codes) for g, codes in members.items()}
            facts = {u: with_average(spec, f, averages[groups[u]]) for u, f in facts.items()}
        points = indicator_points(spec, facts, groups, explain=explain)
        keys = {u: m for u, f in facts.items() if (m := measure(spec, f)) is not None}
        ranks = competition_ranks(keys, higher_better=spec.direction is Direction.HIGHER)
        for unit, f in facts.items():
            p, paced, text = points[unit]
            if explain:
                head = status_text(
                    kind=spec.kind,
                    status=f.status,
                    month=month,
                    actual=f.actual,
                    target=f.target,
                    completion=f.completion,
                    schedule=f.schedule if spec.kind in (Kind.CUMULATIVE, Kind.COUNT) else Fraction(1),
                    gap_pp=f.gap_pp,
                    stage=_stage(spec, f),
                )
                if f.below_average:
                    head += "（低于本组平均）"
                text = f"{head}；{text}" if text else head
            cells[unit][spec.code] = IndicatorResult(
                unit=unit,
                indicator=spec.code,
                month=month,
                kind=spec.kind,
                status=f.status,
                target=f.target,
                actual=f.actual,
                scheduled=f.scheduled,
                completion=f.completion,
                schedule=f.schedule if spec.kind in (Kind.CUMULATIVE, Kind.COUNT) else None,
                stage_completion=f.stage_completion,
                gap_pp=f.gap_pp,
                points=p,
                paced_points=paced,
                rank=ranks.get(unit),
                explanation=text,
                stage=f.stage,
            )
    return _units(scheme, data, month, cells)


def _units(
    scheme: Scheme, data: YearData, month: int, cells: Mapping[str, Mapping[str, IndicatorResult]]
) -> PeriodResult:
    bonus, deduction = adjustments(scheme, data, month)
    vetoes: dict[str, set[VetoEffect]] = defaultdict(set)
    notes: dict[str, list[str]] = defaultdict(list)
    for veto in sorted(data.vetoes, key=lambda v: v.month):
        if veto.approved and veto.month <= month:
            vetoes[veto.unit].add(veto.effect)
            notes[veto.unit].append(veto_note(veto))
    promoted = {p.unit for p in data.promotions if p.month <= month}
    counted = {s.code for s in scheme.indicators if s.counts_for_schedule}
    groups = {u.code: u.group for u in scheme.units}
    partial: dict[str, UnitResult] = {}
    for unit in scheme.units:
        results = tuple(cells[unit.code].values())
        statuses = [r.status for r in results if r.indicator in counted]
        points = sum((r.points for r in results), ZERO)
        paced = sum((r.paced_points for r in results), ZERO)
        b, d = bonus.get(unit.code, ZERO), deduction.get(unit.code, ZERO)
        effects = tuple(sorted(vetoes.get(unit.code, ())))
        total = ZERO if VetoEffect.ZERO_TOTAL in effects else points + b - d
        text = f"指标得分{pts(points)}＋加分{pts(b)}－扣分{pts(d)}＝{pts(points + b - d)}"
        if effects:
            text += "；" + "；".join(notes[unit.code])
        on = sum(s in ON_SCHEDULE for s in statuses)
        behind = statuses.count(Status.BEHIND)
        partial[unit.code] = UnitResult(
            unit=unit.code,
            group=unit.group,
            month=month,
            indicators=results,
            indicator_points=points,
            bonus=b,
            deduction=d,
            vetoes=effects,
            total=total,
            paced_total=paced + b - d,
            score_on_schedule=total >= paced + b - d,
            on_schedule_count=on,
            behind_count=behind,
            not_reported_count=statuses.count(Status.NOT_REPORTED),
            evaluated_count=on + behind,
            rank=0,
            group_rank=0,
            grade=None,
            promoted=False,
            award_eligible=not effects,
            explanation=text,
        )
    tie = scheme.tie_break is TieBreak.ON_SCHEDULE_COUNT
    keys = {u: (r.total, r.on_schedule_count if tie else 0) for u, r in partial.items()}
    ranks = competition_ranks(keys)
    granks = group_ranks(keys, groups)
    sizes = Counter(groups.values())
    units = []
    for unit in scheme.units:
        r = partial[unit.code]
        grade, lifted = None, False
        rule = scheme.grade_rule
        if rule is not None:
            by_group = rule.method is GradeMethod.RANK_SHARE and rule.pool is Pool.GROUP
            grade = base_grade(
                rule,
                total=r.total,
                rank=granks[unit.code] if by_group else ranks[unit.code],
                pool_size=sizes[unit.group] if by_group else len(scheme.units),
            )
            if unit.code in promoted and not r.vetoes:
                lifted = promote(rule, grade) != grade
                grade = promote(rule, grade)
            if VetoEffect.FAIL_GRADE in r.vetoes:
                grade = rule.fail
        units.append(replace(r, rank=ranks[unit.code], group_rank=granks[unit.code], grade=grade, promoted=lifted))
    return PeriodResult(month=month, units=tuple(units), engine_version=ENGINE_VERSION)


def adjustments(scheme: Scheme, data: YearData, month: int) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Bonus and deduction per unit through `month`, each category capped on its own."""
    sums: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for item in data.adjustments:
        if item.month <= month:
            sums[item.unit, item.category] += Fraction(item.points)
    categories = {c.code: c for c in scheme.categories}
    bonus: dict[str, Fraction] = defaultdict(Fraction)
    deduction: dict[str, Fraction] = defaultdict(Fraction)
    for (unit, code), amount in sums.items():
        category = categories[code]
        if category.cap is not None:
            amount = min(amount, Fraction(category.cap))
        (bonus if category.kind is AdjustmentKind.BONUS else deduction)[unit] += amount
    return bonus, deduction


__all__ = ["ENGINE_VERSION", "schedule_fraction", "score_month", "score_period"]
