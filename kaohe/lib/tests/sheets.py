"""Workbooks read back in tests, the way Kaohe's own reader sees them."""

from __future__ import annotations

from kaohe.lib import xlsx


def read_back(data: bytes) -> dict[str, list[list[str]]]:
    """Every visible sheet of a workbook as text, header row included."""
    book = xlsx.read_workbook(data, filename="导出.xlsx")
    return {s.name: [["" if v is None else str(v) for v in row] for row in s.rows] for s in book.sheets if s.visible}
