"""Presentation: the one place where numbers are rounded (四舍五入, ROUND_HALF_UP), from exact values."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

Number = Fraction | Decimal | int
EXACT_DIGITS = 28
_CONTEXT = decimal.Context(prec=EXACT_DIGITS, rounding=decimal.ROUND_HALF_EVEN)


def round_half_up(x: Number, places: int = 2) -> Decimal:
    """Round an exact value half away from zero; never goes through a float or an intermediate rounding."""
    q = Fraction(x) * 10**places
    n = (abs(q.numerator) * 2 + q.denominator) // (2 * q.denominator)
    return Decimal(-n if q < 0 else n).scaleb(-places)


def fmt_points(x: Number, places: int = 2) -> str:
    return f"{round_half_up(x, places):.{places}f}"


def fmt_pct(fraction: Number, places: int = 2) -> str:
    """A fraction as a percentage: 0.6522 -> '65.22%'; 11/12 with places=1 -> '91.7%'."""
    return f"{round_half_up(Fraction(fraction) * 100, places):.{places}f}%"


def fmt_pp(gap: Number, places: int = 2) -> str:
    """A gap already in percentage points: 15.22 -> '+15.22个百分点'."""
    r = round_half_up(gap, places)
    return f"{'+' if r > 0 else ''}{r:.{places}f}个百分点"


def exact_decimal(x: Number) -> Decimal:
    """The value as a Decimal of 28 significant digits: exact whenever it has a finite decimal form that fits
    (0.5, 0.96), otherwise correctly rounded (11/12 -> 0.9166666666666666666666666667). For JSON output."""
    f = Fraction(x)
    return _CONTEXT.divide(Decimal(f.numerator), Decimal(f.denominator))


STAGE_NAMES = {3: "一季度", 6: "上半年", 9: "前三季度", 12: "全年"}


def period_label(month: int) -> str:
    """A year-to-date period as the bulletins write it: 1月 (January alone), 1-2月 … 1-12月."""
    return "1月" if month == 1 else f"1-{month}月"


def stage_label(month: int) -> str:
    """一季度 / 上半年 / 前三季度 as districts say them; 1-N月 for any other stage month."""
    return STAGE_NAMES.get(month, period_label(month))
