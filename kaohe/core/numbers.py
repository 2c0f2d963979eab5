"""Numbers as people type them, read one way at every door (forms, grids, rule and target editors, ledgers).

A clerk types `84,000`, `８４０００` (full-width, from a Chinese input method) or `1，234.5`; each is the number it
looks like. What only looks like a number is refused with a Chinese message rather than guessed at: `1,5` (a
comma that is not a thousands separator: 15 or 1.5?), `1e5`, digits of another script (`١٢٣`, which Python's
Decimal would accept), spaces inside a number. Values are Decimal, never float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Full-width digits, point, comma and signs as a Chinese input method types them; the ideographic space.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋　", "0123456789.,-+ ")
# ASCII digits only ([0-9], never \d: that is every script's digits). Thousands separators in groups of three.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_ANY_DIGIT = re.compile(r"\d")

NOT_A_NUMBER = "“{text}”不是数字"
BAD_GROUPING = "“{text}”的逗号位置不对：千位分隔符每三位一个（如 12,345.6），小数请用小数点"
FOREIGN_DIGITS = "“{text}”含有 0–9 以外的数字字符，请用阿拉伯数字输入"
INNER_SPACE = "“{text}”中间有空格，请删去"


class NumberError(ValueError):
    """A typed text that is not a number; `message` says why, in Chinese."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message, self.code = message, code  # code: invalid, grouping, digits or space


def normalise(text: str) -> str:
    """Full-width digits and punctuation as ASCII, surrounding spaces dropped: what a typed number is read as."""
    return text.translate(_FULL_WIDTH).strip()


def shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 20 else text[:20] + "…"


def typed_number(text: str) -> Decimal | None:
    """The number a typed text stands for, None when it is blank; NumberError with the reason otherwise."""
    cleaned = normalise(text)
    if not cleaned:
        return None
    if _PLAIN.fullmatch(cleaned):
        return Decimal(cleaned)
    if _GROUPED.fullmatch(cleaned):
        return Decimal(cleaned.replace(",", ""))
    if any(_ANY_DIGIT.fullmatch(c) and not "0" <= c <= "9" for c in cleaned):
        raise NumberError(FOREIGN_DIGITS.format(text=shown(text)), "digits")
    if "," in cleaned and _PLAIN.fullmatch(cleaned.replace(",", "")):
        raise NumberError(BAD_GROUPING.format(text=shown(text)), "grouping")
    if " " in cleaned and (_PLAIN.fullmatch(cleaned.replace(" ", "")) or _GROUPED.fullmatch(cleaned.replace(" ", ""))):
        raise NumberError(INNER_SPACE.format(text=shown(text)), "space")
    raise NumberError(NOT_A_NUMBER.format(text=shown(text)))


def decimal_places(value: Decimal) -> int:
    """How many decimals a typed value carries (`1.50` has two: what the clerk typed, not its normal form)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def safe_decimal(text: str) -> Decimal | None:
    """typed_number for places that only need to know whether a text is a number (a preview while typing)."""
    try:
        return typed_number(text)
    except (NumberError, InvalidOperation):
        return None
