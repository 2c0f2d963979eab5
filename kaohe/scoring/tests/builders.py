"""Small builders so each test states only what it is about."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kaohe.scoring import IndicatorSpec, Kind, Scheme, Target, Unit, YearData, rule_from_dict
from kaohe.scoring.types import Direction, Frequency

D = Decimal


def spec(
    code: str = "x",
    kind: Kind = Kind.CUMULATIVE,
    weight: str = "1",
    rule: Mapping[str, Any] | None = None,
    **kw: Any,
) -> IndicatorSpec:
    return IndicatorSpec(
        code=code,
        kind=kind,
        weight=D(weight),
        rule=None if rule is None else rule_from_dict(rule),
        direction=kw.pop("direction", Direction.HIGHER),
        frequency=kw.pop("frequency", Frequency.MONTHLY),
        **kw,
    )


def scheme(
    *specs: IndicatorSpec, units: tuple[str, ...] = ("a",), groups: dict[str, str] | None = None, **kw: Any
) -> Scheme:
    groups = groups or {}
    return Scheme(indicators=specs, units=tuple(Unit(u, groups.get(u, "")) for u in units), **kw)


def data(
    targets: Mapping[tuple[str, str], str | Target] | None = None,
    values: Mapping[tuple[str, str, int], str] | None = None,
    **kw: Any,
) -> YearData:
    return YearData(
        targets={k: v if isinstance(v, Target) else Target(D(v)) for k, v in (targets or {}).items()},
        values={k: D(v) for k, v in (values or {}).items()},
        **kw,
    )
