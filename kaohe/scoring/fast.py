"""The vectorised whole-year path: NumPy over integer fixed point, results identical to the reference engine.

Each indicator is scored for all months and units at once with the exact primitives of `fixedpoint`. Whatever they
cannot settle (an operand out of range, an interval that straddles a cap, a rounding boundary or a tie) is
recomputed by the reference engine itself, in Fractions, for just those cells or units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from kaohe.scoring.arrays import ChangeLevel, YearArrays, check_arrays, in_force, to_arrays
from kaohe.scoring.engine import Facts, cell_points, measure, unit_facts, with_average
from kaohe.scoring.fixedpoint import (
    I64,
    VS,
    Bool,
    Cols,
    K,
    Q,
    S,
    Val,
    at_least,
    clamp,
    const,
    exact_ranks,
    exact_sign,
    exact_val,
    floor_div,
    pick,
    quotient,
    round_cents,
    term,
    times,
)
from kaohe.scoring.rules import PoolStats
from kaohe.scoring.schedule import (
    evaluation_months,
    schedule_fraction,
    scheduled_amount,
)
from kaohe.scoring.scheme import Scheme
from kaohe.scoring.types import (
    ON_SCHEDULE,
    RELATIVE,
    TARGET_FREE,
    AdjustmentKind,
    BandsRule,
    BasePerPpRule,
    Basis,
    ComboRule,
    Direction,
    EfficacyRule,
    GradeMethod,
    GrowthVsTargetRule,
    IndicatorSpec,
    Kind,
    Measure,
    PerEventRule,
    PerItemRule,
    PiecewisePpRule,
    Pool,
    RankPointsRule,
    RatioRule,
    Rule,
    ShareOfTotalRule,
    Status,
    TieBreak,
    UnderMode,
    VetoEffect,
    needs_target,
)

STATUSES: tuple[Status, ...] = tuple(Status)  # status codes in YearScores.status index this
CODE = {s: np.int8(i) for i, s in enumerate(STATUSES)}


# --- scoring -----------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class YearScores:
    """Results for the months scored (`months`, those the arrays hold; by default 1..through). Per cell
    [indicator, k, unit]; per unit [k, unit], k = month_index(month) (month − 1 when every month is scored).
    Points and totals are given as shown (hundredths, ROUND_HALF_UP of the exact value) and, for checks and further
    arithmetic, as the exact-or-bracketed fixed point (points_lo, points_n) at 10^-9, as are the paced points
    behind 得分达序时 (paced_lo, paced_n)."""

    arrays: YearArrays
    through: int
    months: tuple[int, ...]  # the month numbers on the month axis, ascending, the last one `through`
    status: npt.NDArray[np.int8]  # index into STATUSES
    points_cents: I64
    points_lo: I64
    points_n: I64
    paced_lo: I64
    paced_n: I64
    indicator_rank: npt.NDArray[np.int32]  # 0: not ranked
    indicator_points_cents: I64
    category_cents: dict[str, I64]  # 指标类别 → Σ its indicators' points per [k, unit], rounded half-up once
    bonus_cents: I64
    deduction_cents: I64
    total_cents: I64
    paced_total_cents: I64
    score_on_schedule: Bool
    on_schedule_count: I64
    behind_count: I64
    not_reported_count: I64
    rank: npt.NDArray[np.int32]
    group_rank: npt.NDArray[np.int32]
    grade: npt.NDArray[np.int16]  # index into grade_names, −1 without a grade rule
    grade_names: tuple[str, ...]
    promoted: Bool
    award_eligible: Bool
    fallbacks: int  # cells and units recomputed by the reference engine (diagnostics)

    def unit_index(self, unit: str) -> int:
        return self.arrays.units.index(unit)

    def month_index(self, month: int) -> int:
        """The position of month N on the month axis; KeyError for a month this run did not score."""
        try:
            return self.months.index(month)
        except ValueError:
            raise KeyError(f"{month}月未计分（本次计分的月份：{'、'.join(map(str, self.months))}）") from None

    def status_at(self, unit: str, indicator: str, month: int) -> Status:
        i = self.arrays.indicators.index(indicator)
        return STATUSES[int(self.status[i, self.month_index(month), self.unit_index(unit)])]

    def has_figures(self, month: int) -> bool:
        """Some unit reported some figure for month N: a month without any has no ranking worth comparing with."""
        return bool(self.arrays.reported[:, self.month_index(month), :].any())

    @staticmethod
    def cents_to_decimal(cents: int | np.integer) -> Decimal:
        return Decimal(int(cents)).scaleb(-2)

    @property
    def evaluated_count(self) -> I64:
        return self.on_schedule_count + self.behind_count


class _Year:
    """One scoring run over arrays; holds what the exact fallbacks need."""

    def __init__(self, scheme: Scheme, arrays: YearArrays, levels: dict[int, list[ChangeLevel]]) -> None:
        self.scheme = scheme
        self.a = arrays
        self.data = arrays.to_data()
        self.specs = {s.code: s for s in scheme.indicators}
        self.index = {s.code: k for k, s in enumerate(scheme.indicators)}
        # The month axis holds just the months scored: position m is month self.months[m], not m + 1.
        self.months = arrays.scored_months
        self.M, self.U = len(self.months), len(arrays.units)
        self.shape = (self.M, self.U)
        names = sorted(set(arrays.groups))
        self.group_id = np.array([names.index(g) for g in arrays.groups], np.int64)
        self.group_names = names
        self.pool_ranks: dict[int, npt.NDArray[np.int32]] = {}
        self.facts_cache: dict[tuple[int, int, int], Facts] = {}
        self.pools: dict[int, tuple[npt.NDArray[np.integer], Bool]] = {}  # relative families: (segment, scored)
        self.pool_cache: dict[tuple[int, int, int], tuple[Fraction, Fraction, Fraction]] = {}
        self.fallbacks = 0
        # 任务调整 per indicator, and the cells whose scheduled amount needs their staged targets.
        self.levels = levels
        self.staged: dict[int, list[int]] = {}
        for i, u in sorted({*arrays.stages, *arrays.changes}):
            key = (i, u)
            staged = arrays.stages.get(key) or any(t.stages for _, t in arrays.changes.get(key, ()))
            if staged and arrays.has_target[key]:
                self.staged.setdefault(i, []).append(u)

    # -- per-indicator inputs --

    def target(self, i: int, fill: int = 1) -> I64:
        """Annual targets in force (× 10^4, `fill` without one): [1, U], or [M, U] when some target changes."""
        return in_force(self.a, i, self.levels.get(i), fill)

    def weight(self, spec: IndicatorSpec) -> K:
        """The indicator's weight: one Fraction, or per unit column where group weights (分组权重) differ."""
        if not spec.group_weights:
            return Fraction(spec.weight)
        per_group = [Fraction(spec.weight_for(g)) for g in self.group_names]
        values = sorted(set(per_group))
        if len(values) == 1:
            return values[0]
        of_group = np.array([values.index(x) for x in per_group], np.intp)
        return Cols(tuple(values), of_group[self.group_id])

    def due(self, i: int) -> tuple[I64, I64, I64, I64, I64]:
        """Scheduled amount (n1 × n2 ÷ d) and the paced annual completion (pn ÷ pd) per [month, unit]."""
        spec = self.scheme.indicators[i]
        M = self.M
        t = self.target(i)
        sn = np.empty((M, 1), np.int64)
        sd = np.empty((M, 1), np.int64)
        for m, month in enumerate(self.months):
            s = schedule_fraction(spec, month)
            sn[m], sd[m] = s.numerator, s.denominator
        n1 = np.broadcast_to(t, self.shape).copy()
        n2 = np.broadcast_to(sn, self.shape).copy()
        d = np.broadcast_to(sd, self.shape).copy()
        pn, pd = n2.copy(), d.copy()
        for u in self.staged.get(i, ()):
            target = self.data.targets[self.a.units[u], spec.code]
            for m, month in enumerate(self.months):
                current = target.at(month)
                if not current.stages:
                    continue  # a changed target without stages: target × s(N), as vectorised above
                amount = scheduled_amount(spec, current, month) * VS
                n1[m, u], n2[m, u], d[m, u] = amount.numerator, 1, amount.denominator
                pn[m, u], pd[m, u] = amount.numerator, amount.denominator * int(current.annual.scaleb(4))
        return n1, n2, d, pn, pd

    def facts(self, i: int, m: int, u: int) -> Facts:
        key = (i, m, u)
        if key not in self.facts_cache:
            spec = self.scheme.indicators[i]
            f = unit_facts(spec, self.specs, self.data, self.a.units[u], self.months[m])
            if spec.vs_group_average and f.status is Status.ON_SCHEDULE:
                f = with_average(spec, f, self.average(i, m, u))
            self.facts_cache[key] = f
        return self.facts_cache[key]

    def average(self, i: int, m: int, u: int) -> Fraction:
        """The exact group average of the judged values (target and value present, month evaluated)."""
        judged = self.a.has_target[i] & self.a.reported[i, m] & (self.group_id == self.group_id[u])
        values = self.a.values[i, m][judged]
        return Fraction(sum(int(x) for x in values), VS * len(values))

    # -- the exact fallback: the reference engine on one cell --

    def exact_cell(self, i: int, m: int, u: int) -> tuple[Fraction, Fraction, Status]:
        self.fallbacks += 1
        spec = self.scheme.indicators[i]
        f = self.facts(i, m, u)
        pool = self.pool_stats(i, m, u) if isinstance(spec.rule, RELATIVE) and f.scored else None
        points, paced, _ = cell_points(spec, f, pool, group=self.a.groups[u], explain=False)
        return points, paced, f.status

    def pool_stats(self, i: int, m: int, u: int) -> PoolStats:
        """The exact pool figures of a relative family, from the arrays (values are exact integers)."""
        seg, scored = self.pools[i]
        key = (i, m, int(seg[m, u]))
        if key not in self.pool_cache:
            members = self.a.values[i, m][(seg[m] == seg[m, u]) & scored[m]]
            self.pool_cache[key] = (
                Fraction(int(members.min()), VS),
                Fraction(int(members.max()), VS),
                Fraction(sum(int(x) for x in members), VS),  # Python ints: no overflow
            )
        low, high, total = self.pool_cache[key]
        rank = int(self.pool_ranks[i][m, u]) if i in self.pool_ranks else None
        return PoolStats(low=low, high=high, total=total, rank=rank)


def score_arrays(scheme: Scheme, arrays: YearArrays) -> YearScores:
    """Score the months the arrays hold (`YearArrays.scored_months`, by default 1..through) for every unit and
    indicator; each month exactly as a run over all months 1..through would score it."""
    y = _Year(scheme, arrays, check_arrays(scheme, arrays))
    n_i, (M, U) = len(scheme.indicators), y.shape
    status = np.empty((n_i, M, U), np.int8)
    lo = np.zeros((n_i, M, U), np.int64)
    nn = np.zeros((n_i, M, U), np.int64)
    plo = np.zeros((n_i, M, U), np.int64)
    pnn = np.zeros((n_i, M, U), np.int64)
    irank = np.zeros((n_i, M, U), np.int32)
    for i, spec in enumerate(scheme.indicators):
        _indicator(y, i, spec, status, lo, nn, plo, pnn, irank)
    return _totals(y, status, lo, nn, plo, pnn, irank)


def _indicator(
    y: _Year,
    i: int,
    spec: IndicatorSpec,
    status: npt.NDArray[np.int8],
    lo: I64,
    nn: I64,
    plo: I64,
    pnn: I64,
    irank: npt.NDArray[np.int32],
) -> None:
    a, shape = y.a, y.shape
    M = y.M
    rule = spec.rule
    higher = spec.direction is Direction.HIGHER
    evaluated = np.array([month in evaluation_months(spec) for month in y.months])[:, None]
    bad = np.zeros(shape, bool)
    paced_c: list[tuple[Fraction, Q]] = []
    c_parts: list[tuple[Fraction, Q]] = []
    completion: Val | None = None
    v = a.values[i]
    t = y.target(i)  # [1, U], or [M, U] with 任务调整
    if isinstance(rule, ComboRule):
        st, scored, has, completion, c_parts, paced_c, bad = _combo(y, rule, shape)
        st = np.where(evaluated, st, CODE[Status.NOT_EVALUATED])
    else:
        has = np.broadcast_to(a.has_target[i][None, :], shape)
        rep = a.reported[i]
        if spec.kind in (Kind.RATIO, Kind.GROWTH):
            good = v >= t if higher else v <= t
            if spec.vs_group_average:
                above, unsure = _vs_average(y, i, v, evaluated & has & a.reported[i], higher)
                good &= above
                bad |= unsure
            st = np.where(good, CODE[Status.ON_SCHEDULE], CODE[Status.BEHIND])
            if spec.kind is Kind.RATIO:
                c_parts = [(Fraction(1), quotient([v], t, shape))]
                paced_c = [(Fraction(1), quotient([1], 1, shape))]
        else:
            n1, n2, d, pn, pd = y.due(i)
            sign, b = exact_sign([(1, [v, d]), (-1, [n1, n2])], shape)
            bad |= b
            if higher:
                st = np.where(
                    v >= t, CODE[Status.COMPLETED], np.where(sign >= 0, CODE[Status.ON_SCHEDULE], CODE[Status.BEHIND])
                )
            else:
                st = np.where(sign <= 0, CODE[Status.ON_SCHEDULE], CODE[Status.BEHIND])
            completion = term(Fraction(1), [v], t, shape)
            if getattr(rule, "basis", Basis.ANNUAL) is Basis.SCHEDULE:
                due_den, over = times(n1, n2, shape)
                c = quotient([v, d], due_den, shape)
                c.bad |= over
                c_parts = [(Fraction(1), c)]
                paced_c = [(Fraction(1), quotient([1], 1, shape))]
            else:
                c_parts = [(Fraction(1), quotient([v], t, shape))]
                paced_c = [(Fraction(1), quotient([pn], pd, shape))]
        st = np.where(rep, st, CODE[Status.NOT_REPORTED])
        st = np.where(has, st, CODE[Status.NO_TARGET])
        st = np.where(evaluated, st, CODE[Status.NOT_EVALUATED])
        needs = rule is None or needs_target(rule)
        scored = evaluated & rep & (has | (not needs))
    status[i] = st
    bad &= scored if isinstance(rule, ComboRule) else evaluated & has & a.reported[i]
    zero = Val(np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, bool))
    by_value = spec.kind in (Kind.RATIO, Kind.GROWTH) or (
        isinstance(rule, TARGET_FREE) or (isinstance(rule, RankPointsRule) and rule.by is Measure.VALUE)
    )
    # Rank on the indicator: value (exact integers) or completion (exact rationals, bracketed at 10^-9).
    if by_value:
        key = Val(v.copy(), np.zeros(shape, np.int64), np.zeros(shape, bool))
    else:
        assert completion is not None
        key = completion
        # A completion the fixed point could not bracket (out of range) gets its exact value now.
        for m, u in zip(*np.nonzero(key.bad & scored), strict=True):
            f = measure(spec, y.facts(i, int(m), int(u)))
            assert f is not None
            key.lo[m, u], key.n[m, u] = exact_val(f)

    def exact_key(idx: tuple[int, int]) -> Fraction:
        m_, u_ = idx
        k = measure(spec, y.facts(i, m_, u_))
        assert k is not None
        return k * (VS if by_value else S)

    month_seg = np.broadcast_to(np.arange(M)[:, None], shape)
    # Volumes rank on actual ÷ target: one exact rational per cell, compared pairwise without Python.
    ratio = None if by_value or isinstance(rule, ComboRule) else (v, np.broadcast_to(t, shape))
    irank[i] = exact_ranks(month_seg, key, scored, higher, exact_key, ratio=ratio)
    if rule is None:
        points = paced = zero
    else:
        pools = None
        if isinstance(rule, RELATIVE):
            seg = month_seg * len(y.group_names) + (y.group_id[None, :] if rule.pool is Pool.GROUP else 0)
            pools = seg
            y.pools[i] = (seg, scored)
            if isinstance(rule, RankPointsRule):
                y.pool_ranks[i] = exact_ranks(seg, key, scored, higher, exact_key, ratio=ratio)
        points = _points(y, i, spec, rule, c_parts, scored, pools, v)
        if isinstance(rule, (*RELATIVE, *TARGET_FREE)):
            paced = points
            paced_mask = scored
        else:
            paced = _points(y, i, spec, rule, paced_c, scored, None, v, paced=True)
            paced_mask = evaluated & has
        points = pick(scored, points, zero)
        paced = pick(paced_mask, paced, zero)
    lo[i], nn[i], plo[i], pnn[i] = points.lo, points.n, paced.lo, paced.n
    # Whatever the vectorised pass could not settle is recomputed exactly by the reference engine.
    for m, u in zip(*np.nonzero(bad | points.bad | paced.bad), strict=True):
        p, pp, s = y.exact_cell(i, int(m), int(u))
        lo[i, m, u], nn[i, m, u] = exact_val(p)
        plo[i, m, u], pnn[i, m, u] = exact_val(pp)
        status[i, m, u] = CODE[s]


def _vs_average(y: _Year, i: int, v: I64, judged: Bool, higher: bool) -> tuple[Bool, Bool]:
    """value ≥ its group's average (≤ when lower is better), decided exactly as value × count vs sum."""
    seg = np.broadcast_to(np.arange(y.M)[:, None] * len(y.group_names) + y.group_id[None, :], y.shape)
    n_seg = y.M * len(y.group_names)
    total = np.zeros(n_seg, np.int64)
    approx = np.zeros(n_seg)
    count = np.zeros(n_seg, np.int64)
    np.add.at(total, seg[judged], v[judged])
    np.add.at(approx, seg[judged], np.abs(v[judged]).astype(np.float64))
    np.add.at(count, seg[judged], 1)
    sign, bad = exact_sign([(1, [v, count[seg]]), (-1, [total[seg]])], y.shape)
    # A sum that could pass 2^62 is left to the reference engine for those cells.
    bad |= approx[seg] >= 2.0**61
    return (sign >= 0) if higher else (sign <= 0), bad & judged


def _combo(
    y: _Year, rule: ComboRule, shape: tuple[int, int]
) -> tuple[npt.NDArray[np.int8], Bool, Bool, Val, list[tuple[Fraction, Q]], list[tuple[Fraction, Q]], Bool]:
    a = y.a
    has = np.ones(shape, bool)
    rep = np.ones(shape, bool)
    completion = const(Fraction(0), shape)
    ahead = const(Fraction(0), shape)
    parts: list[tuple[Fraction, Q]] = []
    paced: list[tuple[Fraction, Q]] = []
    for part in rule.parts:
        j = y.index[part.indicator]
        share = Fraction(part.share)
        has &= a.has_target[j][None, :]
        rep &= a.reported[j]
        v = a.values[j]
        t = y.target(j)
        n1, n2, d, pn, pd = y.due(j)
        completion = completion + term(share, [v], t, shape)
        # share × (actual − due) ÷ target, exactly bracketed: on schedule when the sum is ≥ 0.
        td, over = times(d, t, shape)
        q, inexact, bad = floor_div([(1, [share.numerator * S, v, d]), (-1, [share.numerator * S, n1, n2])], td, shape)
        ahead = ahead + Val(
            q // share.denominator, (inexact | (q % share.denominator != 0)).astype(np.int64), bad | over
        )
        if rule.basis is Basis.SCHEDULE:
            due_den, over2 = times(n1, n2, shape)
            c = quotient([v, d], due_den, shape)
            c.bad |= over2
            parts.append((share, c))
            paced.append((share, quotient([1], 1, shape)))
        else:
            parts.append((share, quotient([v], t, shape)))
            paced.append((share, quotient([pn], pd, shape)))
    done, amb1 = at_least(completion, Fraction(1))
    on, amb2 = at_least(ahead, Fraction(0))
    st = np.where(done, CODE[Status.COMPLETED], np.where(on, CODE[Status.ON_SCHEDULE], CODE[Status.BEHIND]))
    st = np.where(rep, st, CODE[Status.NOT_REPORTED])
    st = np.where(has, st, CODE[Status.NO_TARGET])
    scored = has & rep
    bad = scored & (amb1 | amb2 | completion.bad | ahead.bad)
    return st, scored, has, completion, parts, paced, bad


def _points(
    y: _Year,
    i: int,
    spec: IndicatorSpec,
    rule: Rule,
    parts: list[tuple[Fraction, Q]],
    scored: Bool,
    pools: I64 | None,
    v: I64,
    *,
    paced: bool = False,
) -> Val:
    shape = y.shape
    w = y.weight(spec)
    c = parts[0][1] if parts else None
    match rule:
        case RatioRule():
            assert c is not None
            capped, b = c.ge(Fraction(rule.cap), shape)
            out = pick(capped, const(w * Fraction(rule.cap), shape), c.term(w, shape))
            out.bad |= b | c.bad
            return out
        case ComboRule():
            mix = const(Fraction(0), shape)
            raw = const(Fraction(0), shape)
            for share, q in parts:
                mix = mix + q.term(share, shape)
                raw = raw + q.term(w * share, shape)
            capped, amb = at_least(mix, Fraction(rule.cap))
            out = pick(capped, const(w * Fraction(rule.cap), shape), raw)
            out.bad |= amb | mix.bad | raw.bad
            return out
        case BasePerPpRule():
            assert c is not None
            return _base_per_pp(rule, w, c, shape)
        case PiecewisePpRule():
            assert c is not None
            return _piecewise(rule, c, shape)
        case BandsRule():
            assert c is not None
            out = const(Fraction(rule.otherwise), shape)
            chosen = np.zeros(shape, bool)
            bad = c.bad.copy()
            for band in rule.bands:
                hit, b = (
                    c.le(Fraction(band.threshold), shape) if rule.at_most else c.ge(Fraction(band.threshold), shape)
                )
                hit &= ~chosen
                bad |= b
                out = pick(hit, const(Fraction(band.points), shape), out)
                chosen |= hit
            out.bad |= bad
            return out
        case EfficacyRule() | ShareOfTotalRule():
            assert pools is not None
            return _pooled(y, rule, w, spec.direction is Direction.HIGHER, v, scored, pools)
        case RankPointsRule():
            ranks = y.pool_ranks[i].astype(np.int64)
            # Rule constants have at most 6 decimals, so every table entry is an exact integer at 10^-9.
            lut = np.array([int(Fraction(p) * S) for p in (*rule.points, rule.default)], np.int64)
            idx = np.where((ranks >= 1) & (ranks <= len(rule.points)), ranks - 1, len(rule.points))
            return Val(lut[idx], np.zeros(shape, np.int64), np.zeros(shape, bool))
        case PerItemRule():
            pts = Fraction(rule.points)
            raw = term(pts / VS, [v], 1, shape)
            return raw if rule.cap is None else clamp(raw, Fraction(rule.cap), const(Fraction(rule.cap), shape))
        case PerEventRule():
            base: K = w if rule.base is None else Fraction(rule.base)
            raw = const(base, shape) + term(-Fraction(rule.points) / VS, [v], 1, shape)
            return clamp(raw, Fraction(rule.floor), const(Fraction(rule.floor), shape), below=True)
        case GrowthVsTargetRule():
            t = y.target(i, 0)
            diff = (
                np.zeros(shape, np.int64)
                if paced
                else np.broadcast_to((v - t) if spec.direction is Direction.HIGHER else (t - v), shape)
            )
            return _growth(rule, w, diff, shape)
    raise AssertionError(rule)  # pragma: no cover


def _base_per_pp(rule: BasePerPpRule, w: K, c: Q, shape: tuple[int, int]) -> Val:
    base: K = w if rule.base is None else Fraction(rule.base)
    ge1, bad = c.ge(Fraction(1), shape)
    op, ost = Fraction(rule.over_points), Fraction(rule.over_step)
    mb = None if rule.max_bonus is None else Fraction(rule.max_bonus)
    if rule.whole_steps:
        k, b = c.steps(1, ost, shape)
        bonus = term(op, [k], 1, shape)
        bonus.bad |= b
    else:
        beta = op * 100 / ost
        bonus = c.term(beta, shape) + const(-beta, shape)
    if mb is not None:
        bonus = clamp(bonus, mb, const(mb, shape))
    over = const(base, shape) + bonus
    if rule.under is UnderMode.PROPORTIONAL:
        under = c.term(base, shape)
    else:
        up, ust = Fraction(rule.under_points), Fraction(rule.under_step)
        if rule.whole_steps:
            k, b = c.steps(-1, ust, shape)
            under = const(base, shape) + term(-up, [k], 1, shape)
            under.bad |= b
        else:
            beta = up * 100 / ust
            under = const(base - beta, shape) + c.term(beta, shape)
        if rule.floor is not None:
            under = clamp(under, Fraction(rule.floor), const(Fraction(rule.floor), shape), below=True)
    out = pick(ge1, over, under)
    out.bad |= bad | c.bad
    return out


def _piecewise(rule: PiecewisePpRule, c: Q, shape: tuple[int, int]) -> Val:
    ge1, bad = c.ge(Fraction(1), shape)
    total = const(Fraction(0), shape)
    for seg in rule.segments:
        lower, k = Fraction(seg.lower), Fraction(seg.per_pp) * 100
        upper = None if seg.upper is None else Fraction(seg.upper)
        zero = const(Fraction(0), shape)
        if lower >= 1:  # counts the part of [1, c] inside [lower, upper]
            past_lower, b1 = c.ge(lower, shape)
            inside = c.term(k, shape) + const(-k * lower, shape)
            if upper is not None:
                past_upper, b2 = c.ge(upper, shape)
                inside = pick(past_upper, const(k * (upper - lower), shape), inside)
                b1 |= b2
            part = pick(ge1 & past_lower, inside, zero)
        else:  # counts the part of [c, 1] inside [lower, upper]; upper ≤ 1 (parse guarantees it)
            assert upper is not None
            below_upper, b1 = c.ge(upper, shape)
            above_lower, b2 = c.ge(lower, shape)
            inside = const(k * upper, shape) + c.term(-k, shape)
            inside = pick(above_lower, inside, const(k * (upper - lower), shape))
            part = pick(~ge1 & ~below_upper, inside, zero)
            b1 |= b2
        part.bad |= b1
        total = total + part
    if rule.limit is not None:
        limit = Fraction(rule.limit)
        over, amb1 = at_least(total, limit)
        under, amb2 = at_least(Val(-total.lo - total.n, total.n, total.bad), limit)
        was_bad = total.bad
        total = pick(over, const(limit, shape), pick(under, const(-limit, shape), total))
        total.bad |= amb1 | amb2 | was_bad
    total = total + const(Fraction(rule.base), shape)
    total.bad |= bad
    return total


def _growth(rule: GrowthVsTargetRule, w: K, diff: I64, shape: tuple[int, int]) -> Val:
    base: K = w if rule.base is None else Fraction(rule.base)
    up = diff >= 0
    d_abs = np.abs(diff)

    def adjust(points: Fraction, step: Fraction, cap: Fraction | None) -> Val:
        if rule.whole_steps:
            k, _, b = floor_div([(1, [d_abs, step.denominator])], step.numerator * VS, shape)
            v = term(points, [k], 1, shape)
            v.bad |= b
        else:
            v = term(points / step / VS, [d_abs], 1, shape)
        return v if cap is None else clamp(v, cap, const(cap, shape))

    mb = None if rule.max_bonus is None else Fraction(rule.max_bonus)
    mp = None if rule.max_penalty is None else Fraction(rule.max_penalty)
    bonus = adjust(Fraction(rule.over_points), Fraction(rule.over_step), mb)
    penalty = adjust(Fraction(rule.under_points), Fraction(rule.under_step), mp)
    return pick(up, const(base, shape) + bonus, const(base, shape) - penalty)


def _pooled(y: _Year, rule: EfficacyRule | ShareOfTotalRule, w: K, higher: bool, v: I64, scored: Bool, seg: I64) -> Val:
    """efficacy and share_of_total: min, max and sum of the values over each (month, pool)."""
    shape = y.shape
    n_seg = int(seg.max()) + 1 if seg.size else 1
    flat_seg, flat_v, flat_ok = seg.ravel(), v.ravel(), scored.ravel()
    lo = np.full(n_seg, np.iinfo(np.int64).max)
    hi = np.full(n_seg, np.iinfo(np.int64).min)
    np.minimum.at(lo, flat_seg[flat_ok], flat_v[flat_ok])
    np.maximum.at(hi, flat_seg[flat_ok], flat_v[flat_ok])
    low, high = lo[seg], hi[seg]
    if isinstance(rule, EfficacyRule):
        a, b = Fraction(rule.low), Fraction(rule.high)
        span = np.where(high > low, high - low, 1)
        top = (v - low) if higher else (high - v)
        out = const(w * a / 100, shape) + term(w * (b - a) / 100, [np.where(scored, top, 0)], span, shape)
        return pick(high == low, const(w * b / 100, shape), out)
    # Sums may pass 2^63 at national scale with large values: fall back to exact Python sums then.
    fsum = np.zeros(n_seg)
    np.add.at(fsum, flat_seg[flat_ok], flat_v[flat_ok].astype(np.float64))
    isum = np.zeros(n_seg, np.int64)
    np.add.at(isum, flat_seg[flat_ok], flat_v[flat_ok])
    total = isum[seg]
    big = fsum[seg] >= 2.0**61
    out = term(w, [np.where(scored, v, 0)], np.where(big | (total <= 0), 1, total), shape)
    out = pick(total == 0, const(Fraction(0), shape), out)
    out.bad |= big
    return out


# --- totals, ranks, grades ---------------------------------------------------------------------------------------


def _per_unit_adjustments(y: _Year) -> tuple[I64, I64]:
    """Bonus and deduction per [month, unit] at 10^-9 (exact: items have ≤ 4 decimals, caps ≤ 6). Items of every
    month up to the one scored count, whether or not the arrays hold that month's figures."""
    M, U = y.shape
    units = {c: k for k, c in enumerate(y.a.units)}
    categories = {c.code: c for c in y.scheme.categories}
    # In integers at 10^-9, exact for such amounts: thousands of running sums, no Fraction arithmetic per month.
    monthly: dict[tuple[int, str], list[int]] = {}
    for item in y.a.adjustments:
        row = monthly.setdefault((units[item.unit], item.category), [0] * 12)
        row[item.month - 1] += _fixed(item.points)
    caps = {code: None if c.cap is None else _fixed(c.cap) for code, c in categories.items()}
    bonus = np.zeros((M, U), np.int64)
    deduction = np.zeros((M, U), np.int64)
    for (u, code), row in monthly.items():
        cap, target = caps[code], bonus if categories[code].kind is AdjustmentKind.BONUS else deduction
        through_month = list(accumulate(row))  # running sums over all 12 months
        for m, month in enumerate(y.months):
            running = through_month[month - 1]
            target[m, u] += running if cap is None else min(running, cap)
    return bonus, deduction


def _fixed(x: Decimal | int | str) -> int:
    """An item's points or a cap at 10^-9 (they carry at most 6 decimals, so this is exact; Decimal arithmetic
    where a Fraction per item cost a tenth of the adjustments' time)."""
    scaled = Decimal(x).scaleb(9)
    if scaled != scaled.to_integral_value():
        raise AssertionError(f"more than 9 decimals: {x}")  # pragma: no cover - parse and validation refuse them
    return int(scaled)


def _totals(
    y: _Year, status: npt.NDArray[np.int8], lo: I64, nn: I64, plo: I64, pnn: I64, irank: npt.NDArray[np.int32]
) -> YearScores:
    scheme, (M, U) = y.scheme, y.shape
    counted = np.array([s.counts_for_schedule for s in scheme.indicators], bool)
    st = status[counted]
    on = np.isin(st, [CODE[s] for s in ON_SCHEDULE]).sum(axis=0)
    behind = (st == CODE[Status.BEHIND]).sum(axis=0)
    missing = (st == CODE[Status.NOT_REPORTED]).sum(axis=0)
    bonus, deduction = _per_unit_adjustments(y)
    months = np.array(y.months, np.int64)[:, None]  # vetoes and promotions apply from their month on
    units = {c: k for k, c in enumerate(y.a.units)}
    zero_total = np.zeros((M, U), bool)
    fail = np.zeros((M, U), bool)
    vetoed = np.zeros((M, U), bool)
    for veto in y.a.vetoes:
        if veto.approved:
            col = units[veto.unit]
            live = months[:, 0] >= veto.month
            vetoed[live, col] = True
            if veto.effect is VetoEffect.ZERO_TOTAL:
                zero_total[live, col] = True
            elif veto.effect is VetoEffect.FAIL_GRADE:
                fail[live, col] = True
    promoted_in = np.zeros((M, U), bool)
    for p in y.a.promotions:
        promoted_in[months[:, 0] >= p.month, units[p.unit]] = True
    empty = np.zeros((M, U), bool)
    points = Val(lo.sum(axis=0), nn.sum(axis=0), empty.copy())
    adj = Val(bonus - deduction, np.zeros((M, U), np.int64), empty.copy())
    raw_total = points + adj
    total = pick(zero_total, Val(np.zeros((M, U), np.int64), np.zeros((M, U), np.int64), empty), raw_total)
    paced = Val(plo.sum(axis=0), pnn.sum(axis=0), empty.copy()) + adj
    exact_totals: dict[tuple[int, int], tuple[Fraction, Fraction, Fraction]] = {}

    def exact_unit(m: int, u: int) -> tuple[Fraction, Fraction, Fraction]:
        """(indicator points, total, paced total), exactly. A cell whose fixed point is exact (n = 0: the value is
        lo ÷ 10^9 itself, including cells already recomputed by the reference engine) adds lo as it is; only a
        bracketed cell asks the reference engine. Statuses are settled already, so only the points are needed."""
        if (m, u) not in exact_totals:
            exact = (nn[:, m, u] == 0) & (pnn[:, m, u] == 0)
            # Summed as Python ints: many cells of up to 10^17 each could pass int64.
            pts = Fraction(sum(lo[exact, m, u].tolist()), S)
            pace = Fraction(sum(plo[exact, m, u].tolist()), S)
            for i in np.flatnonzero(~exact).tolist():
                p, pp, _ = y.exact_cell(i, m, u)
                pts += p
                pace += pp
            adjust = Fraction(int(bonus[m, u] - deduction[m, u]), S)
            tot = Fraction(0) if zero_total[m, u] else pts + adjust
            exact_totals[m, u] = (pts, tot, pace + adjust)
        return exact_totals[m, u]

    point_cents, amb_p = round_cents(points)
    total_cents, amb_t = round_cents(total)
    paced_cents, amb_pc = round_cents(paced)
    on_sched, amb_s = at_least(total - paced, Fraction(0))
    for m, u in zip(*np.nonzero(amb_p | amb_t | amb_pc | amb_s), strict=True):
        pts, tot, pace = exact_unit(int(m), int(u))
        point_cents[m, u] = _cents(pts)
        total_cents[m, u] = _cents(tot)
        paced_cents[m, u] = _cents(pace)
        on_sched[m, u] = tot >= pace
    cell_cents, amb_c = round_cents(Val(lo, nn, np.zeros(lo.shape, bool)))
    for i, m, u in zip(*np.nonzero(amb_c), strict=True):
        cell_cents[i, m, u] = _cents(y.exact_cell(int(i), int(m), int(u))[0])
    category_cents = {}
    for code in dict.fromkeys(spec.category for spec in scheme.indicators):
        rows = [i for i, spec in enumerate(scheme.indicators) if spec.category == code]
        cents, amb_k = round_cents(Val(lo[rows].sum(axis=0), nn[rows].sum(axis=0), empty.copy()))
        for m, u in zip(*np.nonzero(amb_k), strict=True):  # a rounding boundary inside the bracket: exactly
            exact = sum(
                (Fraction(int(lo[i, m, u]), S) if nn[i, m, u] == 0 else y.exact_cell(i, int(m), int(u))[0]
                 for i in rows),
                Fraction(0),
            )  # fmt: skip
            cents[m, u] = _cents(exact)
        category_cents[code] = cents
    tie = on.astype(np.int64) if scheme.tie_break is TieBreak.ON_SCHEDULE_COUNT else None
    month_seg = np.broadcast_to(np.arange(M)[:, None], (M, U))
    all_valid = np.ones((M, U), bool)

    def exact_total(idx: tuple[int, int]) -> Fraction:
        return exact_unit(*idx)[1] * S

    rank = exact_ranks(month_seg, total, all_valid, True, exact_total, tie)
    group_seg = month_seg * len(y.group_names) + y.group_id[None, :]
    group_rank = exact_ranks(group_seg, total, all_valid, True, exact_total, tie)
    grade, names, lifted = _grades(y, total, rank, group_rank, exact_unit, promoted_in & ~vetoed, fail)
    return YearScores(
        arrays=y.a,
        through=y.a.through,
        months=y.months,
        status=status,
        points_cents=cell_cents,
        points_lo=lo,
        points_n=nn,
        paced_lo=plo,
        paced_n=pnn,
        indicator_rank=irank,
        indicator_points_cents=point_cents,
        category_cents=category_cents,
        bonus_cents=round_cents(Val(bonus, np.zeros_like(bonus), empty))[0],
        deduction_cents=round_cents(Val(deduction, np.zeros_like(deduction), empty))[0],
        total_cents=total_cents,
        paced_total_cents=paced_cents,
        score_on_schedule=on_sched,
        on_schedule_count=on.astype(np.int64),
        behind_count=behind.astype(np.int64),
        not_reported_count=missing.astype(np.int64),
        rank=rank,
        group_rank=group_rank,
        grade=grade,
        grade_names=names,
        promoted=lifted,
        award_eligible=~vetoed,
        fallbacks=y.fallbacks,
    )


def _cents(x: Fraction) -> int:
    q = x * 100
    n = (abs(q.numerator) * 2 + q.denominator) // (2 * q.denominator)
    return -n if q < 0 else n


def _grades(
    y: _Year,
    total: Val,
    rank: npt.NDArray[np.int32],
    group_rank: npt.NDArray[np.int32],
    exact_unit: Callable[[int, int], tuple[Fraction, Fraction, Fraction]],
    may_promote: Bool,
    fail: Bool,
) -> tuple[npt.NDArray[np.int16], tuple[str, ...], Bool]:
    rule = y.scheme.grade_rule
    shape = y.shape
    if rule is None:
        return np.full(shape, -1, np.int16), (), np.zeros(shape, bool)
    names = (*rule.ladder, rule.fail) if rule.fail not in rule.ladder else rule.ladder
    grade = np.full(shape, len(rule.steps), np.int16)
    chosen = np.zeros(shape, bool)
    by_group = rule.method is GradeMethod.RANK_SHARE and rule.pool is Pool.GROUP
    sizes = np.bincount(y.group_id, minlength=len(y.group_names))[y.group_id][None, :]
    for k, step in enumerate(rule.steps):
        if rule.method is GradeMethod.BANDS:
            hit, amb = at_least(total, Fraction(step.threshold))
            for m, u in zip(*np.nonzero(amb & ~chosen), strict=True):
                hit[m, u] = exact_unit(int(m), int(u))[1] >= step.threshold
        else:
            share = Fraction(step.threshold)
            r = group_rank if by_group else rank
            n = sizes if by_group else y.U
            hit = r.astype(np.int64) * share.denominator <= share.numerator * np.asarray(n)
        hit = hit & ~chosen
        grade[hit] = k
        chosen |= hit
    lifted = may_promote & (grade > 0)
    grade = np.where(may_promote, np.maximum(grade - 1, 0), grade).astype(np.int16)
    grade[fail] = names.index(rule.fail)
    return grade, names, lifted & ~fail


__all__ = ["STATUSES", "YearArrays", "YearScores", "score_arrays", "to_arrays"]
