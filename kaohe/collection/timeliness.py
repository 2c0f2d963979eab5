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
    """Each assessed township's self-report timeliness for months 1..up_to_month (two queries)."""
    now = now or timezone.now()
    first = {
        (unit_id, month): submitted
        for unit_id, month, submitted in Submission.objects.filter(
            scheme=scheme, owner=None, month__lte=up_to_month
        ).values_list("unit_id", "month", "first_submitted_at")
    }
    result: dict[str, Timeliness] = {}
    for unit in Unit.objects.assessed():
        on_time, late, missing, due = 0, [], [], 0
        for month in range(1, up_to_month + 1):
            deadline = report_deadline(scheme, month)
            submitted = first.get((unit.pk, month))
            if submitted is None:
                if deadline < now:
                    due += 1
                    missing.append(month)
                continue
            due += 1
            if submitted <= deadline:
                on_time += 1
            else:
                late.append(month)
        result[unit.code] = Timeliness(unit.code, due, on_time, tuple(late), tuple(missing))
    return result
