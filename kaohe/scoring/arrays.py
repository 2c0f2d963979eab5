"""A year's data as arrays (values and targets as int64 × 10^4), and read-only YearData views over them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from kaohe.scoring.errors import InputError
from kaohe.scoring.fixedpoint import I64, Bool
from kaohe.scoring.schedule import MAX_COMPLETION, check_events, check_target
from kaohe.scoring.scheme import Scheme
from kaohe.scoring.types import (
    Adjustment,
    ComboRule,
    Kind,
    Promotion,
    Stage,
    Target,
    Veto,
    YearData,
)


@dataclass(frozen=True, slots=True, eq=False)
class YearArrays:
    """A year's data as arrays, indicators in scheme order: values[i, k, u] is unit u's 1–N月累计 on indicator i
    (×10^4) for the k-th month N held, targets[i, u] its annual target (×10^4) as first set. Staged targets and
    target changes (任务调整) are sparse: `stages[(i, u)]`, `changes[(i, u)]` (as in `Target`) for just the cells
    that have them. Build it with `to_arrays`, or directly from database rows (the benchmark does), then score with
    `score_arrays`.

    `months` are the months held on axis 1 of values/reported, and so the months scored: strictly ascending, within
    1..through, the last one `through`; empty means every month 1..through. Each month is scored from its own
    figures only, so a 成绩单 of month N needs just (N − 1, N). Bonus/deduction items, vetoes and promotions are
    always the full lists: items of months not held still count from their month on."""

    units: tuple[str, ...]
    groups: tuple[str, ...]
    indicators: tuple[str, ...]
    through: int
    values: I64  # [I, len(scored_months), U]
    reported: Bool  # [I, len(scored_months), U]
    targets: I64  # [I, U]
    has_target: Bool  # [I, U]
    stages: Mapping[tuple[int, int], tuple[Stage, ...]] = field(default_factory=dict)  # (i, u) -> 分期目标
    changes: Mapping[tuple[int, int], tuple[tuple[int, Target], ...]] = field(default_factory=dict)  # 任务调整
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    promotions: tuple[Promotion, ...] = ()
    months: tuple[int, ...] = ()  # the month numbers on axis 1; () = 1..through

    @property
    def scored_months(self) -> tuple[int, ...]:
        """The month numbers on axis 1 of values/reported: `months`, or 1..through when it is empty."""
        return self.months or tuple(range(1, self.through + 1))

    def to_data(self) -> YearData:
        """A YearData view over the arrays (no copy), for the reference engine. A month not held reads as not
        reported, which is harmless: scoring month N reads month N's figures only, and only held months are
        scored."""
        return YearData(
            targets=_Targets(self),
            values=_Values(self),
            adjustments=self.adjustments,
            vetoes=self.vetoes,
            promotions=self.promotions,
        )


def to_decimal(x: int | np.integer) -> Decimal:
    """An int64 × 10^4 back to the Decimal it came from, trailing zeros dropped, never in exponent form."""
    whole, frac = divmod(abs(int(x)), 10**4)
    text = f"{'-' if x < 0 else ''}{whole}" + (f".{frac:04d}".rstrip("0") if frac else "")
    return Decimal(text)


class _Targets(Mapping[tuple[str, str], Target]):
    def __init__(self, arrays: YearArrays) -> None:
        self.a = arrays
        self.u = {c: i for i, c in enumerate(arrays.units)}
        self.i = {c: i for i, c in enumerate(arrays.indicators)}

    def __getitem__(self, key: tuple[str, str]) -> Target:
        unit, code = key
        if unit not in self.u or code not in self.i or not self.a.has_target[self.i[code], self.u[unit]]:
            raise KeyError(key)
        i, u = self.i[code], self.u[unit]
        return Target(
            annual=to_decimal(self.a.targets[i, u]),
            stages=self.a.stages.get((i, u), ()),
            changes=self.a.changes.get((i, u), ()),
        )

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for i, u in zip(*np.nonzero(self.a.has_target), strict=True):
            yield self.a.units[u], self.a.indicators[i]

    def __len__(self) -> int:
        return int(self.a.has_target.sum())


class _Values(Mapping[tuple[str, str, int], Decimal]):
    def __init__(self, arrays: YearArrays) -> None:
        self.a = arrays
        self.u = {c: i for i, c in enumerate(arrays.units)}
        self.i = {c: i for i, c in enumerate(arrays.indicators)}
        self.months = arrays.scored_months
        self.k = {m: k for k, m in enumerate(self.months)}  # month number -> position on axis 1

    def __getitem__(self, key: tuple[str, str, int]) -> Decimal:
        unit, code, month = key
        if unit not in self.u or code not in self.i or month not in self.k:
            raise KeyError(key)
        i, k, u = self.i[code], self.k[month], self.u[unit]
        if not self.a.reported[i, k, u]:
            raise KeyError(key)
        return to_decimal(self.a.values[i, k, u])

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for i, k, u in zip(*np.nonzero(self.a.reported), strict=True):
            yield self.a.units[u], self.a.indicators[i], self.months[k]

    def __len__(self) -> int:
        return int(self.a.reported.sum())


def to_arrays(scheme: Scheme, data: YearData, through: int, months: tuple[int, ...] = ()) -> YearArrays:
    """Arrays from validated YearData (values after `through` must not exist), holding the figures of `months`
    (default every month 1..through; see `YearArrays.months`). Figures of other months are left out; the item
    lists are kept whole."""
    months = tuple(months)
    check_months(months, through)
    units = {u.code: k for k, u in enumerate(scheme.units)}
    inds = {s.code: k for k, s in enumerate(scheme.indicators)}
    held = {m: k for k, m in enumerate(months or range(1, through + 1))}
    shape = (len(inds), len(held), len(units))
    values = np.zeros(shape, np.int64)
    reported = np.zeros(shape, bool)
    targets = np.zeros(shape[::2], np.int64)
    has_target = np.zeros(shape[::2], bool)
    stages: dict[tuple[int, int], tuple[Stage, ...]] = {}
    changes: dict[tuple[int, int], tuple[tuple[int, Target], ...]] = {}
    for (unit, code, month), value in data.values.items():
        if month not in held:
            continue
        i, k, u = inds[code], held[month], units[unit]
        values[i, k, u] = int(value.scaleb(4))
        reported[i, k, u] = True
    for (unit, code), target in data.targets.items():
        i, u = inds[code], units[unit]
        targets[i, u] = int(target.annual.scaleb(4))
        has_target[i, u] = True
        if target.stages:
            stages[i, u] = target.stages
        if target.changes:
            changes[i, u] = target.changes
    return YearArrays(
        units=tuple(units),
        groups=tuple(u.group for u in scheme.units),
        indicators=tuple(inds),
        through=through,
        values=values,
        reported=reported,
        targets=targets,
        has_target=has_target,
        stages=stages,
        changes=changes,
        adjustments=data.adjustments,
        vetoes=data.vetoes,
        promotions=data.promotions,
        months=months,
    )


def check_arrays(scheme: Scheme, arrays: YearArrays) -> dict[int, list[ChangeLevel]]:
    """The vectorised counterpart of validate_data for arrays built directly; gives back the target changes by
    indicator (`change_levels`), which scoring needs too."""
    n_i, n_u = len(scheme.indicators), len(scheme.units)
    if arrays.indicators != tuple(s.code for s in scheme.indicators) or arrays.units != tuple(
        u.code for u in scheme.units
    ):
        raise InputError("数组的单位或指标与考核方案不一致")
    if arrays.groups != tuple(u.group for u in scheme.units) or not 1 <= arrays.through <= 12:
        raise InputError("分组或考核月份与考核方案不一致")
    check_months(arrays.months, arrays.through)
    n_m = len(arrays.scored_months)
    if arrays.values.shape != (n_i, n_m, n_u) or arrays.targets.shape != (n_i, n_u):
        raise InputError(
            f"数组形状与考核方案不一致：values 须为（指标数, 月份数, 单位数）=（{n_i}, {n_m}, {n_u}），"
            f"targets 须为（{n_i}, {n_u}），收到 {arrays.values.shape} 和 {arrays.targets.shape}"
        )
    if arrays.reported.shape != arrays.values.shape or arrays.has_target.shape != arrays.targets.shape:
        raise InputError("数组形状与考核方案不一致：reported、has_target 须与 values、targets 同形")
    if arrays.values.dtype != np.int64 or arrays.targets.dtype != np.int64:
        raise InputError("数据和目标须为 int64（×10^4 的定点数）")
    if arrays.reported.dtype != np.bool_ or arrays.has_target.dtype != np.bool_:
        raise InputError("reported/has_target 须为布尔数组")
    for key in {*arrays.stages, *arrays.changes}:
        i, u = key
        if key in arrays.changes and not (0 <= i < n_i and 0 <= u < n_u and arrays.has_target[i, u]):
            raise InputError(f"任务调整须属于已设目标的单位和指标，收到 {key}")
        check_target(
            scheme.indicators[i],
            arrays.units[u],
            Target(
                annual=to_decimal(arrays.targets[i, u]),
                stages=arrays.stages.get(key, ()),
                changes=arrays.changes.get(key, ()),
            ),
        )
    levels = change_levels(arrays)
    limit = 10**17
    for i, spec in enumerate(scheme.indicators):
        t, has = arrays.targets[i], arrays.has_target[i]
        v, rep = arrays.values[i], arrays.reported[i]
        if isinstance(spec.rule, ComboRule) and (has.any() or rep.any()):
            raise InputError(f"组合指标 {spec.code} 不设目标、不填数据")
        if spec.kind is not Kind.GROWTH and (has & (t <= 0)).any():
            u = int(np.argmax(has & (t <= 0)))
            raise InputError(f"单位 {arrays.units[u]} 指标 {spec.code} 的目标须大于0，收到 {to_decimal(t[u])}")
        if spec.kind is not Kind.GROWTH and (rep & (v < 0)).any():
            raise InputError(f"指标 {spec.code} 的数据不能为负")
        if (np.abs(np.where(has, t, 0)) >= limit).any() or (np.abs(np.where(rep, v, 0)) >= limit).any():
            raise InputError(f"指标 {spec.code} 的数据或目标超出范围（绝对值须小于10^13）")
        # value > target × 10^6 (the target in force that month), exactly and without overflow: (v − 1) // 10^6 ≥ t
        due = in_force(arrays, i, levels.get(i), 1)
        if spec.kind is not Kind.GROWTH and (rep & has[None, :] & ((v - 1) // MAX_COMPLETION >= due)).any():
            raise InputError(f"指标 {spec.code} 有数据超过目标的10^6倍，请核对单位")
    check_events(scheme, arrays.to_data(), arrays.through)
    return levels


def check_months(months: tuple[int, ...], through: int) -> None:
    """The months held (YearArrays.months): empty, or whole months strictly ascending within 1..through, ending at
    through (the month the run is for; it fixes which items, vetoes and target changes are in force)."""
    if not isinstance(months, tuple):
        raise InputError(f"计分月份须为元组（如 (9, 10)），收到 {months!r}")
    for month in months:
        if isinstance(month, bool) or not isinstance(month, int):
            raise InputError(f"计分月份须为整数，收到 {month!r}")
        if not 1 <= month <= through:
            raise InputError(f"计分月份须在1–{through}月之间，收到 {month}月")
    if any(a >= b for a, b in pairwise(months)):
        raise InputError(f"计分月份须严格递增且不重复，收到 {months}")
    if months and months[-1] != through:
        raise InputError(f"计分月份须以考核月{through}月结束，收到 {months}")


# 任务调整 of one indicator, vectorised: level k holds the k-th change of every unit that has one, as (unit columns,
# first month, annual target × 10^4); applying the levels in order gives the target in force.
ChangeLevel = tuple[npt.NDArray[np.intp], I64, I64]


def change_levels(arrays: YearArrays) -> dict[int, list[ChangeLevel]]:
    """Target changes by indicator (validated ones: months ascending, amounts within range)."""
    rows: dict[int, list[list[tuple[int, int, int]]]] = {}
    for (i, u), entries in arrays.changes.items():
        levels = rows.setdefault(i, [])
        for k, (month, target) in enumerate(entries):
            if k == len(levels):
                levels.append([])
            levels[k].append((u, month, int(target.annual.scaleb(4))))
    return {
        i: [
            (
                np.array([r[0] for r in level], np.intp),
                np.array([r[1] for r in level], np.int64),
                np.array([r[2] for r in level], np.int64),
            )
            for level in levels
        ]
        for i, levels in rows.items()
    }


def in_force(arrays: YearArrays, i: int, levels: list[ChangeLevel] | None, fill: int) -> I64:
    """Indicator i's annual targets (× 10^4, `fill` where there is none): [1, U] when no unit's target changes,
    else [months held, U] with each held month's target in force. Only indicators with changes get a per-month
    slice."""
    base = np.where(arrays.has_target[i], arrays.targets[i], fill)[None, :]
    if not levels:
        return base
    held = arrays.scored_months
    t = np.repeat(base, len(held), axis=0)
    months = np.array(held, np.int64)[:, None]
    for cols, start, amount in levels:
        t[:, cols] = np.where(months >= start[None, :], amount[None, :], t[:, cols])
    return t
