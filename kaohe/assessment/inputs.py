"""The one adapter between the database and the scoring engine: ORM rows in, engine dataclasses out.

Official scores use approved figures only; the preview adds figures submitted and waiting for review.
Targets follow approved adjustments from the month each names; bonus, deduction and veto items count
once the admin has approved them; late or missing monthly reports become the scheme's timeliness
deduction. A handful of queries, whatever the size of the district.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Value
from kaohe.collection.timeliness import timeliness
from kaohe.org.models import Unit
from kaohe.schemes.choices import ItemKind, RequestStatus
from kaohe.schemes.models import Indicator, ItemRecord, Scheme, Target, TargetAdjustment
from kaohe.scoring import (
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    Direction,
    Frequency,
    IndicatorSpec,
    Kind,
    Stage,
    Veto,
    VetoEffect,
    YearData,
    grade_rule_from_dict,
    plan_curve_from_list,
    rule_from_dict,
)
from kaohe.scoring import Scheme as EngineScheme
from kaohe.scoring import Target as EngineTarget
from kaohe.scoring import Unit as EngineUnit


class Mode(StrEnum):
    OFFICIAL = "official"  # approved figures only
    PREVIEW = "preview"  # approved plus submitted, clearly labelled as such
    ENTERED = "entered"  # every figure entered, drafts too: what the engine's check at every save reads


MODE_STATUSES = {
    Mode.OFFICIAL: (SubmissionStatus.APPROVED,),
    Mode.PREVIEW: (SubmissionStatus.APPROVED, SubmissionStatus.SUBMITTED),
    Mode.ENTERED: tuple(SubmissionStatus),
}


@dataclass(frozen=True)
class Inputs:
    """Everything the engine needs for one year, plus the names the pages show."""

    scheme: Scheme
    engine_scheme: EngineScheme
    data: YearData
    indicators: list[Indicator]
    units: list[Unit]
    mode: Mode


def engine_units(units: list[Unit]) -> tuple[EngineUnit, ...]:
    return tuple(EngineUnit(code=u.code, group=u.group.code if u.group else "", name=u.name) for u in units)


def engine_scheme(scheme: Scheme, indicators: list[Indicator], units: tuple[EngineUnit, ...]) -> EngineScheme:
    specs = []
    for ind in indicators:
        specs.append(
            IndicatorSpec(
                code=ind.code,
                name=ind.name,
                kind=Kind(ind.kind),
                weight=ind.weight,
                rule=rule_from_dict(ind.rule) if ind.rule is not None else None,
                direction=Direction(ind.direction),
                frequency=Frequency(ind.frequency),
                plan_curve=plan_curve_from_list(ind.plan_curve) if ind.plan_curve else None,
                interpolate_stages=ind.interpolate_stages,
                counts_for_schedule=ind.counts_for_schedule,
                category=ind.category.code,
                group_weights={gw.group.code: gw.weight for gw in ind.group_weights.all()},
            )
        )
    categories = tuple(
        AdjustmentCategory(code=t.code, kind=AdjustmentKind(t.kind), cap=t.cap, name=t.name)
        for t in scheme.item_types.all()
        if t.kind in (ItemKind.BONUS, ItemKind.DEDUCTION)
    )
    return EngineScheme(
        indicators=tuple(specs),
        units=units,
        categories=categories,
        grade_rule=grade_rule_from_dict(scheme.grade_rule) if scheme.grade_rule else None,
    )


def _stages(raw: dict[str, str]) -> tuple[Stage, ...]:
    return tuple(Stage(month=int(m), amount=Decimal(a)) for m, a in sorted(raw.items(), key=lambda kv: int(kv[0])))


def target_timeline(original: EngineTarget, history: list[TargetAdjustment]) -> EngineTarget:
    """A target with its approved adjustments, in the order they were decided: each applies from its month on
    (1月 replaces the year's target), a later decision overriding an earlier one for the months it covers."""
    by_month = [original] * 12
    for adj in history:
        changed = EngineTarget(annual=adj.new_amount, stages=_stages(adj.new_stages))
        by_month[adj.effective_month - 1 :] = [changed] * (13 - adj.effective_month)
    steps = tuple(
        (month, by_month[month - 1]) for month in range(2, 13) if by_month[month - 1] is not by_month[month - 2]
    )
    return EngineTarget(annual=by_month[0].annual, stages=by_month[0].stages, changes=steps)


def engine_targets(scheme: Scheme, units: Collection[int] | None = None) -> dict[tuple[str, str], EngineTarget]:
    """Targets as they stand, with every approved adjustment applying from its own month on."""
    changes: dict[int, list[TargetAdjustment]] = defaultdict(list)
    adjustments = TargetAdjustment.objects.filter(target__indicator__scheme=scheme, status=RequestStatus.APPROVED)
    targets = Target.objects.filter(indicator__scheme=scheme)
    if units is not None:
        adjustments, targets = adjustments.filter(target__unit_id__in=units), targets.filter(unit_id__in=units)
    for adj in adjustments.order_by("decided_at", "pk"):
        changes[adj.target_id].append(adj)
    result: dict[tuple[str, str], EngineTarget] = {}
    for target in targets.select_related("unit", "indicator"):
        history = changes.get(target.pk, [])
        key = (target.unit.code, target.indicator.code)
        if not history:
            result[key] = EngineTarget(annual=target.amount, stages=_stages(target.stages))
        else:
            original = EngineTarget(annual=history[0].old_amount, stages=_stages(history[0].old_stages))
            result[key] = target_timeline(original, history)
    return result


def engine_values(
    scheme: Scheme, mode: Mode, through: int, units: Collection[int] | None = None
) -> dict[tuple[str, str, int], Decimal]:
    rows = Value.objects.filter(
        submission__scheme=scheme, submission__status__in=MODE_STATUSES[mode], submission__month__lte=through
    )
    if units is not None:
        rows = rows.filter(submission__unit_id__in=units)
    found = rows.values_list("submission__unit__code", "indicator__code", "submission__month", "amount")
    return {(unit, indicator, month): amount for unit, indicator, month, amount in found}


def engine_items(
    scheme: Scheme, through: int, units: Collection[int] | None = None, *, records_of: Scheme | None = None
) -> tuple[tuple[Adjustment, ...], tuple[Veto, ...]]:
    """Approved items and timeliness deductions; with `records_of`, that scheme's records and reports under
    `scheme`'s item types (matched by code, the items `scheme` does not have left out): a proposal's view."""
    source = records_of or scheme
    adjustments: list[Adjustment] = []
    vetoes: list[Veto] = []
    records = ItemRecord.objects.filter(
        item_type__scheme=source, status=RequestStatus.APPROVED, month__lte=through
    ).select_related("item_type", "unit")
    if units is not None:
        records = records.filter(unit_id__in=units)
    for record in records:
        item = record.item_type
        if item.kind == ItemKind.VETO:
            # The item's name before the record's reason: the explanation says which veto it is, then why.
            vetoes.append(Veto(unit=record.unit.code, effect=VetoEffect(item.veto_effect), month=record.month,
                               reason=f"{item.name}：{record.reason}"))  # fmt: skip
        else:
            adjustments.append(Adjustment(unit=record.unit.code, category=item.code, points=record.points,
                                          month=record.month, reason=record.reason))  # fmt: skip
    if records_of is not None:
        kept = {t.code for t in scheme.item_types.all() if t.kind in (ItemKind.BONUS, ItemKind.DEDUCTION)}
        adjustments = [a for a in adjustments if a.category in kept]
    codes = None if units is None else set(Unit.objects.filter(pk__in=units).values_list("code", flat=True))
    found = timeliness_deductions(scheme, through, reports_of=source)
    adjustments += [a for a in found if codes is None or a.unit in codes]
    return tuple(adjustments), tuple(vetoes)


def timeliness_deductions(scheme: Scheme, through: int, *, reports_of: Scheme | None = None) -> list[Adjustment]:
    """Each late or missing monthly report (of `reports_of`, by default the scheme's own) costs the scheme's
    timeliness item's points, from that report's month on."""
    items = [t for t in scheme.item_types.all() if t.from_timeliness and t.kind == ItemKind.DEDUCTION]
    if not items or through < 1:
        return []
    found = timeliness(scheme=reports_of or scheme, up_to_month=through)
    result = []
    for item in items:
        for unit, record in found.items():
            for month, word in [(m, "迟报") for m in record.late] + [(m, "未报") for m in record.missing]:
                result.append(Adjustment(unit=unit, category=item.code, points=item.points or Decimal(0),
                                         month=month, reason=f"{month}月报表{word}"))  # fmt: skip
    return result


def load(
    scheme: Scheme,
    *,
    mode: Mode = Mode.OFFICIAL,
    through: int = 12,
    only_units: Collection[int] | None = None,
    figures: Scheme | None = None,
) -> Inputs:
    """The engine's view of one year, from the database; with `only_units` (ids), only their targets, figures and
    items (the scheme keeps every unit), which is what a change to those units' data needs checked.

    With `figures`, a proposal scored on another scheme's data (模拟): `scheme`'s indicators, rules, weights, item
    types and grades on the figures, item records and reports of `figures`, matched by indicator and item code. A
    scenario keeps its own targets; next year's draft is scored on this year's targets, so that the comparison shows
    what its rules would do.
    """
    chosen = only_units
    data_scheme = figures or scheme
    indicators = list(
        Indicator.objects.filter(scheme=scheme)
        .select_related("category")
        .prefetch_related("group_weights__group")
        .order_by("sort_order", "code")
    )
    units = list(Unit.objects.assessed(data_scheme.year).select_related("group").order_by("sort_order", "code"))
    adjustments, vetoes = engine_items(scheme, through, chosen, records_of=figures)
    targets = engine_targets(scheme if figures is None or scheme.is_scenario else figures, chosen)
    values = engine_values(data_scheme, mode, through, chosen)
    if figures is not None:
        codes = {ind.code for ind in indicators}
        targets = {key: t for key, t in targets.items() if key[1] in codes}
        values = {key: v for key, v in values.items() if key[1] in codes}
    data = YearData(
        targets=targets,
        values=values,
        adjustments=adjustments,
        vetoes=vetoes,
    )
    return Inputs(scheme, engine_scheme(scheme, indicators, engine_units(units)), data, indicators, units, mode)
