"""Exact arithmetic over NumPy arrays: integer fixed point with brackets, exact comparisons, exact ranks.

Every computed quantity is an interval at 10^-9 written (lo, n): the exact value is lo when n = 0, and lies strictly
inside (lo, lo + n) when n > 0 (n counts the terms that were not exact at 10^-9). Exactly representable values — the
common case: capped points, bands, round completions — stay exact, so ties are real ties.

Two primitives decide everything. `floor_div` computes floor(Σ ± Π factors ÷ d) exactly: a float64 estimate of the
quotient, then the remainder in wrapping int64 arithmetic, which is exact because the true remainder is small even
when the products overflow 64 bits. `exact_sign` gives the exact sign of Σ ± Π factors the same way. What they cannot
settle is flagged `bad`; the caller recomputes those cells with the reference engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
Factor = I64 | int

S = 10**9  # scale of points and totals
VS = 10**4  # scale of values and targets
CENT = S // 100
_BIG = 2**62


# --- exact primitives ----------------------------------------------------------------------------------------------


def _products(terms: Sequence[tuple[int, Sequence[Factor]]], shape: tuple[int, ...]) -> tuple[F64, F64, I64]:
    """Σ sign × Π factors as (float estimate, float Σ|terms|, exact value modulo 2^64)."""
    est = np.zeros(shape)
    mag = np.zeros(shape)
    wrapped = np.zeros(shape, np.int64)
    for sign, factors in terms:
        f = np.ones(shape)
        w = np.ones(shape, np.int64)
        for x in factors:
            f = f * x
            w = w * x  # int64 wraps; only the low 64 bits are needed
        est += sign * f
        mag += np.abs(f)
        wrapped = wrapped + w if sign > 0 else wrapped - w
    return est, mag, wrapped


def floor_div(
    terms: Sequence[tuple[int, Sequence[Factor]]], den: Factor, shape: tuple[int, ...]
) -> tuple[I64, Bool, Bool]:
    """floor(Σ ± Π factors ÷ den) exactly, with (quotient, inexact, bad)."""
    est, mag, wrapped = _products(terms, shape)
    d = np.broadcast_to(np.asarray(den, np.int64), shape)
    safe = np.where((d > 0) & (d < 2**61), d, 1)
    fq = est / safe
    bad = (d <= 0) | (d >= 2**61) | ~(np.abs(fq) < 2.0**48) | (mag / safe * 2.0**-46 > 0.25)
    q = np.floor(np.where(bad, 0.0, fq)).astype(np.int64)
    r = wrapped - q * safe  # exact: |true remainder| < 2 × den < 2^62
    for _ in range(2):
        low = r < 0
        q, r = q - low, r + np.where(low, safe, 0)
        high = r >= safe
        q, r = q + high, r - np.where(high, safe, 0)
    bad |= (r < 0) | (r >= safe)
    return q, (r != 0) & ~bad, bad


def exact_sign(
    terms: Sequence[tuple[int, Sequence[Factor]]], shape: tuple[int, ...]
) -> tuple[npt.NDArray[np.int8], Bool]:
    """The exact sign of Σ ± Π factors, and where it could not be settled (never within validated ranges)."""
    est, mag, wrapped = _products(terms, shape)
    err = mag * 2.0**-46
    sure = np.abs(est) > err
    sign = np.where(sure, np.sign(est), np.sign(wrapped)).astype(np.int8)
    return sign, ~sure & (err >= 2.0**60)


# --- fixed-point intervals -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Val:
    """Numbers at 10^-9 for a whole (month × unit) slice: exact = lo if n == 0, else inside (lo, lo + n)."""

    lo: I64
    n: I64
    bad: Bool

    def __add__(self, other: Val) -> Val:
        return Val(self.lo + other.lo, self.n + other.n, self.bad | other.bad)

    def __sub__(self, other: Val) -> Val:
        return Val(self.lo - other.lo - other.n, self.n + other.n, self.bad | other.bad)


@dataclass(frozen=True, slots=True, eq=False)
class Cols:
    """A constant that differs by unit (the last axis), e.g. a weight set per group (分组权重): its few distinct
    values and, per unit column, the index of the one that applies. Arithmetic with a scalar maps every value."""

    values: tuple[Fraction, ...]
    index: npt.NDArray[np.intp]  # [U]

    def map(self, f: Callable[[Fraction], Fraction]) -> Cols:
        return Cols(tuple(f(x) for x in self.values), self.index)

    def __add__(self, k: Fraction | int) -> Cols:
        return self.map(lambda x: x + k)

    __radd__ = __add__

    def __sub__(self, k: Fraction | int) -> Cols:
        return self.map(lambda x: x - k)

    def __rsub__(self, k: Fraction | int) -> Cols:
        return self.map(lambda x: k - x)

    def __mul__(self, k: Fraction | int) -> Cols:
        return self.map(lambda x: x * k)

    __rmul__ = __mul__

    def __truediv__(self, k: Fraction | int) -> Cols:
        return self.map(lambda x: x / k)

    def __neg__(self) -> Cols:
        return self.map(lambda x: -x)


K = Fraction | Cols  # a rule constant: one value, or one per unit column


def const(k: K, shape: tuple[int, ...]) -> Val:
    if isinstance(k, Cols):
        pairs = [exact_val(x) for x in k.values]
        fits = np.array([abs(lo) < _BIG for lo, _ in pairs])[k.index]
        lo_col = np.array([lo if abs(lo) < _BIG else 0 for lo, _ in pairs], np.int64)[k.index]
        n_col = np.array([n for _, n in pairs], np.int64)[k.index]
        return Val(
            np.broadcast_to(lo_col, shape).copy(),
            np.broadcast_to(n_col, shape).copy(),
            np.broadcast_to(~fits, shape).copy(),
        )
    x = k * S
    lo = x.numerator // x.denominator
    return Val(np.full(shape, lo, np.int64), np.full(shape, int(x.denominator != 1), np.int64), np.zeros(shape, bool))


def _scaled(k: Fraction, scale: int) -> tuple[int, int]:
    kn, kd = k.numerator * scale, k.denominator
    g = gcd(kn, kd)
    return kn // g, kd // g


def term(k: K, num: Sequence[Factor], den: Factor, shape: tuple[int, ...], scale: int = S) -> Val:
    """floor(k × Π num ÷ den × scale) as a Val."""
    if isinstance(k, Cols):
        scaled = [_scaled(x, scale) for x in k.values]
        fits = np.array([abs(n) < _BIG and d < _BIG for n, d in scaled])
        kn_col = np.array([n if ok else 0 for (n, _), ok in zip(scaled, fits, strict=True)], np.int64)[k.index]
        kd_col = np.array([d if ok else 1 for (_, d), ok in zip(scaled, fits, strict=True)], np.int64)[k.index]
        d, over = times(den, kd_col, shape)
        q, inexact, bad = floor_div([(1, [kn_col, *num])], d, shape)
        return Val(q, inexact.astype(np.int64), bad | over | ~fits[k.index])
    kn, kd = _scaled(k, scale)
    if abs(kn) >= _BIG or kd >= _BIG:
        return Val(np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.ones(shape, bool))
    d, over = times(den, kd, shape)
    q, inexact, bad = floor_div([(1, [kn, *num])], d, shape)
    return Val(q, inexact.astype(np.int64), bad | over)


def times(a: Factor, b: Factor, shape: tuple[int, ...]) -> tuple[I64, Bool]:
    """a × b as int64, flagging products that would not fit (a, b ≥ 0)."""
    # Exactly, in integers: a × b ≥ 2^61 ⟺ a > (2^61 − 1) ÷ b (floor) for b > 0; b = 0 never overflows. The
    # product itself is then taken in int64 for the cells that fit.
    ib = np.asarray(b, np.int64)
    over = (ib > 0) & (np.broadcast_to(np.asarray(a, np.int64), shape) > (2**61 - 1) // np.maximum(ib, 1))
    ok_a = np.where(over, 1, np.broadcast_to(np.asarray(a, np.int64), shape))
    ok_b = np.where(over, 1, np.broadcast_to(np.asarray(b, np.int64), shape))
    return ok_a * ok_b, over


def pick(mask: Bool, a: Val, b: Val) -> Val:
    return Val(np.where(mask, a.lo, b.lo), np.where(mask, a.n, b.n), np.where(mask, a.bad, b.bad))


def clamp(v: Val, k: Fraction, replacement: Val, *, below: bool = False) -> Val:
    """v where v < k (or v ≥ k when `below`), else the replacement; undecidable cells are marked bad."""
    ge, amb = at_least(v, k)
    out = pick(ge, v, replacement) if below else pick(ge, replacement, v)
    out.bad |= amb | v.bad
    return out


def at_least(v: Val, k: Fraction) -> tuple[Bool, Bool]:
    """v ≥ k, and where the interval straddles k (ambiguous)."""
    x = k * S
    floor = x.numerator // x.denominator
    ceil = -((-x.numerator) // x.denominator)
    sure_true = v.lo >= ceil
    sure_false = np.where(v.n == 0, v.lo < ceil, v.lo + v.n <= floor)
    return sure_true, ~(sure_true | sure_false)


def round_cents(v: Val) -> tuple[I64, Bool]:
    """ROUND_HALF_UP to hundredths; ambiguous where a rounding boundary lies inside the interval."""

    def at(y2: I64) -> I64:  # y2 = twice the value at 10^-9 (half-units avoid landing on a boundary)
        return np.asarray(np.sign(y2) * ((np.abs(y2) + CENT) // (2 * CENT)), np.int64)

    first = at(np.where(v.n == 0, 2 * v.lo, 2 * v.lo + 1))
    last = at(np.where(v.n == 0, 2 * v.lo, 2 * (v.lo + v.n) - 1))
    return first, first != last


def exact_val(x: Fraction) -> tuple[int, int]:
    y = x * S
    return y.numerator // y.denominator, int(y.denominator != 1)


# --- completions as exact rationals ------------------------------------------------------------------------------


@dataclass(slots=True)
class Q:
    """c = Π num ÷ den for every cell of a slice."""

    num: list[Factor]
    den: I64
    bad: Bool

    def ge(self, k: Fraction, shape: tuple[int, ...]) -> tuple[Bool, Bool]:
        sign, bad = exact_sign([(1, [*self.num, k.denominator]), (-1, [k.numerator, self.den])], shape)
        return sign >= 0, bad | self.bad

    def le(self, k: Fraction, shape: tuple[int, ...]) -> tuple[Bool, Bool]:
        sign, bad = exact_sign([(1, [k.numerator, self.den]), (-1, [*self.num, k.denominator])], shape)
        return sign >= 0, bad | self.bad

    def term(self, k: K, shape: tuple[int, ...]) -> Val:
        v = term(k, self.num, self.den, shape)
        v.bad |= self.bad
        return v

    def steps(self, direction: int, step: Fraction, shape: tuple[int, ...]) -> tuple[I64, Bool]:
        """floor(direction × (c − 1) × 100 ÷ step): whole steps over (direction 1) or under (−1) 100 %."""
        r = Fraction(100) / step
        d, over = times(self.den, r.denominator, shape)
        q, _, bad = floor_div([(direction, [*self.num, r.numerator]), (-direction, [self.den, r.numerator])], d, shape)
        return q, bad | over | self.bad


def quotient(num: list[Factor], den: Factor, shape: tuple[int, ...]) -> Q:
    d = np.broadcast_to(np.asarray(den, np.int64), shape)
    return Q(num, np.where(d > 0, d, 1), d <= 0)


# --- ranks -------------------------------------------------------------------------------------------------------


def exact_ranks(
    seg: npt.NDArray[np.integer],
    key: Val,
    valid: Bool,
    higher: bool,
    exact: Callable[[tuple[int, int]], Fraction],
    secondary: I64 | None = None,
    ratio: tuple[I64, I64] | None = None,
) -> npt.NDArray[np.int32]:
    """Competition ranks inside each segment, exact: ties only between equal exact values.

    With `ratio` (keys are num ÷ den), sort by the float quotient and confirm every neighbouring pair exactly.
    Otherwise sort the brackets [lo, lo + n]: order is uncertain only inside clusters of overlapping brackets, and
    such a cluster, if it holds an inexact member, is ordered by the exact values from `exact` (the reference)."""
    shape = valid.shape
    out = np.zeros(shape, np.int32)
    idx = np.flatnonzero(valid)
    if not idx.size:
        return out
    sg = np.asarray(seg).ravel()[idx]
    found = _ratio_order(sg, idx, ratio, higher) if ratio is not None else None
    order, tie = found if found is not None else _bracket_order(sg, idx, key, higher, exact, shape)
    level = np.cumsum(~tie)
    lvl = np.empty_like(level)
    lvl[order] = level
    sec = np.zeros(len(idx), np.int64) if secondary is None else -secondary.ravel()[idx]
    order2 = np.lexsort((sec, lvl, sg))
    l2, s2, g2 = lvl[order2], sec[order2], sg[order2]
    seg_start = np.r_[True, g2[1:] != g2[:-1]]
    block_start = seg_start | np.r_[True, (l2[1:] != l2[:-1]) | (s2[1:] != s2[:-1])]
    pos = np.arange(len(order2))
    first_of_block = np.maximum.accumulate(np.where(block_start, pos, 0))
    first_of_seg = np.maximum.accumulate(np.where(seg_start, pos, 0))
    ranks = np.empty(len(idx), np.int32)
    ranks[order2] = first_of_block - first_of_seg + 1
    out.ravel()[idx] = ranks
    return out


def _ratio_order(sg: I64, idx: I64, ratio: tuple[I64, I64], higher: bool) -> tuple[npt.NDArray[np.intp], Bool] | None:
    """Best first, with exact tie flags; None when the float order is not confirmed (then brackets decide)."""
    num = np.broadcast_to(ratio[0], ratio[0].shape).ravel()[idx]
    den = np.broadcast_to(ratio[1], ratio[0].shape).ravel()[idx]
    approx = num / den
    order = np.lexsort((-approx if higher else approx, sg))
    a, d, g = num[order], den[order], sg[order]
    same = g[1:] == g[:-1]
    sign, bad = exact_sign([(1, [a[:-1], d[1:]]), (-1, [a[1:], d[:-1]])], (len(a) - 1,))  # sign(previous − next)
    wrong = same & (bad | ((sign < 0) if higher else (sign > 0)))
    if wrong.any():
        return None
    return order, np.r_[False, same & (sign == 0)]


def _bracket_order(
    sg: I64,
    idx: I64,
    key: Val,
    higher: bool,
    exact: Callable[[tuple[int, int]], Fraction],
    shape: tuple[int, ...],
) -> tuple[npt.NDArray[np.intp], Bool]:
    lo, n = key.lo.ravel()[idx], key.n.ravel()[idx]
    if higher:  # sort ascending on −x, whose bracket is (−lo − n, −lo)
        lo = -lo - n
    order = np.lexsort((lo, sg))
    ks, kn, ss = lo[order], n[order], sg[order]
    nmax = int(kn.max())
    new_seg = np.r_[True, ss[1:] != ss[:-1]]
    tie = np.r_[False, (ks[1:] == ks[:-1]) & (kn[1:] == 0) & (kn[:-1] == 0)] & ~new_seg
    if not nmax:
        return order, tie
    starts = np.flatnonzero(new_seg | np.r_[True, ks[1:] >= ks[:-1] + nmax])
    ends = np.r_[starts[1:], len(ks)]
    for s, e in zip(starts, ends, strict=True):
        if e - s < 2 or not kn[s:e].any():
            continue
        members = order[s:e]
        values = []
        for k in members:
            if n[k] == 0:
                x = Fraction(int(lo[k]))
            else:
                x = exact(divmod(int(idx[k]), shape[1]))
                x = -x if higher else x
            values.append(x)
        local = sorted(range(e - s), key=values.__getitem__)
        order[s:e] = members[local]
        tie[s] = False
        tie[s + 1 : e] = [values[local[j]] == values[local[j - 1]] for j in range(1, e - s)]
    return order, tie
