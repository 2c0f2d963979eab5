from __future__ import annotations

import datetime as dt
from fractions import Fraction

from kaohe.collection.models import Submission
from kaohe.collection.timeliness import report_deadline, timeliness
from kaohe.schemes.models import Scheme
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase


class TimelinessTests(WorldTestCase):
    def test_the_deadline_is_the_tenth_of_the_next_month_in_shanghai(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        deadline = report_deadline(scheme, 12)
        self.assertEqual((deadline.year, deadline.month, deadline.day, deadline.hour), (DEMO_YEAR + 1, 1, 10, 23))
        self.assertEqual(deadline.utcoffset(), dt.timedelta(hours=8))

    def test_late_reports_are_counted_per_township(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        rates = timeliness(scheme=scheme, up_to_month=DEMO_MONTH)
        self.assertEqual(rates["liutang"].late, (3, 7))
        self.assertEqual(rates["liutang"].rate, Fraction(8, 10))
        self.assertEqual(rates["shimen"].late, (5,))
        self.assertEqual(rates["qingshi"].rate, 1)

    def test_a_report_not_handed_in_counts_as_missing_only_after_its_deadline(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        before = report_deadline(scheme, DEMO_MONTH) - dt.timedelta(days=1)
        after = report_deadline(scheme, DEMO_MONTH) + dt.timedelta(days=1)
        # 南苑街道's October report is still a draft in the demo.
        self.assertEqual(timeliness(scheme=scheme, up_to_month=DEMO_MONTH, now=before)["nanyuan"].missing, ())
        self.assertEqual(timeliness(scheme=scheme, up_to_month=DEMO_MONTH, now=after)["nanyuan"].missing, (DEMO_MONTH,))

    def test_a_report_handed_in_at_the_deadline_is_on_time_and_a_second_later_is_late(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        reports = Submission.objects.filter(scheme=scheme, owner=None, unit__code="qingshi", month=2)
        deadline = report_deadline(scheme, 2)
        reports.update(first_submitted_at=deadline)
        self.assertEqual(timeliness(scheme=scheme, up_to_month=DEMO_MONTH)["qingshi"].late, ())
        reports.update(first_submitted_at=deadline + dt.timedelta(seconds=1))
        found = timeliness(scheme=scheme, up_to_month=DEMO_MONTH)["qingshi"]
        self.assertEqual((found.late, found.on_time, found.due), ((2,), 9, 10))
        # A report never handed in is missing, not late, once its deadline has passed.
        reports.update(first_submitted_at=None)
        qingshi = timeliness(scheme=scheme, up_to_month=DEMO_MONTH, now=deadline + dt.timedelta(days=1))["qingshi"]
        self.assertEqual((qingshi.missing, qingshi.late, qingshi.on_time, qingshi.due), ((2,), (), 9, 10))
