"""A year's scores: every month (or the chosen ones) on the vectorised path, with the reference engine's exact,
explained results for any month on demand. It sits above both engines so neither imports the other's caller."""

from __future__ import annotations

from decimal import Decimal

from kaohe.scoring.engine import score_month
from kaohe.scoring.errors import InputError
from kaohe.scoring.fast import YearArrays, YearScores, score_arrays, to_arrays
from kaohe.scoring.schedule import validate_data
from kaohe.scoring.scheme import Scheme
from kaohe.scoring.types import PeriodResult, Status, YearData


class YearResult:
    """The months scored (all of 1..through, or the chosen ones): the fast path's arrays for every unit and
    indicator, and on demand the reference engine's full results (exact values and explanations) for any month
    scored. Asking about a month not scored raises KeyError."""

    def __init__(self, scheme: Scheme, data: YearData | None, scores: YearScores) -> None:
        self.scheme = scheme
        self.data = data
        self.scores = scores
        self._periods: dict[int, PeriodResult] = {}

    @property
    def months(self) -> tuple[int, ...]:
        """The months scored, ascending; the last one is `through`."""
        return self.scores.months

    def period(self, month: int) -> PeriodResult:
        self.scores.month_index(month)  # KeyError for a month not scored
        if month not in self._periods:
            data = self.data if self.data is not None else self.scores.arrays.to_data()
            self._periods[month] = score_month(self.scheme, data, month)
        return self._periods[month]

    def total(self, unit: str, month: int) -> Decimal:
        """The total as shown (2 decimals, ROUND_HALF_UP)."""
        k = self.scores.month_index(month)
        return self.scores.cents_to_decimal(self.scores.total_cents[k, self.scores.unit_index(unit)])

    def rank(self, unit: str, month: int) -> int:
        return int(self.scores.rank[self.scores.month_index(month), self.scores.unit_index(unit)])

    def rank_change(self, unit: str, month: int) -> int | None:
        """Places gained since the previous month (positive = moved up); None in month 1 and whenever month N − 1
        has no figure at all (the first month with data: every unit tied last then, and "↓13" would mean nothing).
        Needs months N − 1 and N scored (KeyError otherwise): score at least (N − 1, N) for a 成绩单."""
        if month == 1:
            self.scores.month_index(month)  # month 1 must still be one scored
            return None
        if not self.scores.has_figures(month - 1):
            self.scores.month_index(month)
            return None
        return self.rank(unit, month - 1) - self.rank(unit, month)

    def status(self, unit: str, indicator: str, month: int) -> Status:
        return self.scores.status_at(unit, indicator, month)


def score_year(
    scheme: Scheme, data: YearData | YearArrays, *, through: int = 12, months: tuple[int, ...] = ()
) -> YearResult:
    """Score months 1..through in one call (dashboards show trends, the bulletin shows rank changes), or just
    `months` of them: strictly ascending, the last one `through` (a 成绩单 of month N needs only (N − 1, N)). Each
    month is scored exactly as the full run would score it, since no month reads another month's figures.

    `data` is YearData (validated here, all of it), or YearArrays built straight from database rows for large runs
    (validated vectorised; `through` and the months scored are then the arrays' own — `YearArrays.months` —
    and passing `months` here is an error)."""
    if isinstance(data, YearArrays):
        if months:
            raise InputError("用数组计分时，计分月份由数组的 months 给出，不能另传 months")
        return YearResult(scheme, None, score_arrays(scheme, data))
    validate_data(scheme, data, through)
    return YearResult(scheme, data, score_arrays(scheme, to_arrays(scheme, data, through, months)))
