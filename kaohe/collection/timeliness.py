"""报表及时率: were a township's monthly reports handed in by the deadline?

A month's report is due by the scheme's deadline day of the next month (Asia/Shanghai). It counts as on
time when it was first submitted by then, late when after, missing when the deadline has passed with no
submission. The rate feeds a deduction item of the scheme ("每少报/迟报1个月报表扣0.5分").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme

from .models import Submission


@dataclass(frozen=True, slots=True)
class Timeliness:
    unit: str
    due: int
    on_time: int
    late: tuple[int, ...]  # months handed in after the deadline
    missing: tuple[int, ...]  # months past the deadline and still not handed in

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.on_time, self.due) if self.due else None

    @property
    def failures(self) -> int:
        return len(self.late) + len(self.missing)


def report_deadline(scheme: Scheme, month: int) -> dt.datetime:
    year, next_month = (scheme.year, month + 1) if month < 12 else (scheme.year + 1, 1)
    zone = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(year, next_month, scheme.report_deadline_day, 23, 59, 59, tzinfo=zone)


def timeliness(*, scheme: Scheme, up_to_month: int, now: dt.datetime | None = None) -> dict[str, Timeliness]:
    """Each assessed township's self-report timeliness for months 1..up_to_month (four queries at most).

    The database compares each first submission with its month's deadline and answers only the late ones: the
    scoreboard asks this on every cold run, and building a datetime per report (20,000 for a 2,000-township
    district's ten months) cost more than the rest of the question."""
    now = now or timezone.now()
    months = range(1, up_to_month + 1)
    deadlines = {month: report_deadline(scheme, month) for month in months}
    reports = Submission.objects.filter(scheme=scheme, owner=None, month__lte=up_to_month,
                                        first_submitted_at__isnull=False)  # fmt: skip
    # Months handed in, per township; only the townships with a gap need their months one by one.
    counts = dict(reports.values("unit_id").annotate(n=Count("month", distinct=True)).values_list("unit_id", "n"))
    gaps = [unit_id for unit_id, n in counts.items() if n < len(months)]
    handed_in = set(reports.filter(unit_id__in=gaps).values_list("unit_id", "month")) if gaps else set()
    after_deadline = Q()
    for month, deadline in deadlines.items():
        after_deadline |= Q(month=month, first_submitted_at__gt=deadline)
    late = set(reports.filter(after_deadline).values_list("unit_id", "month")) if deadlines else set()
    passed = [month for month in months if deadlines[month] < now]
    result: dict[str, Timeliness] = {}
    for unit_id, code in Unit.objects.assessed(scheme.year).values_list("pk", "code"):
        complete = counts.get(unit_id) == len(months)
        missing = () if complete else tuple(month for month in passed if (unit_id, month) not in handed_in)
        slow = tuple(month for month in months if (unit_id, month) in late)
        due = counts.get(unit_id, 0) + len(missing)
        result[code] = Timeliness(code, due, due - len(missing) - len(slow), slow, missing)
    return result
