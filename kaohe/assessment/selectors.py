"""The scoreboard (成绩单) and its summary figures, computed live from the current data.

Scores are never stored for the live view: every request reads the current approved (or submitted)
figures. The computed board is cached under the change log's latest id, which moves with every write
in the system, so a value approved a second ago shows at once and nothing is recomputed in between.

Two views of one period: `grid()` is what the 成绩单 page and its export show, every number as shown, from the
whole-year arrays (`score_year(...).scores`) plus the exact targets and figures, fast at any size; `scoreboard()` is
the reference engine's full `PeriodResult` with exact values and explanations, for `kaohe score --json` and the unit
and indicator pages; `explanations()` gives one indicator's explained cells on demand. A test holds the three equal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, Field, Q, QuerySet
from django.db.models import Value as SQLValue
from django.db.models.functions import Cast, Round

from kaohe.collection.models import Submission, Value
from kaohe.core.choices import ChangeAction
from kaohe.core.models import ChangeLog
from kaohe.org.models import Unit
from kaohe.schemes.choices import RequestStatus
from kaohe.schemes.models import Indicator, Scheme, TargetAdjustment
from kaohe.schemes.models import Target as TargetRow
from kaohe.scoring import (
    ENGINE_VERSION,
    STATUSES,
    ComboRule,
    IndicatorResult,
    Kind,
    Stage,
    Status,
    Target,
    UnitResult,
    VetoEffect,
    YearArrays,
    YearData,
    needs_target,
    schedule_fraction,
    score_month,
    score_year,
    unit_facts,
    veto_note,
)
from kaohe.scoring import Scheme as EngineScheme
from kaohe.scoring import Unit as EngineUnit

from .checks import scores_scheme
from .inputs import MODE_STATUSES, Inputs, Mode, engine_items, engine_scheme, load, target_timeline

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
    places: int = 2  # decimals of its figures (targets, 1–N月累计, a growth rate or level) as shown
    rate_places: int = 2  # decimals of 完成%, 序时差 and 完成阶段目标% as shown
    derived: bool = False  # a combo of other indicators: no figure or target of its own

    @property
    def rate_scale(self) -> int:
        """What the grid's completions are counted in: 10^-rate_places percent (rate_places 2: 6522 = 65.22%)."""
        return int(10 ** (2 + self.rate_places))


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
    totals: list[Total] = field(default_factory=list)  # each group's 小计, then 全区合计

    @property
    def schedule(self) -> Fraction:
        return Fraction(self.month, 12)

    def row(self, code: str) -> Row:
        return next(r for r in self.rows if r.code == code)


# Logged, but never a change of any figure, target or item: they leave the caches alone.
NON_DATA_ACTIONS = (
    ChangeAction.LOGIN,
    ChangeAction.LOGOUT,
    ChangeAction.LOGIN_FAILED,
    ChangeAction.LOCKOUT,
    ChangeAction.PASSWORD,
    ChangeAction.EXPORT,
)


@functools.cache
def _stamp_sql() -> tuple[str, tuple[str, ...]]:
    query = ChangeLog.objects.exclude(action__in=NON_DATA_ACTIONS).order_by("-id").values_list("id", flat=True)[:1]
    sql, params = query.query.sql_with_params()
    return sql, tuple(str(p) for p in params)


def data_stamp() -> int:
    """Moves with every write: services record each change in the change log in the same transaction.
    Log-ins and exports are logged too but change nothing a score reads, so they do not empty the caches.

    Every request of the 成绩单 asks this, so the query is built once per process (the ORM spends twice the
    database's time building it); it reads the last matching row backwards on the primary key."""
    sql, params = _stamp_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def latest_month(scheme: Scheme, mode: Mode = Mode.OFFICIAL) -> int | None:
    """The latest month with any figure in the mode's statuses (the 成绩单's default period)."""
    # Month by month from the latest, a cheap EXISTS each: a join would read every figure of the year (0.4 s at
    # 2,000 units) to find one month.
    statuses = MODE_STATUSES[mode]
    # order_by(): without it the model's ordering joins units and departments into the DISTINCT (20,000 rows).
    months = Submission.objects.filter(scheme=scheme, status__in=statuses).order_by().values_list("month", flat=True)
    for month in sorted(set(months.distinct()), reverse=True):
        figures = Value.objects.filter(submission__scheme=scheme, submission__status__in=statuses)
        if figures.filter(submission__month=month).exists():
            return int(month)
    return None


@scores_scheme
def scoreboard(*, scheme: Scheme, month: int, mode: Mode = Mode.OFFICIAL, figures: Scheme | None = None) -> Board:
    """The engine's full board; with `figures`, a proposal's rules on that scheme's data (see `inputs.load`)."""
    on = figures.pk if figures is not None else ""
    key = f"kaohe:board:{scheme.pk}:{on}:{month}:{mode}:{data_stamp()}:{ENGINE_VERSION}"
    board: Board | None = cache.get(key)
    if board is None:
        board = compute_board(load(scheme, mode=mode, through=month, figures=figures), month)
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

    def cells(code: str) -> tuple[list[int | None], list[int | None], bool]:
        found = [row.cells[code] for row in rows]
        return (
            [None if c.target is None else int(c.target.scaleb(4)) for c in found],
            [None if c.actual is None else int(c.actual.scaleb(4)) for c in found],
            any(c.stage is not None for c in found),
        )

    totals = compute_totals(columns, groups, [row.group for row in rows], cells)
    return Board(inputs.scheme.year, month, inputs.mode, columns, rows, groups, period.engine_version, totals)


# --- 全区合计 and each group's 小计 ---------------------------------------------------------------------------------

SUMMED_KINDS = frozenset({"cumulative", "count", "annual"})  # volumes and counts add up; rates and levels do not
DISTRICT_TOTAL = "全区合计"


@dataclass(frozen=True)
class Sum:
    """One indicator summed over some units: targets and figures exact (× 10^4), completion and gap exact."""

    target: int | None  # Σ the targets in force; None when no unit has one
    actual: int | None  # Σ 1–N月累计 of the units that reported; None when none did
    completion: Fraction | None  # Σ actual ÷ Σ target
    gap: Fraction | None  # (completion − s(N)) × 100 in percentage points; None under 分期目标 (each unit's own pace)

    def shown_completion(self, rate_places: int) -> int | None:
        """The completion as the grid holds completions: 10^-rate_places percent, rounded half-up once."""
        c = self.completion
        return None if c is None else half_up(c.numerator * 10 ** (2 + rate_places), c.denominator)

    def shown_gap(self, rate_places: int) -> int | None:
        g = self.gap
        return None if g is None else half_up(g.numerator * 10**rate_places, g.denominator)


@dataclass(frozen=True)
class Total:
    """A total row of the 成绩单: `group` None for 全区合计, else the group's 小计. `sums` has every indicator; None
    where the figures do not add up (growth rates, levels, combos, an indicator not assessed this month)."""

    group: str | None
    name: str
    units: int
    sums: dict[str, Sum | None]


def column_sum(column: Column, targets: list[int | None], actuals: list[int | None], staged: bool) -> Sum | None:
    """Σ targets and Σ actuals of a volume or count indicator, and the completion of the sums (never a mean of the
    units' completions). Rates, levels and combos have no sum."""
    if column.kind not in SUMMED_KINDS or column.derived or not column.evaluated:
        return None
    given = [t for t in targets if t is not None]
    reported = [a for a in actuals if a is not None]
    target = sum(given) if given else None
    actual = sum(reported) if reported else None
    completion = Fraction(actual, target) if actual is not None and target else None
    schedule = column.schedule
    gap = None if completion is None or schedule is None or staged else (completion - schedule) * 100
    return Sum(target, actual, completion, gap)


def compute_totals(
    columns: list[Column],
    groups: dict[str, str],
    members: list[str],
    cells: Callable[[str], tuple[list[int | None], list[int | None], bool]],
) -> list[Total]:
    """Each group's 小计 and the 全区合计 over every unit (`members`: each unit's group code, in the order of the
    lists `cells(code)` gives: targets, actuals, and whether any unit is measured against 分期目标)."""
    found = {c.code: cells(c.code) for c in columns}
    scopes: list[tuple[str | None, str, list[int]]] = [
        (code, f"{name}小计", [u for u, g in enumerate(members) if g == code]) for code, name in groups.items()
    ]
    scopes.append((None, DISTRICT_TOTAL, list(range(len(members)))))
    totals = []
    for group, name, units in scopes:
        if not units:
            continue
        sums = {}
        for c in columns:
            targets, actuals, staged = found[c.code]
            sums[c.code] = column_sum(c, [targets[u] for u in units], [actuals[u] for u in units], staged)
        totals.append(Total(group, name, len(units), sums))
    return totals


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
        places=ind.decimal_places,
        rate_places=ind.rate_places,
        derived=ind.is_derived,
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


def summary(board: Board | Grid, k: int | None = None) -> Summary:
    counted = [c for c in board.columns if c.counts_for_schedule and c.evaluated]
    threshold = k if k is not None else len(counted) // 2
    # (name, indicators on schedule, total on schedule, indicators completed) per unit, in the board's order
    if isinstance(board, Grid):
        done: dict[int, list[str]] = {}  # unit index → names of the indicators completed, column by column
        for c in board.columns:
            for u, status in enumerate(board.figures[c.code].status):
                if status is Status.COMPLETED:
                    done.setdefault(u, []).append(c.name)
        units = [
            (line.name, line.on_schedule_count, line.score_on_schedule, done.get(line.index, []))
            for line in board.lines
        ]  # fmt: skip
    else:
        units = [
            (r.name, r.result.on_schedule_count, r.result.score_on_schedule,
             [c.name for c in board.columns if r.cells[c.code].status is Status.COMPLETED])
            for r in board.rows
        ]  # fmt: skip
    return Summary(
        indicator_count=len(counted),
        on_schedule={name: on for name, on, _, _ in units},
        score_on_schedule=[name for name, _, paced, _ in units if paced],
        above_k=[name for name, on, _, _ in units if on > threshold],
        k=threshold,
        completed={name: done for name, _, _, done in units if done},
    )


@dataclass(frozen=True)
class TrendPoint:
    month: int
    rank: int
    total: Decimal
    statuses: dict[str, Status]


@scores_scheme
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


# --- the 成绩单 as shown, from the whole-year arrays --------------------------------------------------------------

JUDGED = frozenset({Status.ON_SCHEDULE, Status.BEHIND, Status.COMPLETED})
VOLUMES = frozenset({Kind.CUMULATIVE, Kind.COUNT, Kind.ANNUAL})
SCALE = 10**4  # YearArrays hold targets and figures as integers × 10^4 (the database's 4 decimals)
# An amount as that integer, computed by the database: no Decimal per row (ROUND keeps it exact on SQLite too, which
# holds a decimal as a double off by far less than a half). The plain Field output spares Django's int() per row.
SCALED = ExpressionWrapper(Cast(Round(F("amount") * SQLValue(SCALE)), BigIntegerField()), output_field=Field())


def half_up(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half away from zero to an integer (denominator > 0): `round_half_up` done on
    integers, exactly the same arithmetic without building a Fraction per number (a test holds them equal)."""
    q = (2 * abs(numerator) + denominator) // (2 * denominator)
    return q if numerator >= 0 else -q


def _half_up_array(numerator: np.ndarray, denominator: np.ndarray | int) -> np.ndarray:
    """`half_up` on int64 arrays (denominators > 0; the caller keeps 2 × |numerator| + denominator within int64)."""
    q = (2 * np.abs(numerator) + denominator) // (2 * np.asarray(denominator))
    rounded: np.ndarray = np.where(numerator >= 0, q, -q)
    return rounded


JUDGED_CODES = np.array([STATUSES.index(s) for s in JUDGED], np.int8)


@dataclass(frozen=True, slots=True)
class Line:
    """One unit's row of the 成绩单: points in hundredths as shown (ROUND_HALF_UP of the exact value, by the engine)."""

    index: int  # the unit's position in every Figures list
    code: str
    name: str
    group: str
    sort_order: int
    total: int
    bonus: int
    deduction: int
    vetoes: tuple[VetoEffect, ...]
    veto_notes: tuple[str, ...]  # each veto as the engine explains it (scoring.veto_note), by month
    score_on_schedule: bool
    rank: int
    group_rank: int
    rank_change: int | None  # places gained since last month; None when last month had no figures
    on_schedule_count: int
    evaluated_count: int
    grade: str | None


@dataclass(frozen=True, eq=False)
class Figures:
    """One indicator's cells for every unit, as lists indexed by `Line.index`. Targets and figures are exact
    (× 10^4); completion, gap and points are what the page shows, rounded half-up once from the exact value:
    completions to the indicator's `rate_places` (counted in 10^-rate_places percent, `Column.rate_scale`), gaps in
    10^-rate_places percentage points, points in hundredths."""

    status: list[Status]
    target: list[int | None]  # the annual target in force this month, × 10^4; None without one (and for combos)
    actual: list[int | None]  # 1–N月累计, × 10^4; None when not reported (and for combos)
    completion: list[int | None]  # volumes and combos, in 10^-rate_places percent (rate_places 2: 6522 = 65.22%)
    gap: list[int | None]  # 10^-rate_places percentage points: 序时差 for volumes, value − target for growth/ratio
    points: list[int]  # hundredths
    rank: list[int]  # rank among the units judged on the indicator; 0 = not ranked
    # 分期目标: the stage month N falls in, and 完成阶段目标 (counted as completion is); None without stages.
    stage: list[int | None] = field(default_factory=list)
    stage_completion: list[int | None] = field(default_factory=list)
    # 无任务 yet scored: a target-free rule (per_item, per_event, share_of_total …) scores the figure itself.
    scored_free: list[bool] = field(default_factory=list)

    def has_points(self, u: int) -> bool:
        """The cell shows points: judged or 未报 as usual, or 无任务 scored by a rule that needs no target."""
        status = self.status[u]
        if status is Status.NO_TARGET:
            return bool(self.scored_free) and self.scored_free[u]
        return status is not Status.NOT_EVALUATED

    @property
    def staged(self) -> bool:
        """Some unit's month is measured against a stage: the page and export show 完成阶段目标% beside 完成%."""
        return any(s is not None for s in self.stage)


@dataclass(frozen=True)
class Block:
    """A category's indicators side by side on the 成绩单, under its name and followed by its 小计."""

    code: str
    name: str
    columns: list[Column]


@dataclass(frozen=True, eq=False)
class Grid:
    """The 成绩单 of one period as shown, for the page and its export (the same attributes as `Board` where they
    mean the same thing: year, month, mode, columns, groups, schedule)."""

    year: int
    month: int
    mode: Mode
    columns: list[Column]
    lines: list[Line]  # by rank, then the units' order
    figures: dict[str, Figures]  # indicator code → its cells
    groups: dict[str, str]  # code → name
    engine_version: str
    totals: list[Total] = field(default_factory=list)  # each group's 小计, then 全区合计, over every unit
    # 指标类别: code → (name, its indicators' codes in column order), and each unit's Σ points of the category
    # (hundredths, the exact sum rounded once by the engine), as lists indexed by `Line.index`.
    categories: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    category_points: dict[str, list[int]] = field(default_factory=dict)

    @property
    def schedule(self) -> Fraction:
        return Fraction(self.month, 12)

    def line(self, code: str) -> Line:
        return next(line for line in self.lines if line.code == code)

    def blocks(self) -> list[Block]:
        """The indicators as column groups under their categories, each followed by its 小计 of points, as published
        tables print them: when there are two categories or more and each one's indicators stand side by side in
        the scheme's order. Otherwise none (one category's 小计 would only repeat the total, and columns moved
        into categories would no longer be in the order the district set)."""
        if len(self.categories) < 2:
            return []
        blocks: list[Block] = []
        at = 0
        for code, (name, codes) in self.categories.items():
            columns = self.columns[at : at + len(codes)]
            if tuple(c.code for c in columns) != codes:
                return []
            blocks.append(Block(code, name, columns))
            at += len(codes)
        return blocks if at == len(self.columns) else []

    def block_evaluated(self, block: Block, u: int) -> bool:
        """Some indicator of the category is assessed this period for unit `u` (quarterly ones are not every
        month): otherwise its 小计 is blank, as the indicators' cells are."""
        return any(self.figures[c.code].status[u] is not Status.NOT_EVALUATED for c in block.columns)

    def slots(self) -> list[Column | Block]:
        """The board's columns in the order the page and the export lay them out: each indicator, and each
        category's 小计 after its indicators when the board shows categories (`blocks`)."""
        blocks = self.blocks()
        if not blocks:
            return list(self.columns)
        slots: list[Column | Block] = []
        for block in blocks:
            slots += [*block.columns, block]
        return slots


class UnitRow(NamedTuple):
    """What the board shows of an assessed unit (thousands of model instances and their timestamps cost more to
    read than the figures' ids)."""

    pk: int
    code: str
    name: str
    sort_order: int
    group_code: str  # "" without a group
    group_name: str


@dataclass(frozen=True, eq=False)
class Loaded:
    scheme: EngineScheme
    arrays: YearArrays
    indicators: list[Indicator]
    units: list[UnitRow]


def grid_key(*, scheme: Scheme, month: int, mode: Mode) -> str:
    """The cache key of a period's grid; it moves with every write (one query)."""
    return f"kaohe:grid:{scheme.pk}:{month}:{mode}:{data_stamp()}:{ENGINE_VERSION}"


@scores_scheme
def grid(*, scheme: Scheme, month: int, mode: Mode = Mode.OFFICIAL, key: str | None = None) -> Grid:
    key = key or grid_key(scheme=scheme, month=month, mode=mode)
    found: Grid | None = cache.get(key)
    if found is None:
        found = compute_grid(scheme, month, mode)
        cache.set(key, found, CACHE_SECONDS)
    return found


def compute_grid(scheme: Scheme, month: int, mode: Mode) -> Grid:
    # Only months N − 1 (for the rank change) and N are read and scored: a month is scored from its own figures.
    loaded = load_arrays(scheme, mode=mode, month=month, months=(month - 1, month))
    scores = score_year(loaded.scheme, loaded.arrays).scores
    arrays, k = loaded.arrays, scores.month_index(month)
    data = arrays.to_data()  # the reference engine's view, for the few cells with staged or changed targets
    columns = [_column(ind, spec, month) for ind, spec in zip(loaded.indicators, loaded.scheme.indicators, strict=True)]
    figures = {c.code: _figures(loaded, scores.status, scores.points_cents, scores.indicator_rank, data, i, month,
                                c.rate_places) for i, c in enumerate(columns)}  # fmt: skip
    vetoes: dict[str, set[VetoEffect]] = {}
    notes: dict[str, list[str]] = {}
    for veto in sorted(arrays.vetoes, key=lambda v: v.month):
        if veto.approved and veto.month <= month:
            vetoes.setdefault(veto.unit, set()).add(veto.effect)
            notes.setdefault(veto.unit, []).append(veto_note(veto))
    # Against last month's ranks only when last month had figures (year.rank_change says the same).
    compared = month > 1 and scores.has_figures(month - 1)
    previous = scores.rank[scores.month_index(month - 1)].tolist() if compared else None
    per_unit = zip(
        *(
            c[k].tolist()
            for c in (scores.total_cents, scores.bonus_cents, scores.deduction_cents, scores.score_on_schedule,
                      scores.rank, scores.group_rank, scores.on_schedule_count, scores.evaluated_count, scores.grade)
        ),
        strict=True,
    )  # fmt: skip
    lines = []
    for u, (unit, (total, bonus, deduction, on_pace, rank, group_rank, on, judged, grade)) in enumerate(
        zip(loaded.units, per_unit, strict=True)
    ):
        lines.append(
            Line(
                index=u, code=unit.code, name=unit.name, group=arrays.groups[u], sort_order=unit.sort_order,
                total=total, bonus=bonus, deduction=deduction, vetoes=tuple(sorted(vetoes.get(unit.code, ()))),
                veto_notes=tuple(notes.get(unit.code, ())), score_on_schedule=bool(on_pace), rank=rank,
                group_rank=group_rank, rank_change=None if previous is None else previous[u] - rank,
                on_schedule_count=on, evaluated_count=judged, grade=scores.grade_names[grade] if grade >= 0 else None,
            )
        )  # fmt: skip
    groups = {u.group_code: u.group_name for u in loaded.units if u.group_code}

    def cells(code: str) -> tuple[list[int | None], list[int | None], bool]:
        f = figures[code]
        return f.target, f.actual, f.staged

    totals = compute_totals(columns, groups, list(arrays.groups), cells)
    categories: dict[str, tuple[str, tuple[str, ...]]] = {}
    for ind in loaded.indicators:
        name, codes = categories.get(ind.category.code, (ind.category.name, ()))
        categories[ind.category.code] = (name, (*codes, ind.code))
    category_points = {code: scores.category_cents[code][k].tolist() for code in categories}
    lines.sort(key=lambda line: (line.rank, line.sort_order))
    return Grid(
        scheme.year, month, mode, columns, lines, figures, groups, ENGINE_VERSION, totals, categories, category_points
    )


def _figures(
    loaded: Loaded,
    status_codes: np.ndarray,
    points_cents: np.ndarray,
    ranks: np.ndarray,
    data: YearData,
    i: int,
    month: int,
    rate_places: int,
) -> Figures:
    """One indicator's cells: completion and gap from the exact integers (× 10^4), rounded once to `rate_places`;
    cells whose scheduled amount needs staged or changed targets, and combos, take the reference engine's own
    facts."""
    rate = 10 ** (2 + rate_places)  # completions in 10^-rate_places percent; gaps × 100 in the same unit
    a, spec, k = loaded.arrays, loaded.scheme.indicators[i], loaded.arrays.scored_months.index(month)
    specs = {s.code: s for s in loaded.scheme.indicators}
    status = [STATUSES[c] for c in status_codes[i, k].tolist()]
    target = [t if has else None for t, has in zip(a.targets[i].tolist(), a.has_target[i].tolist(), strict=True)]
    actual = [v if rep else None for v, rep in zip(a.values[i, k].tolist(), a.reported[i, k].tolist(), strict=True)]
    combo = spec.rule if isinstance(spec.rule, ComboRule) else None
    # As the engine decides it: an indicator without a rule is tracked, never scored, with or without a target.
    free = spec.rule is not None and not combo and not needs_target(spec.rule)
    scored_free = [free and st is Status.NO_TARGET and v is not None for st, v in zip(status, actual, strict=True)]
    parts = [loaded.arrays.indicators.index(part.indicator) for part in combo.parts] if combo else [i]
    special = {u for (j, u) in (*a.stages, *a.changes) if j in parts}
    for u in special:
        in_force = data.targets.get((a.units[u], spec.code))
        if in_force is not None:
            target[u] = int(in_force.at(month).annual.scaleb(4))
    volume = spec.kind in VOLUMES
    s = schedule_fraction(spec, month)
    p, q = s.numerator, s.denominator
    judged = np.isin(status_codes[i, k], JUDGED_CODES)
    # Most cells in NumPy: plain targets, and numbers small enough that every product below fits int64.
    v, t = a.values[i, k], a.targets[i]
    fast = judged & (not combo)
    fast[list(special)] = False
    if volume:
        # (|v| × q + p × |t|) × 2 × rate + t × q < 2^60 whenever |v| and |t| stay under this (exact integers).
        bound = 2**60 // ((q + p) * 2 * rate + q)
        fast &= (np.abs(v) < bound) & (np.abs(t) < bound)
        vv, tt = np.where(fast, v, 0), np.where(fast, t, 1)
        shown_completion = _half_up_array(vv * rate, tt).tolist()  # actual ÷ target, in 10^-rate_places percent
        shown_gap = _half_up_array(rate * (vv * q - p * tt), tt * q).tolist()  # (actual ÷ target − s(N)) × 100
    else:
        shown_completion = [None] * len(status)
        # value − target (both × 10^4), in 10^-rate_places percentage points
        shown_gap = _half_up_array(np.where(fast, v - t, 0), SCALE * 100 // rate).tolist()
    quick = fast.tolist()
    completion: list[int | None] = [c if f else None for c, f in zip(shown_completion, quick, strict=True)]
    gap: list[int | None] = [g if f else None for g, f in zip(shown_gap, quick, strict=True)]
    mix = _combo_cells(loaded, combo, parts, status, special, month, rate) if combo else {}
    stage: list[int | None] = [None] * len(status)
    stage_completion: list[int | None] = [None] * len(status)
    for u in np.nonzero(judged & ~fast)[0].tolist():
        if u in mix:
            completion[u], gap[u] = mix[u]
            continue
        if combo or u in special:
            facts = unit_facts(spec, specs, data, a.units[u], month)
            if facts.stage is not None and facts.stage_completion is not None:
                stage[u] = facts.stage
                sc = facts.stage_completion
                stage_completion[u] = half_up(sc.numerator * rate, sc.denominator)
            if facts.completion is not None:
                completion[u] = half_up(facts.completion.numerator * rate, facts.completion.denominator)
            if facts.gap_pp is not None:
                gap[u] = half_up(facts.gap_pp.numerator * rate // 100, facts.gap_pp.denominator)
            continue
        v_u, t_u = actual[u], target[u]
        assert v_u is not None and t_u is not None  # judged: reported, with a target
        if volume:
            completion[u] = half_up(v_u * rate, t_u)
            gap[u] = half_up(rate * (v_u * q - p * t_u), t_u * q)
        else:
            gap[u] = half_up(v_u - t_u, SCALE * 100 // rate)
    return Figures(
        status,
        target,
        actual,
        completion,
        gap,
        points_cents[i, k].tolist(),
        ranks[i, k].tolist(),
        stage,
        stage_completion,
        scored_free,
    )


def _combo_cells(
    loaded: Loaded, rule: ComboRule, parts: list[int], status: list[Status], special: set[int], month: int, rate: int
) -> dict[int, tuple[int, int]]:
    """A combo's completion and gap per judged unit whose parts' targets are plain (no stages, no 任务调整), in
    Python integers: completion = Σ share × actual ÷ target, gap = (completion − Σ share × s(N)) × 100, each rounded
    half-up once (the engine's `_combo_facts` in exact arithmetic without a Fraction per unit)."""
    a, k = loaded.arrays, loaded.arrays.scored_months.index(month)
    specs = {s.code: s for s in loaded.scheme.indicators}
    shares = [Fraction(part.share) for part in rule.parts]
    schedule = sum(
        (sh * schedule_fraction(specs[part.indicator], month) for sh, part in zip(shares, rule.parts, strict=True)),
        Fraction(0),
    )
    values = [a.values[j, k].tolist() for j in parts]
    targets = [a.targets[j].tolist() for j in parts]
    found = {}
    for u, st in enumerate(status):
        if st not in JUDGED or u in special or any(t[u] <= 0 for t in targets):
            continue
        numerator, denominator = 0, 1  # Σ share × v ÷ t as one fraction, never reduced (exact either way)
        for share, v, t in zip(shares, values, targets, strict=True):
            den = share.denominator * t[u]
            numerator, denominator = numerator * den + share.numerator * v[u] * denominator, denominator * den
        # (n ÷ d − S) × 100 in 10^-rate_places points = rate × (n × S.den − S.num × d) ÷ (d × S.den)
        lead = numerator * schedule.denominator - schedule.numerator * denominator
        found[u] = (
            half_up(numerator * rate, denominator),
            half_up(lead * rate, denominator * schedule.denominator),
        )
    return found


def _positions(keys: list[int], wanted: np.ndarray) -> np.ndarray:
    """For each of `wanted`, its index in `keys`, or −1."""
    if not keys:
        return np.full(len(wanted), -1, np.intp)
    order = np.argsort(np.array(keys, np.int64), kind="stable")
    ordered = np.array(keys, np.int64)[order]
    at = np.clip(np.searchsorted(ordered, wanted), 0, len(ordered) - 1)
    return np.where(ordered[at] == wanted, order[at], -1)


def _int_rows(query: QuerySet[Any, Any], width: int) -> np.ndarray:
    """A values_list of integers (never NULL) as an int64 array [rows, width], fetched at once: iterating the
    queryset would fetch 100 rows a call, and a tuple per row is most of the cost of a large district's figures.
    On PostgreSQL the database joins the numbers into one text that NumPy parses in C (exact for int64)."""
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:  # a filter on an empty list: nothing to ask
        return np.zeros((0, width), np.int64)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return np.array(cursor.fetchall(), np.int64).reshape(-1, width)
        columns = ", ".join(f"c{k}" for k in range(width))
        joined_sql = f"SELECT count(*), string_agg(concat_ws(',', {columns}), ',') FROM ({sql}) AS q({columns})"  # noqa: S608 - the ORM's own SQL; the values stay parameters
        cursor.execute(joined_sql, params)
        count, joined = cursor.fetchone()
    found = np.fromstring(joined or "", dtype=np.int64, sep=",") if count else np.zeros(0, np.int64)
    if found.size != count * width:  # a NULL would shift the columns: refuse rather than misread
        raise ValueError(f"期望 {count} 行 × {width} 列整数，读到 {found.size} 个")
    return found.reshape(-1, width)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _stages(raw: dict[str, str]) -> tuple[Stage, ...]:
    return tuple(Stage(month=int(m), amount=Decimal(a)) for m, a in sorted(raw.items(), key=lambda kv: int(kv[0])))


def load_arrays(
    scheme: Scheme,
    *,
    mode: Mode,
    month: int,
    months: tuple[int, ...],
    only: tuple[str, ...] | None = None,
    items: bool = True,
) -> Loaded:
    """The engine's input for scoring `months` (and `month`, the last) as arrays built straight from database rows: the
    same data as `inputs.load` (a test holds them equal) but only the figures of those months, and the engine scores
    just them. A month is scored from its own 1–N月累计 figures alone, so the board of month N needs months N and
    N − 1 (for the rank change), never the year's other figures; targets, adjustments, items and vetoes come in full.
    `only` keeps those indicators and the parts of any combo among them; `items=False` leaves out bonus, deduction and
    veto items (one indicator's cells need none)."""
    indicators = list(
        Indicator.objects.filter(scheme=scheme)
        .select_related("category")
        .prefetch_related("group_weights__group")
        .order_by("sort_order", "code")
    )
    if only is not None:
        wanted = set(only)
        for ind in indicators:
            if ind.code in wanted and ind.is_derived:
                wanted |= {str(part.get("indicator")) for part in ind.rule.get("parts", ())}  # type: ignore[union-attr]
        indicators = [ind for ind in indicators if ind.code in wanted]
    units = [
        UnitRow(pk, code, name, order, group_code or "", group_name or "")
        for pk, code, name, order, group_code, group_name in Unit.objects.assessed(scheme.year)
        .order_by("sort_order", "code")
        .values_list("pk", "code", "name", "sort_order", "group__code", "group__name")
    ]
    unit_ids, indicator_ids = [u.pk for u in units], [ind.pk for ind in indicators]
    held = tuple(sorted({m for m in months if 1 <= m <= month} | {month}))  # the figures' month axis
    shape = (len(indicators), len(held), len(units))
    # Targets as first set, with every approved adjustment (任务调整) from its own month on (as inputs.engine_targets).
    history: dict[int, list[TargetAdjustment]] = {}
    adjustments = TargetAdjustment.objects.filter(
        target__indicator__in=indicator_ids, status=RequestStatus.APPROVED
    ).order_by("decided_at", "pk")
    for adj in adjustments:
        history.setdefault(adj.target_id, []).append(adj)
    targets = np.zeros(shape[::2], np.int64)
    has_target = np.zeros(shape[::2], bool)
    stages: dict[tuple[int, int], tuple[Stage, ...]] = {}
    changes: dict[tuple[int, int], tuple[tuple[int, Target], ...]] = {}
    rows = TargetRow.objects.filter(indicator__in=indicator_ids).annotate(scaled=SCALED)
    found = _int_rows(rows.values_list("unit_id", "indicator_id", "scaled"), 3)
    us, inds = _positions(unit_ids, found[:, 0]), _positions(indicator_ids, found[:, 1])
    keep = (us >= 0) & (inds >= 0)
    targets[inds[keep], us[keep]] = found[keep, 2]
    has_target[inds[keep], us[keep]] = True
    # The few targets with stages or approved adjustments: their history, cell by cell.
    special = TargetRow.objects.filter(indicator__in=indicator_ids).filter(~Q(stages={}) | Q(pk__in=list(history)))
    u_of, i_of = {pk: k for k, pk in enumerate(unit_ids)}, {pk: k for k, pk in enumerate(indicator_ids)}
    for pk, unit_id, indicator_id, amount, raw in special.values_list(
        "pk", "unit_id", "indicator_id", "amount", "stages"
    ):
        if unit_id not in u_of or indicator_id not in i_of:
            continue
        i, u = i_of[indicator_id], u_of[unit_id]
        steps = history.get(pk)
        first = Target(annual=amount, stages=_stages(raw))
        if steps:
            first = target_timeline(Target(annual=steps[0].old_amount, stages=_stages(steps[0].old_stages)), steps)
            changes[i, u] = first.changes
            targets[i, u] = int(first.annual.scaleb(4))
        if first.stages:
            stages[i, u] = first.stages
    values = np.zeros(shape, np.int64)
    reported = np.zeros(shape, bool)
    # The period's reports first (a few thousand rows), then their figures by report: the index on (report,
    # indicator) reads just those figures, where a join made PostgreSQL hash the whole year's.
    reports = _int_rows(
        Submission.objects.filter(scheme=scheme, status__in=MODE_STATUSES[mode], month__in=held).values_list(
            "pk", "unit_id", "month"
        ),
        3,
    )
    figures = Value.objects.annotate(scaled=SCALED)
    if only is not None:
        figures = figures.filter(indicator__in=indicator_ids)
    found = np.concatenate(
        [np.zeros((0, 3), np.int64)]
        + [
            _int_rows(figures.filter(submission__in=chunk).values_list("submission_id", "indicator_id", "scaled"), 3)
            for chunk in _chunks(reports[:, 0].tolist(), 10_000)  # SQLite takes 32,766 parameters at most
        ]
    )
    at = _positions(reports[:, 0].tolist(), found[:, 0])
    unit_of, month_of = reports[at, 1], reports[at, 2]
    us, inds, ms = (
        _positions(unit_ids, unit_of),
        _positions(indicator_ids, found[:, 1]),
        np.searchsorted(held, month_of),
    )
    keep = (us >= 0) & (inds >= 0)
    values[inds[keep], ms[keep], us[keep]] = found[keep, 2]
    reported[inds[keep], ms[keep], us[keep]] = True
    bonus_items, vetoes = engine_items(scheme, month) if items else ((), ())
    engine = engine_scheme(
        scheme, indicators, tuple(EngineUnit(code=u.code, group=u.group_code, name=u.name) for u in units)
    )
    arrays = YearArrays(
        units=tuple(u.code for u in engine.units),
        groups=tuple(u.group for u in engine.units),
        indicators=tuple(ind.code for ind in indicators),
        through=month,
        months=held,
        values=values,
        reported=reported,
        targets=targets,
        has_target=has_target,
        stages=stages,
        changes=changes,
        adjustments=bonus_items,
        vetoes=vetoes,
    )
    return Loaded(engine, arrays, indicators, units)


@scores_scheme
def explanations(*, scheme: Scheme, month: int, mode: Mode, indicator: str) -> dict[str, IndicatorResult]:
    """One indicator's cell for every unit from the reference engine, each with its explanation: what a click on a
    point shows. One indicator needs every unit (pools, ranks) but no other indicator, so a 2,000-unit district
    answers in a fraction of a second; cached like the grid."""
    key = f"{grid_key(scheme=scheme, month=month, mode=mode)}:explain:{indicator}"
    found: dict[str, IndicatorResult] | None = cache.get(key)
    if found is None:
        loaded = load_arrays(scheme, mode=mode, month=month, months=(month,), only=(indicator,), items=False)
        found = {}
        if indicator in loaded.arrays.indicators:
            period = score_month(loaded.scheme, loaded.arrays.to_data(), month)
            found = {result.unit: result.indicator(indicator) for result in period.units}
        cache.set(key, found, CACHE_SECONDS)
    return found


# --- 模拟: a proposed scheme beside the official board ---------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """One indicator's (or the items') share of a unit's change: proposed points − official points, exact."""

    code: str
    name: str
    points: Fraction


@dataclass(frozen=True)
class Change:
    """A unit under both schemes: None where it is not on that board."""

    code: str
    name: str
    official: UnitResult | None
    proposed: UnitResult | None
    moved: tuple[Moved, ...]

    @property
    def points(self) -> Fraction | None:
        if self.official is None or self.proposed is None:
            return None
        return self.proposed.total - self.official.total

    @property
    def places(self) -> int | None:
        """Places gained (+) or lost (−) in the district's ranking under the proposal."""
        if self.official is None or self.proposed is None:
            return None
        return self.official.rank - self.proposed.rank


@dataclass(frozen=True)
class Comparison:
    proposed_scheme: Scheme
    figures: Scheme
    month: int
    official: Board
    proposed: Board
    changes: list[Change]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.points or c.places]


ITEMS = "items"  # the bonus and deduction items, as one line of a unit's change


def _moved(
    official: UnitResult | None, proposed: UnitResult | None, names: dict[str, str], top: int
) -> tuple[Moved, ...]:
    def points(result: UnitResult | None) -> dict[str, Fraction]:
        if result is None:
            return {}
        found = {r.indicator: r.points for r in result.indicators}
        found[ITEMS] = result.bonus - result.deduction
        return found

    before, after = points(official), points(proposed)
    moved = [
        Moved(code, names.get(code, code), after.get(code, Fraction(0)) - before.get(code, Fraction(0)))
        for code in dict.fromkeys([*before, *after])
    ]
    moved = [m for m in moved if m.points]
    return tuple(sorted(moved, key=lambda m: -abs(m.points))[:top])


def compare(*, proposed: Scheme, figures: Scheme, month: int, top: int = 3) -> Comparison:
    """The month's official 成绩单 of `figures` beside `proposed` scored on the same approved figures: each unit's
    points and rank under both, the change, and the `top` indicators that moved it most."""
    official = scoreboard(scheme=figures, month=month)
    board = scoreboard(scheme=proposed, month=month, figures=figures)
    names = {c.code: c.name for c in official.columns} | {c.code: c.name for c in board.columns} | {ITEMS: "加扣分"}
    before = {r.code: r for r in official.rows}
    after = {r.code: r for r in board.rows}
    changes = []
    for code in dict.fromkeys([*after, *before]):
        old, new = before.get(code), after.get(code)
        name = (new or old).name  # type: ignore[union-attr]
        old_result, new_result = old.result if old else None, new.result if new else None
        changes.append(Change(code, name, old_result, new_result, _moved(old_result, new_result, names, top)))
    return Comparison(proposed, figures, month, official, board, changes)
