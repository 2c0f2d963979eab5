"""驾驶舱: the district at a glance for one period, as chart-ready data whose tables carry the same numbers.

Everything comes from two computations cached under the data stamp: the period's 成绩单 board
(`selectors.scoreboard`, shared with the 成绩单 page) and one whole-year engine run through the month
(`year_result`, under the same key as `selectors.unit_trend`, so the unit pages share it) — never one run
per month or per township, and a fixed number of queries whatever the size of the district.

Chart data is rounded by the same filters the tables use (`kaohe_format`), so a chart and its table
show the same numbers; the selectors' own figures stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.urls import reverse

from kaohe.schemes.models import Scheme
from kaohe.scoring import ENGINE_VERSION, Status, YearResult, score_year

from . import selectors
from .checks import scores_scheme
from .inputs import Mode, load
from .templatetags.kaohe_format import points

# Heat map levels: the status of one township on one indicator, as a colour (the table says it in words).
HEAT_LEVELS: list[tuple[str, str]] = [
    ("无任务", "#f3f3f3"),
    ("未报", "#d6d6d6"),
    ("欠序时", "#f4b4ae"),
    ("达序时", "#a8dab5"),
    ("已完成全年", "#a9c8f5"),
]
STATUS_LEVEL = {
    Status.NO_TARGET: 0,
    Status.NOT_EVALUATED: 0,
    Status.NOT_REPORTED: 1,
    Status.BEHIND: 2,
    Status.ON_SCHEDULE: 3,
    Status.COMPLETED: 4,
}


@dataclass(frozen=True)
class UnitTrend:
    code: str
    name: str
    ranks: list[int]  # month 1..N
    totals: list[Decimal]  # month 1..N, as the engine shows them (2 decimals)


@dataclass(frozen=True)
class Dashboard:
    board: selectors.Board
    rows: list[selectors.Row]  # the townships shown, in rank order
    columns: list[selectors.Column]  # the indicators judged this period
    months: list[int]
    trends: list[UnitTrend]  # same order as rows
    summary: selectors.Summary | None  # district-wide figures (None for a township's own view)
    charts: dict[str, dict[str, Any]]  # JSON for each .kh-chart: ranking, heatmap, rank_trend, total_trend

    @property
    def completed_count(self) -> int:
        """Township × indicator pairs already completed for the year (已完成全年)."""
        return sum(len(names) for names in self.summary.completed.values()) if self.summary else 0


@scores_scheme
def year_result(*, scheme: Scheme, month: int, mode: Mode) -> YearResult:
    """One whole-year run through `month`, cached under the data stamp (the key `selectors.unit_trend` uses)."""
    key = f"kaohe:trend:{scheme.pk}:{month}:{mode}:{selectors.data_stamp()}:{ENGINE_VERSION}"
    year: YearResult | None = cache.get(key)
    if year is None:
        inputs = load(scheme, mode=mode, through=month)
        year = score_year(inputs.engine_scheme, inputs.data, through=month)
        cache.set(key, year, selectors.CACHE_SECONDS)
    return year


def dashboard(
    *, scheme: Scheme, month: int, mode: Mode = Mode.OFFICIAL, unit: str | None = None, k: int | None = None
) -> Dashboard:
    """The 驾驶舱 of one period. `unit` limits it to one township (a township user's own view, no
    district figures); `k` is the bulletin's "more than K indicators on schedule" (default: half)."""
    board = selectors.scoreboard(scheme=scheme, month=month, mode=mode)
    year = year_result(scheme=scheme, month=month, mode=mode)
    rows = [r for r in board.rows if unit is None or r.code == unit]
    columns = [c for c in board.columns if c.evaluated]
    months = list(range(1, month + 1))
    trends = [
        UnitTrend(r.code, r.name, [year.rank(r.code, m) for m in months], [year.total(r.code, m) for m in months])
        for r in rows
    ]
    summary = None
    if unit is None:
        count = len([c for c in columns if c.counts_for_schedule])
        summary = selectors.summary(board, k if k is not None and 0 <= k <= count else None)
    return Dashboard(board, rows, columns, months, trends, summary, _charts(board, rows, columns, months, trends))


def _number(value: Any) -> float:
    """A figure as the tables print it (rounded by the filter), as a JSON number for the chart."""
    return float(points(value))


def _charts(
    board: selectors.Board,
    rows: list[selectors.Row],
    columns: list[selectors.Column],
    months: list[int],
    trends: list[UnitTrend],
) -> dict[str, dict[str, Any]]:
    query = "?mode=preview" if board.mode == Mode.PREVIEW else ""
    unit_links = [reverse("assessment:unit", args=[board.year, board.month, r.code]) + query for r in rows]
    indicator_links = [reverse("assessment:indicator", args=[board.year, board.month, c.code]) + query for c in columns]
    names = [r.name for r in rows]
    month_labels = [f"{m}月" for m in months]
    return {
        "ranking": {
            "x": names,
            "series": [
                {"name": "总分", "data": [_number(r.result.total) for r in rows]},
                {"name": "序时得分", "data": [_number(r.result.paced_total) for r in rows]},
            ],
            "links": unit_links,
        },
        "heatmap": {
            "x": [c.name for c in columns],
            "y": names,
            "cells": [
                [x, y, STATUS_LEVEL[r.cells[c.code].status]] for y, r in enumerate(rows) for x, c in enumerate(columns)
            ],
            "levels": [{"name": name, "color": color} for name, color in HEAT_LEVELS],
            "xLinks": indicator_links,
            "yLinks": unit_links,
        },
        "rank_trend": {
            "x": month_labels,
            "series": [{"name": t.name, "data": t.ranks} for t in trends],
            "seriesLinks": unit_links,
        },
        "total_trend": {
            "x": month_labels,
            "series": [{"name": t.name, "data": [_number(v) for v in t.totals]} for t in trends],
            "seriesLinks": unit_links,
        },
    }
