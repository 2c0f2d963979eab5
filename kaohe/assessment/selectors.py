"""The scoreboard (成绩单) and its summary figures, computed live from the current data.

Scores are never stored for the live view: every request reads the current approved (or submitted)
figures. The computed board is cached under the change log's latest id, which moves with every write
in the system, so a value approved a second ago shows at once and nothing is recomputed in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.db.models import Max

from kaohe.collection.models import Submission
from kaohe.core.models import ChangeLog
from kaohe.schemes.models import Indicator, Scheme
from kaohe.scoring import (
    ENGINE_VERSION,
    IndicatorResult,
    Status,
    UnitResult,
    schedule_fraction,
    score_year,
)

from .inputs import MODE_STATUSES, Inputs, Mode, load

CACHE_SECONDS = 600


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    unit: str
    kind: str
    weight: Decimal
    schedule: Fraction | None  # s(N) for volumes; None for growth/ratio or off-period
    counts_for_schedule: bool
    evaluated: bool  # reported this period (quarterly / annual indicators are not every month)


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    group: str
    result: UnitResult
    rank_change: int | None
    cells: dict[str, IndicatorResult] = field(default_factory=dict)


@dataclass(frozen=True)
class Board:
    year: int
    month: int
    mode: Mode
    columns: list[Column]
    rows: list[Row]
    groups: dict[str, str]  # code → name
    engine_version: str

    @property
    def schedule(self) -> Fraction:
        return Fraction(self.month, 12)

    def row(self, code: str) -> Row:
        return next(r for r in self.rows if r.code == code)


def data_stamp() -> int:
    """Moves with every write: services record each change in the change log in the same transaction."""
    return ChangeLog.objects.aggregate(last=Max("id"))["last"] or 0


def latest_month(scheme: Scheme, mode: Mode = Mode.OFFICIAL) -> int | None:
    """The latest month with any figure in the mode's statuses (the 成绩单's default period)."""
    last = Submission.objects.filter(scheme=scheme, status__in=MODE_STATUSES[mode], values__isnull=False).aggregate(
        last=Max("month")
    )["last"]
    return int(last) if last else None


def scoreboard(*, scheme: Scheme, month: int, mode: Mode = Mode.OFFICIAL) -> Board:
    key = f"kaohe:board:{scheme.pk}:{month}:{mode}:{data_stamp()}:{ENGINE_VERSION}"
    board: Board | None = cache.get(key)
    if board is None:
        board = compute_board(load(scheme, mode=mode, through=month), month)
        cache.set(key, board, CACHE_SECONDS)
    return board


def compute_board(inputs: Inputs, month: int) -> Board:
    year = score_year(inputs.engine_scheme, inputs.data, through=month)
    period = year.period(month)
    specs = {s.code: s for s in inputs.engine_scheme.indicators}
    columns = [_column(ind, specs[ind.code], month) for ind in inputs.indicators]
    names = {u.code: u for u in inputs.units}
    rows = []
    for result in sorted(period.units, key=lambda r: (r.rank, names[r.unit].sort_order)):
        unit = names[result.unit]
        rows.append(
            Row(
                code=unit.code,
                name=unit.name,
                group=result.group,
                result=result,
                rank_change=year.rank_change(unit.code, month),
                cells={c.indicator: c for c in result.indicators},
            )
        )
    groups = {u.group.code: u.group.name for u in inputs.units if u.group}
    return Board(inputs.scheme.year, month, inputs.mode, columns, rows, groups, period.engine_version)


def _column(ind: Indicator, spec: object, month: int) -> Column:
    from kaohe.scoring import evaluation_months

    evaluated = month in evaluation_months(spec)  # type: ignore[arg-type]
    volume = ind.kind in ("cumulative", "count", "annual")
    return Column(
        code=ind.code,
        name=ind.name,
        unit=ind.unit,
        kind=ind.kind,
        weight=ind.weight,
        schedule=schedule_fraction(spec, month) if volume and evaluated else None,  # type: ignore[arg-type]
        counts_for_schedule=ind.counts_for_schedule,
        evaluated=evaluated,
    )


@dataclass(frozen=True)
class Summary:
    """The figures the bulletin reads out, for one period."""

    indicator_count: int  # indicators that count for 序时 this period
    on_schedule: dict[str, int]  # unit → indicators on schedule
    score_on_schedule: list[str]  # units whose total is on schedule (得分达序时)
    above_k: list[str]  # units with more than K indicators on schedule
    k: int
    completed: dict[str, list[str]]  # unit → indicators already completed for the year


def summary(board: Board, k: int | None = None) -> Summary:
    counted = [c for c in board.columns if c.counts_for_schedule and c.evaluated]
    threshold = k if k is not None else len(counted) // 2
    return Summary(
        indicator_count=len(counted),
        on_schedule={r.name: r.result.on_schedule_count for r in board.rows},
        score_on_schedule=[r.name for r in board.rows if r.result.score_on_schedule],
        above_k=[r.name for r in board.rows if r.result.on_schedule_count > threshold],
        k=threshold,
        completed={
            r.name: [c.name for c in board.columns if r.cells[c.code].status is Status.COMPLETED]
            for r in board.rows
            if any(r.cells[c.code].status is Status.COMPLETED for c in board.columns)
        },
    )


@dataclass(frozen=True)
class TrendPoint:
    month: int
    rank: int
    total: Decimal
    statuses: dict[str, Status]


def unit_trend(*, scheme: Scheme, month: int, mode: Mode, unit: str) -> list[TrendPoint]:
    """Month by month: the unit's rank, total and each indicator's status (from the whole-year run)."""
    key = f"kaohe:trend:{scheme.pk}:{month}:{mode}:{data_stamp()}:{ENGINE_VERSION}"
    year = cache.get(key)
    if year is None:
        inputs = load(scheme, mode=mode, through=month)
        year = score_year(inputs.engine_scheme, inputs.data, through=month)
        cache.set(key, year, CACHE_SECONDS)
    codes = [s.code for s in year.scheme.indicators]
    return [
        TrendPoint(m, year.rank(unit, m), year.total(unit, m), {c: year.status(unit, c, m) for c in codes})
        for m in range(1, month + 1)
    ]
