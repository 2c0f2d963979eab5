"""Presentation filters: every number is rounded here, once, ROUND_HALF_UP, from its exact value."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django import template

from kaohe.scoring import Status, fmt_points, period_label, round_half_up

register = template.Library()

STATUS_CLASSES = {
    Status.ON_SCHEDULE: "kh-on",
    Status.COMPLETED: "kh-done",
    Status.BEHIND: "kh-behind",
    Status.NOT_REPORTED: "kh-missing",
    Status.NO_TARGET: "kh-none",
    Status.NOT_EVALUATED: "kh-none",
}


@register.filter
def points(value: Fraction | Decimal | None) -> str:
    return "" if value is None else fmt_points(value)


@register.filter
def delta(value: Fraction | Decimal | None) -> str:
    """A change of points with its sign, +20.00 / -3.50 / 0.00, rounded half-up once from the exact value."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + fmt_points(value)


@register.filter
def pct(value: Fraction | Decimal | None, places: int = 2) -> str:
    """A fraction as a percentage, 0.6522 → 65.22%."""
    if value is None:
        return "-"
    return f"{round_half_up(Fraction(value) * 100, int(places)):.{int(places)}f}%"


@register.filter
def pp(value: Fraction | Decimal | None, places: int = 2) -> str:
    """A gap in percentage points with its sign: +15.22."""
    if value is None:
        return "-"
    r = round_half_up(value, int(places))
    return f"{'+' if r > 0 else ''}{r:.{int(places)}f}"


@register.filter
def figure(value: Decimal | Fraction | None, places: int = 2) -> str:
    """An indicator's figure as a published table prints it: exactly `places` decimals (the indicator's 小数位数),
    thousands separators: 84,000 at 0 decimals, 126.02 at 2."""
    if value is None:
        return "-"
    return f"{round_half_up(value, int(places)):,.{int(places)}f}"


@register.filter
def amount(value: Decimal | Fraction | None, places: int = 2) -> str:
    """An amount with thousands separators, at most `places` decimals, trailing zeros dropped: 12,345.6."""
    if value is None:
        return "-"
    r = round_half_up(value, int(places))
    text = f"{r:,.{int(places)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def status_class(status: Status | None) -> str:
    return STATUS_CLASSES.get(status, "") if status is not None else ""


@register.filter
def signed(value: int | None) -> str:
    """Rank change: ↑2, ↓1, – (no change), '' in month 1."""
    if value is None:
        return ""
    if value > 0:
        return f"↑{value}"
    if value < 0:
        return f"↓{-value}"
    return "–"


@register.filter
def get(mapping: dict, key: object) -> object:  # type: ignore[type-arg]
    return mapping.get(key)


@register.filter
def period(month: int | None) -> str:
    """A year-to-date period as the bulletins write it: 1月 for January alone, 1-10月 after."""
    return "" if month is None else period_label(int(month))
