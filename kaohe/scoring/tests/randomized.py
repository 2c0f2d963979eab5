"""Random schemes and data for property tests: small numbers on purpose, so ties and exact boundaries are common."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kaohe.scoring import (
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    IndicatorSpec,
    Kind,
    Promotion,
    Scheme,
    Stage,
    Target,
    TieBreak,
    Unit,
    Veto,
    VetoEffect,
    YearData,
    grade_rule_from_dict,
    rule_from_dict,
)
from kaohe.scoring.schedule import scheduled_amount
from kaohe.scoring.types import (
    BandsRule,
    Basis,
    ComboRule,
    Direction,
    Frequency,
    PiecewisePpRule,
    RatioRule,
    Rule,
)

D = Decimal


def _num(r: random.Random, choices: list[str]) -> str:
    return r.choice(choices)


def _rule(r: random.Random, kind: Kind, lower: bool) -> dict[str, Any] | None:
    basis = r.choice(["annual", "schedule"])
    options: list[str | None]
    if kind is Kind.GROWTH:
        options = ["growth_vs_target", "efficacy", "rank_points"]
    elif lower:
        options = ["bands_max", "per_event", "efficacy", "rank_points"]
        if kind is Kind.RATIO:
            options = ["bands_max", "efficacy", "rank_points", "growth_vs_target"]
    elif kind is Kind.RATIO:
        options = ["ratio", "base_per_pp", "piecewise_pp", "bands", "efficacy", "rank_points", "growth_vs_target"]
    else:
        options = [
            "ratio",
            "base_per_pp",
            "piecewise_pp",
            "bands",
            "efficacy",
            "rank_points",
            "share_of_total",
            "per_item",
            "per_event",
            None,
        ]
    family = r.choice(options)
    if family is None:
        return None
    if family == "ratio":
        return {"family": "ratio", "basis": basis, "cap": _num(r, ["1", "1.2", "0.75"])}
    if family == "base_per_pp":
        d: dict[str, Any] = {
            "family": "base_per_pp",
            "basis": basis,
            "over_points": _num(r, ["0", "0.5", "5", "1"]),
            "over_step": _num(r, ["1", "10", "3"]),
            "whole_steps": r.random() < 0.4,
        }
        if r.random() < 0.6:
            d["max_bonus"] = _num(r, ["10", "0.5", "2"])
        if r.random() < 0.5:
            d.update(under="per_pp", under_points=_num(r, ["1", "5", "0.1"]), under_step=_num(r, ["1", "5", "7"]))
            if r.random() < 0.5:
                d["floor"] = _num(r, ["0", "-2", "1"])
        if r.random() < 0.5:
            d["base"] = _num(r, ["20", "0", "300", "1.5"])
        return d
    if family == "piecewise_pp":
        return {
            "family": "piecewise_pp",
            "basis": basis,
            "limit": _num(r, ["10", "3", "0.5"]),
            "segments": [
                {"from": "0", "to": "0.5", "per_pp": "-0.2"},
                {"from": "0.5", "to": "1", "per_pp": "-0.1"},
                {"from": "1", "to": "1.3", "per_pp": "0.2"},
                {"from": "1.3", "per_pp": "0.1"},
            ],
            "base": _num(r, ["0", "5"]),
        }
    if family == "bands":
        return {
            "family": "bands",
            "basis": basis,
            "bands": [{"min": "1", "points": "10"}, {"min": "0.8", "points": "7.5"}, {"min": "0.5", "points": "5"}],
            "else": _num(r, ["0", "1"]),
        }
    if family == "bands_max":
        return {
            "family": "bands",
            "basis": basis,
            "bands": [{"max": "0.5", "points": "10"}, {"max": "1", "points": "6"}],
            "else": "0",
        }
    if family == "efficacy":
        return {"family": "efficacy", "pool": r.choice(["group", "all"])}
    if family == "rank_points":
        by = "value" if kind in (Kind.RATIO, Kind.GROWTH) or lower else r.choice(["value", "completion"])
        return {
            "family": "rank_points",
            "points": ["6", "5", "4.5", "3"],
            "default": "1",
            "by": by,
            "pool": r.choice(["group", "all"]),
        }
    if family == "share_of_total":
        return {"family": "share_of_total", "pool": r.choice(["group", "all"])}
    if family == "per_item":
        d = {"family": "per_item", "points": _num(r, ["2", "0.5", "1.25"])}
        if r.random() < 0.6:
            d["cap"] = _num(r, ["6", "1"])
        return d
    if family == "per_event":
        d = {"family": "per_event", "points": _num(r, ["1.5", "1", "0.3"]), "floor": _num(r, ["0", "1"])}
        if r.random() < 0.5:
            d["base"] = "5"
        return d
    d = {
        "family": "growth_vs_target",
        "over_points": _num(r, ["0.4", "2", "0"]),
        "over_step": _num(r, ["1", "5"]),
        "under_points": _num(r, ["0.4", "2", "1"]),
        "under_step": _num(r, ["1", "5", "3"]),
        "whole_steps": r.random() < 0.5,
    }
    if r.random() < 0.5:
        d["max_bonus"] = "3"
    if r.random() < 0.5:
        d["max_penalty"] = "4"
    return d


AMOUNTS = ["0", "1", "1.5", "2", "3", "4.5", "6", "12", "27", "28", "54", "177.7", "0.0001", "100", "33.3333"]
TARGETS = ["3", "6", "12", "27", "54", "100", "7", "0.5", "1000"]
LEVELS = ["80", "85", "90", "100", "72.5", "0", "-2", "8", "8.5"]
GROUP_WEIGHTS = ["8", "4", "0", "2.5", "0.125", "10"]


def _target(r: random.Random, s: IndicatorSpec) -> Target:
    pool = LEVELS if s.kind in (Kind.RATIO, Kind.GROWTH) else TARGETS
    t = D(r.choice([x for x in pool if s.kind is Kind.GROWTH or D(x) > 0]))
    stages: tuple[Stage, ...] = ()
    if s.kind in (Kind.CUMULATIVE, Kind.COUNT) and r.random() < 0.3:
        stages = tuple(
            Stage(m, max((t * D(f)).quantize(D("0.0001")), D("0.0001")))
            for m, f in ((3, "0.2"), (6, "0.5"), (9, "0.7"))
        )
    return Target(t, stages)


def _with_changes(r: random.Random, s: IndicatorSpec, target: Target) -> Target:
    """任务调整: one or two changes from random months on (some after the period scored, where they do nothing)."""
    if r.random() >= 0.25:
        return target
    months = sorted(r.sample(range(2, 13), r.choice([1, 1, 2])))
    return Target(target.annual, target.stages, tuple((m, _target(r, s)) for m in months))


def _group_weights(r: random.Random, groups: dict[str, str]) -> dict[str, Decimal]:
    """分组权重 for some of the groups in use (sometimes the ungrouped units' "" group too)."""
    if r.random() >= 0.35:
        return {}
    used = sorted(set(groups.values()))
    chosen = r.sample(used, r.randint(1, len(used)))
    return {g: D(r.choice(GROUP_WEIGHTS)) for g in chosen}


def random_case(seed: int) -> tuple[Scheme, YearData, int]:
    r = random.Random(seed)
    n_units = r.randint(1, 7)
    units = [f"u{k}" for k in range(n_units)]
    groups = {u: r.choice(["", "g1", "g2"]) if r.random() < 0.6 else "" for u in units}
    specs: list[IndicatorSpec] = []
    for k in range(r.randint(1, 5)):
        kind = r.choice([Kind.CUMULATIVE, Kind.CUMULATIVE, Kind.COUNT, Kind.RATIO, Kind.GROWTH, Kind.ANNUAL])
        lower = kind is not Kind.GROWTH and r.random() < 0.2
        rule = _rule(r, kind, lower)
        frequency = (
            Frequency.ANNUAL if kind is Kind.ANNUAL else r.choice([Frequency.MONTHLY] * 3 + [Frequency.QUARTERLY])
        )
        curve = None
        if kind in (Kind.CUMULATIVE, Kind.COUNT) and r.random() < 0.25:
            steps = sorted(
                r.choice(["0.05", "0.1", "0.25", "0.3", "0.5", "0.6", "0.75", "0.9", "0.123457"]) for _ in range(11)
            )
            curve = (*(D(s) for s in steps), D(1))
        specs.append(
            IndicatorSpec(
                code=f"i{k}",
                kind=kind,
                weight=D(r.choice(["1", "0.5", "10", "3", "0"])),
                rule=None if rule is None else rule_from_dict(rule),
                direction=Direction.LOWER if lower else Direction.HIGHER,
                frequency=frequency,
                plan_curve=curve,
                interpolate_stages=r.random() < 0.5,
                counts_for_schedule=r.random() < 0.9,
                vs_group_average=kind in (Kind.GROWTH, Kind.RATIO) and r.random() < 0.5,
                group_weights=_group_weights(r, groups),
            )
        )
    volumes = [
        s
        for s in specs
        if s.kind in (Kind.CUMULATIVE, Kind.COUNT)
        and s.direction is Direction.HIGHER
        and s.rule is not None
        and s.rule.family != "combo"
    ]
    if len(volumes) >= 2 and r.random() < 0.5:
        a, b = r.sample(volumes, 2)
        share = r.choice(["0.5", "0.3", "0.7"])
        combo = {
            "family": "combo",
            "basis": r.choice(["annual", "schedule"]),
            "cap": r.choice(["1", "1.2"]),
            "parts": [{"indicator": a.code, "share": share}, {"indicator": b.code, "share": str(1 - D(share))}],
        }
        specs.append(
            IndicatorSpec(
                code="combo",
                kind=Kind.CUMULATIVE,
                weight=D("0.5"),
                rule=rule_from_dict(combo),
                group_weights=_group_weights(r, groups),
            )
        )
    through = r.randint(1, 12)
    targets: dict[tuple[str, str], Target] = {}
    values: dict[tuple[str, str, int], Decimal] = {}
    for s in specs:
        if s.rule is not None and s.rule.family == "combo":
            continue
        for u in units:
            if r.random() < 0.85:
                targets[u, s.code] = _with_changes(r, s, _target(r, s))
            base = r.choice(AMOUNTS)
            for m in range(1, through + 1):
                if r.random() < 0.85:
                    if s.kind in (Kind.RATIO, Kind.GROWTH):
                        v = D(r.choice(LEVELS))
                        if s.kind is Kind.RATIO:
                            v = abs(v)
                    else:
                        v = D(base) * m / 12 if r.random() < 0.5 else D(r.choice(AMOUNTS))
                        v = v.quantize(D("0.0001"))
                    values[u, s.code, m] = v
    categories = (
        AdjustmentCategory("b1", AdjustmentKind.BONUS, D("3")),
        AdjustmentCategory("b2", AdjustmentKind.BONUS, None),
        AdjustmentCategory("d1", AdjustmentKind.DEDUCTION, D("2.5")),
    )
    adjustments = tuple(
        Adjustment(
            r.choice(units),
            r.choice(["b1", "b2", "d1"]),
            D(r.choice(["1", "0.5", "2", "0.125"])),
            r.randint(1, through),
        )
        for _ in range(r.randint(0, 4))
    )
    vetoes = tuple(
        Veto(r.choice(units), r.choice(list(VetoEffect)), r.randint(1, through), approved=r.random() < 0.8)
        for _ in range(r.randint(0, 2))
    )
    promotions = tuple(Promotion(r.choice(units), r.randint(1, through)) for _ in range(r.randint(0, 2)))
    grade = r.choice(
        [
            None,
            {
                "method": "bands",
                "bands": [{"min": "10", "grade": "优秀"}, {"min": "3", "grade": "良好"}],
                "else": "一般",
            },
            {
                "method": "rank_share",
                "shares": [{"top": "0.3", "grade": "优秀"}, {"top": "0.6", "grade": "良好"}],
                "else": "合格",
                "pool": r.choice(["all", "group"]),
            },
        ]
    )
    scheme = Scheme(
        indicators=tuple(specs),
        units=tuple(Unit(u, groups[u]) for u in units),
        categories=categories,
        grade_rule=None if grade is None else grade_rule_from_dict(grade),
        tie_break=r.choice(list(TieBreak)),
    )
    return scheme, YearData(targets, values, adjustments, vetoes, promotions), through


# --- Boundary-seeking cases -------------------------------------------------------------------------------------
# The same random schemes, with targets scaled up and figures placed exactly on, or one figure step (10^-4, at most
# 10^-6 of the target) either side of, a threshold: a cap, a band threshold, a segment bound, the completion where
# a piecewise total reaches its limit, 100 % and the time-elapsed schedule.

EPSILON = Decimal("0.0001")
SCALE = 1000


def _scaled(target: Target) -> Target:
    return Target(
        target.annual * SCALE,
        tuple(Stage(s.month, s.amount * SCALE) for s in target.stages),
        tuple((m, _scaled(t)) for m, t in target.changes),
    )


def _limit_crossings(rule: PiecewisePpRule) -> list[Fraction]:
    """Completions where a piecewise total reaches ±limit, walking out from 100 % in each direction."""
    assert rule.limit is not None
    limit, out = Fraction(rule.limit), []
    above = sorted((s for s in rule.segments if Fraction(s.lower) >= 1), key=lambda s: Fraction(s.lower))
    below = sorted((s for s in rule.segments if Fraction(s.lower) < 1), key=lambda s: -Fraction(s.upper or 1))
    for segments, outward in ((above, 1), (below, -1)):
        total = Fraction(0)
        for seg in segments:
            k = Fraction(seg.per_pp) * 100
            start = Fraction(seg.lower) if outward == 1 else Fraction(seg.upper or 1)
            end = Fraction(seg.lower) if outward == -1 else None if seg.upper is None else Fraction(seg.upper)
            for goal in (limit, -limit):
                if k:
                    c = start + outward * (goal - total) / k
                    if outward * (c - start) > 0 and (end is None or outward * (end - c) >= 0):
                        out.append(c)
            if end is not None:
                total += k * abs(end - start)
    return out


def thresholds(rule: Rule | None) -> list[Fraction]:
    """The completions at which a rule's points change course."""
    found = [Fraction(1)]
    if isinstance(rule, (RatioRule, ComboRule)):
        found.append(Fraction(rule.cap))
    elif isinstance(rule, BandsRule):
        found += [Fraction(b.threshold) for b in rule.bands]
    elif isinstance(rule, PiecewisePpRule):
        for s in rule.segments:
            found.append(Fraction(s.lower))
            if s.upper is not None:
                found.append(Fraction(s.upper))
        if rule.limit is not None:
            found += _limit_crossings(rule)
    return [t for t in found if t > 0]


def _on(amount: Fraction, r: random.Random) -> Decimal:
    """A figure on the amount (rounded to the figure's 4 places when it has more), or one step either side."""
    exact = Decimal(amount.numerator) / Decimal(amount.denominator)
    near = exact.quantize(EPSILON) + EPSILON * r.choice([-1, 0, 0, 1])
    return max(near, Decimal(0))


def boundary_case(seed: int) -> tuple[Scheme, YearData, int]:
    scheme, data, through = random_case(seed)
    r = random.Random(seed ^ 0x5EED)
    specs = {s.code: s for s in scheme.indicators}
    targets = {key: t if specs[key[1]].kind is Kind.GROWTH else _scaled(t) for key, t in data.targets.items()}
    values = dict(data.values)
    combo_caps = {
        p.indicator: Fraction(s.rule.cap)
        for s in scheme.indicators
        if isinstance(s.rule, ComboRule)
        for p in s.rule.parts
    }
    for (unit, code, month), value in data.values.items():
        spec = specs[code]
        target = targets.get((unit, code))
        if spec.kind is Kind.GROWTH or target is None:
            continue
        rule = spec.rule
        basis = getattr(rule, "basis", Basis.ANNUAL)
        due = scheduled_amount(spec, target, month)
        choices = thresholds(rule)
        if code in combo_caps:
            choices += [combo_caps[code]] * 3
        if r.random() < 0.3:  # on the schedule: on schedule or behind
            values[unit, code, month] = _on(due, r)
            continue
        amount = due if basis is Basis.SCHEDULE else Fraction(target.at(month).annual)
        values[unit, code, month] = _on(amount * r.choice(choices), r)
    return scheme, YearData(targets, values, data.adjustments, data.vetoes, data.promotions), through
