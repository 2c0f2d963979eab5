"""预警 (early warning): every township × indicator behind schedule, where it is heading, and its light.

For each indicator a township is behind on (欠序时, as the engine decides it) the list shows

- the gap to the schedule in percentage points (the engine's `gap_pp`);
- for volumes (累计量, 个数, 年度指标), the projected year-end completion two ways:
  linear from the year-to-date pace, actual × 12/N ÷ target; and by last year's monthly profile,
  actual ÷ (last year's 1–N月累计 ÷ last year's full year) ÷ target, when last year's scheme
  (the year before, its approved figures) has both figures for the township, both positive;
- for higher-is-better volumes with a target of their own, the amount still needed each remaining month,
  (target − actual) ÷ (12 − N) (none in December, none for a combo indicator, scored from its parts);
- growth and ratio indicators (增速, 比率): behind when the value is below the target (above it for
  lower-is-better), the gap is value − target in percentage points, and there is no projection.

The three-colour light (三色灯), written in the page legend as well:

- 绿灯: 达序时 or 已完成全年 (not listed as a warning, counted per township);
- for an item behind schedule, the projection that decides is last year's profile when there is one
  (it carries the indicator's seasonality), otherwise the linear one; then, in this order:
  1. projected to finish the year (≥ 100 % of the annual target) → 黄灯: behind, but on course;
  2. projected below 90 % of the annual target → 红灯;
  3. no projection (growth, ratio) or a projection from 90 % up to 100 % → by the gap alone:
     behind by RED_GAP_PP (10) percentage points or more → 红灯, less → 黄灯.
  For a lower-is-better indicator (越低越好) "finish" means a projection ≤ 100 % of the control figure,
  and "below 90 %" reads "above 110 %".

Every quantity is exact (Decimal in, Fraction out); numbers are rounded only by the template filters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Value
from kaohe.schemes.models import Indicator, Scheme
from kaohe.scoring import Direction, IndicatorResult, Status

from . import selectors
from .inputs import Mode

# Behind by this many percentage points or more is red when no projection settles the light.
RED_GAP_PP = Fraction(10)
# A projection at or above this share of the annual target finishes the year …
FINISH = Fraction(1)
# … and one below this is red (for lower-is-better: above 2 − RED_PROJECTION, i.e. 110 %).
RED_PROJECTION = Fraction(9, 10)

VOLUME_KINDS = frozenset({"cumulative", "count", "annual"})


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[self.value]

    @property
    def order(self) -> int:
        return {"red": 0, "yellow": 1, "green": 2}[self.value]


class Reason(StrEnum):
    """What decided the light (the page words it with the rounded numbers)."""

    PROJECTED_FINISH = "projected_finish"  # projected to reach the annual target
    PROJECTED_SHORT = "projected_short"  # projected below 90 %
    GAP = "gap"  # by the gap alone


@dataclass(frozen=True)
class Item:
    """One township × indicator behind schedule."""

    unit: str
    unit_name: str
    indicator: str
    indicator_name: str
    measure: str  # the indicator's unit of measure, 万元 / 个 / %
    kind: str
    lower: bool  # lower is better (越低越好)
    target: Decimal | None
    actual: Decimal | None
    completion: Fraction | None  # actual ÷ annual target (volumes)
    schedule: Fraction | None  # s(N) or the staged share
    gap_pp: Fraction  # the engine's gap: completion − schedule (volumes) or value − target, in pp
    behind_pp: Fraction  # how far behind, in pp (≥ 0 unless only the group average test failed)
    linear: Fraction | None  # projected year-end completion from the YTD pace
    profile: Fraction | None  # projected by last year's monthly profile
    needed_monthly: Fraction | None  # amount still needed per remaining month
    last_year: tuple[Decimal, Decimal] | None  # last year's (1–N月累计, full year) for this township, if found
    light: Light
    reason: Reason

    @property
    def projection(self) -> Fraction | None:
        """The projection that decides the light: last year's profile when there is one, else linear."""
        return self.profile if self.profile is not None else self.linear

    @property
    def sort_key(self) -> tuple[int, Fraction, str, str]:
        return (self.light.order, -self.behind_pp, self.unit, self.indicator)


@dataclass(frozen=True)
class Township:
    """One township's list: the sheet a leader hands over."""

    code: str
    name: str
    rank: int
    items: list[Item]
    green: int
    not_reported: list[str]  # indicator names with no figure yet (未报 is never "behind")

    @property
    def red(self) -> int:
        return sum(1 for i in self.items if i.light is Light.RED)

    @property
    def yellow(self) -> int:
        return sum(1 for i in self.items if i.light is Light.YELLOW)


@dataclass(frozen=True)
class Report:
    year: int
    month: int
    mode: Mode
    items: list[Item]  # red before yellow, the larger gap first
    townships: list[Township]  # in the 成绩单's rank order
    has_last_year: bool  # last year's figures were found (profile projections possible)
    red_gap_pp: Fraction

    @property
    def schedule(self) -> Fraction:
        return Fraction(self.month, 12)

    @property
    def remaining_months(self) -> int:
        return 12 - self.month

    @property
    def red(self) -> int:
        return sum(1 for i in self.items if i.light is Light.RED)

    @property
    def yellow(self) -> int:
        return sum(1 for i in self.items if i.light is Light.YELLOW)

    @property
    def green(self) -> int:
        return sum(t.green for t in self.townships)


# --- The arithmetic, exact -------------------------------------------------------------------------


def linear_projection(actual: Fraction, target: Fraction, month: int) -> Fraction:
    """Year-end completion if the year-to-date pace holds: actual × 12/N ÷ target."""
    return actual * 12 / month / target


def profile_projection(actual: Fraction, target: Fraction, last_n: Fraction, last_full: Fraction) -> Fraction | None:
    """Year-end completion if the year ends like last year: actual ÷ (last year's 1–N ÷ full year) ÷ target."""
    if last_n <= 0 or last_full <= 0:
        return None  # last year's profile says nothing (no figure by month N, or an empty year)
    return actual * last_full / last_n / target


def needed_monthly(actual: Fraction, target: Fraction, month: int) -> Fraction | None:
    """What each remaining month must add to reach the annual target: (target − actual) ÷ (12 − N)."""
    if month >= 12:
        return None
    return max(target - actual, Fraction(0)) / (12 - month)


def light_for(
    *, behind_pp: Fraction, projection: Fraction | None, lower: bool = False, red_gap_pp: Fraction = RED_GAP_PP
) -> tuple[Light, Reason]:
    """The light of an item behind schedule (the module docstring states the rule)."""
    if projection is not None:
        finishes = projection <= FINISH if lower else projection >= FINISH
        short = projection > 2 - RED_PROJECTION if lower else projection < RED_PROJECTION
        if finishes:
            return Light.YELLOW, Reason.PROJECTED_FINISH
        if short:
            return Light.RED, Reason.PROJECTED_SHORT
    return (Light.RED if behind_pp >= red_gap_pp else Light.YELLOW), Reason.GAP


def item_for(
    cell: IndicatorResult,
    *,
    unit_name: str,
    indicator_name: str,
    measure: str,
    lower: bool,
    month: int,
    last: tuple[Decimal, Decimal] | None,
    red_gap_pp: Fraction = RED_GAP_PP,
) -> Item:
    """One behind-schedule cell with its projections, the monthly amount needed and its light."""
    assert cell.gap_pp is not None
    behind_pp = cell.gap_pp if lower else -cell.gap_pp
    linear = profile = needed = None
    if cell.kind in VOLUME_KINDS:
        if cell.target is not None and cell.actual is not None:
            actual, target = Fraction(cell.actual), Fraction(cell.target)
            linear = linear_projection(actual, target, month)
            if last is not None:
                profile = profile_projection(actual, target, Fraction(last[0]), Fraction(last[1]))
            if not lower:
                needed = needed_monthly(actual, target, month)
        elif cell.completion is not None:
            # A combo indicator: no figures of its own, its completion mixes its parts' shares.
            linear = cell.completion * 12 / month
    light, reason = light_for(
        behind_pp=behind_pp, projection=profile if profile is not None else linear, lower=lower, red_gap_pp=red_gap_pp
    )
    return Item(
        unit=cell.unit, unit_name=unit_name, indicator=cell.indicator, indicator_name=indicator_name, measure=measure,
        kind=str(cell.kind), lower=lower, target=cell.target, actual=cell.actual, completion=cell.completion,
        schedule=cell.schedule, gap_pp=cell.gap_pp, behind_pp=behind_pp, linear=linear, profile=profile,
        needed_monthly=needed, last_year=last, light=light, reason=reason,
    )  # fmt: skip


def build(
    board: selectors.Board,
    *,
    last_year: dict[tuple[str, str], tuple[Decimal, Decimal]],
    lower: set[str],
    units: set[str] | None = None,
    red_gap_pp: Fraction = RED_GAP_PP,
) -> Report:
    """The report from a 成绩单 board and last year's (1–N, full-year) figures per (unit, indicator).

    `lower` names the lower-is-better indicators; `units`, when given, keeps only those townships."""
    columns = [c for c in board.columns if c.evaluated]
    items: list[Item] = []
    townships: list[Township] = []
    for row in board.rows:
        if units is not None and row.code not in units:
            continue
        own: list[Item] = []
        green = 0
        missing: list[str] = []
        for column in columns:
            cell = row.cells[column.code]
            if cell.status in (Status.ON_SCHEDULE, Status.COMPLETED):
                green += 1
            elif cell.status is Status.NOT_REPORTED:
                missing.append(column.name)
            elif cell.status is Status.BEHIND and cell.gap_pp is not None:
                item = item_for(
                    cell, unit_name=row.name, indicator_name=column.name, measure=column.unit,
                    lower=column.code in lower, month=board.month, last=last_year.get((row.code, column.code)),
                    red_gap_pp=red_gap_pp,
                )  # fmt: skip
                own.append(item)
        own.sort(key=lambda i: i.sort_key)
        items.extend(own)
        townships.append(Township(row.code, row.name, row.result.rank, own, green, missing))
    items.sort(key=lambda i: i.sort_key)
    return Report(board.year, board.month, board.mode, items, townships, bool(last_year), red_gap_pp)


# --- From the database -----------------------------------------------------------------------------


def last_year_figures(year: int, month: int) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Last year's approved (1–N月累计, full year) per (unit, indicator code), where it has both. One query."""
    rows = Value.objects.filter(
        submission__scheme__year=year - 1,
        submission__scheme__scenario="",
        submission__status=SubmissionStatus.APPROVED,
        submission__month__in={month, 12},
    ).values_list("submission__unit__code", "indicator__code", "submission__month", "amount")
    found: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for unit, indicator, m, amount in rows:
        found[(unit, indicator)][m] = amount
    return {
        key: (by_month[month], by_month[12]) for key, by_month in found.items() if month in by_month and 12 in by_month
    }


def early_warnings(board: selectors.Board, *, scheme: Scheme, units: set[str] | None = None) -> Report:
    """The 预警 list of a period's 成绩单 board (the live one, cached under the data stamp), with last year's
    profile and the scheme's lower-is-better indicators: two queries more than the board."""
    lower = set(Indicator.objects.filter(scheme=scheme, direction=Direction.LOWER.value).values_list("code", flat=True))
    return build(board, last_year=last_year_figures(scheme.year, board.month), lower=lower, units=units)
