"""A year's data as arrays (values and targets as int64 × 10^4), and read-only YearData views over them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from kaohe.scoring.errors import InputError
from kaohe.scoring.fixedpoint import I64, Bool
from kaohe.scoring.schedule import MAX_COMPLETION, check_events, check_target
from kaohe.scoring.types import (
    Adjustment,
    ComboRule,
    Kind,
    Promotion,
    Scheme,
    Stage,
    Target,
    Veto,
    YearData,
)


@dataclass(frozen=True, slots=True, eq=False)
class YearArrays:
    """A year's data as arrays, indicators in scheme order: values[i, m, u] is unit u's 1–(m+1)月累计 on indicator
    i (×10^4), targets[i, u] its annual target (×10^4) as first set. Staged targets and target changes (任务调整) are
    sparse: `stages[(i, u)]`, `changes[(i, u)]` (as in `Target`) for just the cells that have them. Build it with
    `to_arrays`, or directly from database rows (the benchmark does), then score with `score_arrays`."""

    units: tuple[str, ...]
    groups: tuple[str, ...]
    indicators: tuple[str, ...]
    through: int
    values: I64  # [I, through, U]
    reported: Bool  # [I, through, U]
    targets: I64  # [I, U]
    has_target: Bool  # [I, U]
    stages: Mapping[tuple[int, int], tuple[Stage, ...]] = field(default_factory=dict)  # (i, u) -> 分期目标
    changes: Mapping[tuple[int, int], tuple[tuple[int, Target], ...]] = field(default_factory=dict)  # 任务调整
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    promotions: tuple[Promotion, ...] = ()

    def to_data(self) -> YearData:
        """A YearData view over the arrays (no copy), for the reference engine."""
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

    def __getitem__(self, key: tuple[str, str, int]) -> Decimal:
        unit, code, month = key
        if unit not in self.u or code not in self.i or not 1 <= month <= self.a.through:
            raise KeyError(key)
        i, u = self.i[code], self.u[unit]
        if not self.a.reported[i, month - 1, u]:
            raise KeyError(key)
        return to_decimal(self.a.values[i, month - 1, u])

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for i, m, u in zip(*np.nonzero(self.a.reported), strict=True):
            yield self.a.units[u], self.a.indicators[i], int(m) + 1

    def __len__(self) -> int:
        return int(self.a.reported.sum())


def to_arrays(scheme: Scheme, data: YearData, through: int) -> YearArrays:
    """Arrays from validated YearData (values after `through` must not exist)."""
    units = {u.code: k for k, u in enumerate(scheme.units)}
    inds = {s.code: k for k, s in enumerate(scheme.indicators)}
    shape = (len(inds), through, len(units))
    values = np.zeros(shape, np.int64)
    reported = np.zeros(shape, bool)
    targets = np.zeros(shape[::2], np.int64)
    has_target = np.zeros(shape[::2], bool)
    stages: dict[tuple[int, int], tuple[Stage, ...]] = {}
    changes: dict[tuple[int, int], tuple[tuple[int, Target], ...]] = {}
    for (unit, code, month), value in data.values.items():
        i, u = inds[code], units[unit]
        values[i, month - 1, u] = int(value.scaleb(4))
        reported[i, month - 1, u] = True
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
    )


def check_arrays(scheme: Scheme, arrays: YearArrays) -> dict[int, list[ChangeLevel]]:
    """The vectorised counterpart of validate_data for arrays built directly; gives back the target changes by
    indicator (`change_levels`), which scoring needs too."""
    n_i, n_u = len(scheme.indicators), len(scheme.units)
    if arrays.indicators != tuple(s.code for s in scheme.indicators) or arrays.units != tuple(
        u.code for u in scheme.units
    ):
        raise InputError("数组的单位或指标与考核方案不一致")
    if arrays.values.shape != (n_i, arrays.through, n_u) or arrays.targets.shape != (n_i, n_u):
        raise InputError("数组形状与考核方案不一致")
    if arrays.reported.shape != arrays.values.shape or arrays.has_target.shape != arrays.targets.shape:
        raise InputError("数组形状与考核方案不一致")
    if arrays.values.dtype != np.int64 or arrays.targets.dtype != np.int64:
        raise InputError("数据和目标须为 int64（×10^4 的定点数）")
    if arrays.reported.dtype != np.bool_ or arrays.has_target.dtype != np.bool_:
        raise InputError("reported/has_target 须为布尔数组")
    if arrays.groups != tuple(u.group for u in scheme.units) or not 1 <= arrays.through <= 12:
        raise InputError("分组或考核月份与考核方案不一致")
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
    else [through, U] with each month's target in force. Only indicators with changes get a per-month slice."""
    base = np.where(arrays.has_target[i], arrays.targets[i], fill)[None, :]
    if not levels:
        return base
    t = np.repeat(base, arrays.through, axis=0)
    months = np.arange(1, arrays.through + 1)[:, None]
    for cols, start, amount in levels:
        t[:, cols] = np.where(months >= start[None, :], amount[None, :], t[:, cols])
    return t
