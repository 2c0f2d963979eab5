"""Rewrite the column tables of docs/scheme-workbook.md from the workbook's own column declarations.

    .venv/bin/python scripts/scheme_workbook_doc.py

Everything from the first "### 方案" heading on is generated; the text above it is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")

import django  # noqa: E402

django.setup()

from kaohe.core.ledger import LedgerColumn  # noqa: E402
from kaohe.schemes import workbook as w  # noqa: E402
from kaohe.scoring import FAMILIES  # noqa: E402

DOC = ROOT / "docs" / "scheme-workbook.md"


def table(columns: Sequence[LedgerColumn], first: str = "列") -> str:
    out = [f"| {first} | 必填 | 要求 |", "|---|---|---|"]
    for c in columns:
        text = "；".join(x for x in (c.type.describe(), c.help) if x).replace("|", "\\|")
        out.append(f"| {c.header} | {'是' if c.required else ''} | {text} |")
    return "\n".join(out)


def tables() -> str:
    parts = [
        "### 方案\n\n每行一项：A 列是项目，B 列填内容，C 列是说明。\n\n" + table(w.SETTINGS, "项目"),
        "### 等次\n\n每档一行。按总分分档时填“总分不低于”，由高到低；按名次比例时填“名次前”，由小到大。"
        "未设等次时本表留空。\n\n" + table(w.GRADE_COLUMNS),
        "### 类别\n\n" + table(w.CATEGORY_COLUMNS),
        "### 指标\n\n每个指标一行。“分值”之后，每个考核分组一列“分值：分组名称”"
        "（如“分值：工业主导型”；也可写分组编码）：该组的乡镇按此分值计，不填按“分值”。\n\n"
        + table(w.INDICATOR_COLUMNS),
        "### 分月计划\n\n只列按分月计划考核序时的指标，其余指标按 N/12。\n\n"
        + table(w.CURVE_COLUMNS[:2])
        + "\n| 2月 … 12月 | | 同上；逐月不减，12月为 100 |",
    ]
    for f in FAMILIES:
        note = f.summary + "。"
        if f.item:
            note += f"{f.item.label}每项一行" + (f"（{f.item.help}）" if f.item.help else "")
            note += "；其余参数只填在该指标的第一行，后续行的指标编码可不填。"
        parts.append(f"### {w.rule_sheet_name(f)}\n\n{note}\n\n" + table(w.rule_columns(f)))
    parts.append("### 加扣分项\n\n" + table(w.ITEM_COLUMNS))
    return "\n\n".join(parts) + "\n"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head = text[: text.index("### 方案\n")]
    DOC.write_text(head + tables(), encoding="utf-8")


if __name__ == "__main__":
    main()
