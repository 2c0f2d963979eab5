"""模拟: a scenario of the year's scheme scored on the month's approved figures, beside the official board.

Four townships, two indicators (ind0 weight 60 on a target of 100, ind1 weight 40 on a target of 200), ratio rule
w × min(c, 1.2) with c = 1–6月累计 ÷ annual target. By hand, at month 6:

    unit  ind0  ind1   official 60·c0 + 40·c1     scenario (ind1 doubled to 80) 60·c0 + 80·c1
    t1     90   100    54 + 20 = 74  (rank 2)     54 + 40 =  94  (rank 3)   +20, −1 place
    t2     50   200    30 + 40 = 70  (rank 3)     30 + 80 = 110  (rank 2)   +40, +1 place
    t3     70   180    42 + 36 = 78  (rank 1)     42 + 72 = 114  (rank 1)   +36,  0 places
    t4     80     0    48 +  0 = 48  (rank 4)     48 +  0 =  48  (rank 4)   unchanged

t4's ind0 target was cut from 100 to 80 from month 9 by an approved adjustment: the scenario keeps that history, so at
month 6 t4 still scores on 100 under both.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment.selectors import compare, scoreboard
from kaohe.collection import services as collection
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory, owner_of
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org.models import Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory
from kaohe.schemes import selectors, services
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.schemes.tests.factories import small_scheme

OURS = ("t1", "t2", "t3", "t4")
FIGURES = {"t1": (90, 100), "t2": (50, 200), "t3": (70, 180), "t4": (80, 0)}


def totals(board: object) -> dict[str, tuple[Fraction, int]]:
    return {r.code: (r.result.total, r.result.rank) for r in board.rows if r.code in OURS}  # type: ignore[attr-defined]


class ScenarioTests(TestCase):
    admin: ClassVar[User]
    official: ClassVar[Scheme]
    units: ClassVar[list[Unit]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        reviewer = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        cls.units = [UnitFactory.create(code=code, name=f"{code}镇") for code in OURS]
        dept = DepartmentFactory.create(code="tj")
        cls.official = small_scheme(2090, units=cls.units, owner=dept, publish_by=cls.admin)
        for unit in cls.units:
            submission = SubmissionFactory.create(scheme=cls.official, unit=unit, month=6, owner=dept)
            officer = owner_of(submission)
            for ind, amount in zip(cls.official.indicators.order_by("code"), FIGURES[unit.code], strict=True):
                ValueFactory.create(submission=submission, indicator=ind, amount=Decimal(amount), by=officer)
            collection.submission_submit(submission=submission, by=officer)
            collection.submission_approve(submission=submission, by=reviewer)
        target = Target.objects.get(indicator__scheme=cls.official, indicator__code="ind0", unit__code="t4")
        asked = services.target_adjustment_request(
            target=target, effective_month=9, new_amount=Decimal(80), reason="区划调整", by=cls.admin
        )
        services.target_adjustment_decide(adjustment=asked, approve=True, by=reviewer)

    def scenario(self, name: str = "工业加权") -> Scheme:
        return services.scenario_create(source=self.official, name=name, by=self.admin)

    def test_a_fresh_scenario_scores_every_unit_as_the_official_scheme(self) -> None:
        result = compare(proposed=self.scenario(), figures=self.official, month=6)
        self.assertEqual(totals(result.official), {"t1": (74, 2), "t2": (70, 3), "t3": (78, 1), "t4": (48, 4)})
        self.assertEqual(totals(result.proposed), totals(result.official))
        self.assertEqual([c.code for c in result.changed], [])

    def test_doubling_a_weight_changes_what_the_hand_computation_says(self) -> None:
        scenario = self.scenario()
        ind1 = scenario.indicators.get(code="ind1")
        services.indicator_update(indicator=ind1, data={"weight": Decimal(80)}, by=self.admin)
        result = compare(proposed=scenario, figures=self.official, month=6)
        self.assertEqual(totals(result.proposed), {"t1": (94, 3), "t2": (110, 2), "t3": (114, 1), "t4": (48, 4)})
        changes = {c.code: (c.points, c.places) for c in result.changes if c.code in OURS}
        self.assertEqual(changes, {"t1": (20, -1), "t2": (40, 1), "t3": (36, 0), "t4": (0, 0)})
        self.assertEqual({c.code for c in result.changed} & set(OURS), {"t1", "t2", "t3"})
        moved = {c.code: [(m.code, m.points) for m in c.moved] for c in result.changes if c.code in OURS}
        self.assertEqual(moved, {"t1": [("ind1", 20)], "t2": [("ind1", 40)], "t3": [("ind1", 36)], "t4": []})

    def test_the_official_scheme_its_board_and_its_change_log_are_untouched(self) -> None:
        before = totals(scoreboard(scheme=self.official, month=6))
        official_objects = {("考核方案", str(self.official.pk))} | {
            ("指标", str(pk)) for pk in Indicator.objects.filter(scheme=self.official).values_list("pk", flat=True)
        }
        last = ChangeLog.objects.latest("id").pk
        scenario = self.scenario()
        services.indicator_update(indicator=scenario.indicators.get(code="ind1"), data={"weight": Decimal(80)},
                                  by=self.admin)  # fmt: skip
        t1 = Unit.objects.get(code="t1")
        services.target_set(indicator=scenario.indicators.get(code="ind0"), unit=t1, amount=Decimal(50), by=self.admin)
        self.assertEqual(totals(scoreboard(scheme=self.official, month=6)), before)
        self.assertEqual(self.official.indicators.get(code="ind1").weight, Decimal(40))
        self.assertEqual(Target.objects.get(indicator__scheme=self.official, indicator__code="ind0", unit=t1).amount,
                         Decimal(100))  # fmt: skip
        written = ChangeLog.objects.filter(pk__gt=last).values_list("object_type", "object_id")
        self.assertFalse(official_objects & {(t, i) for t, i in written})
        # Each of the scenario's 8 copied targets is logged, and so is t1's edited one.
        scenario_targets = {
            str(pk) for pk in Target.objects.filter(indicator__scheme=scenario).values_list("pk", flat=True)
        }
        logged = [i for t, i in written if t == "schemes.target"]
        self.assertEqual((len(logged), set(logged)), (9, scenario_targets))

    def test_a_year_keeps_one_official_scheme_and_scenarios_are_never_published(self) -> None:
        scenario = self.scenario()
        self.assertEqual(list(Scheme.objects.official().filter(year=2090)), [self.official])
        self.assertEqual(list(selectors.scenarios_of(2090)), [scenario])
        self.assertEqual(selectors.scheme_by_ref(scenario.ref), scenario)
        self.assertEqual(selectors.scheme_by_ref("2090"), self.official)
        self.assertEqual(selectors.figures_for(scenario), self.official)
        with self.assertRaises(ApplicationError) as raised:
            services.scheme_publish(scheme=scenario, by=self.admin)
        self.assertEqual(raised.exception.message, services.SCENARIO_NOT_PUBLISHED)
        with self.assertRaises(ValidationError) as taken:
            self.scenario()
        self.assertIn("该年度已有同名模拟方案。", str(taken.exception))
        with self.assertRaises(ValidationError):
            services.scheme_create(year=2090, name="又一个正式方案", by=self.admin)

    def test_next_years_draft_is_compared_on_this_years_figures_and_targets(self) -> None:
        made = services.scheme_copy(source=self.official, year=2091, by=self.admin).scheme
        services.indicator_update(indicator=made.indicators.get(code="ind1"), data={"weight": Decimal(80)},
                                  by=self.admin)  # fmt: skip
        self.assertEqual(selectors.figures_for(made), self.official)
        result = compare(proposed=made, figures=self.official, month=6)
        self.assertEqual(totals(result.proposed), {"t1": (94, 3), "t2": (110, 2), "t3": (114, 1), "t4": (48, 4)})

    def test_the_score_command_prints_the_comparison(self) -> None:
        scenario = self.scenario()
        services.indicator_update(indicator=scenario.indicators.get(code="ind1"), data={"weight": Decimal(80)},
                                  by=self.admin)  # fmt: skip
        out = io.StringIO()
        call_command("score", "--period", "2090-06", "--scenario", "工业加权", "--json", stdout=out)
        found = {u["code"]: u for u in json.loads(out.getvalue())["units"]}
        self.assertEqual(found["t2"]["total"], "110")
        self.assertEqual(found["t2"]["rank"], 2)
        self.assertEqual(found["t2"]["official"], {"total": "70", "rank": 3, "change": "40", "places": 1})
        text = io.StringIO()
        call_command("score", "--period", "2090-06", "--scenario", "工业加权", stdout=text)
        self.assertIn("t2镇", text.getvalue())
        self.assertIn("+40.00", text.getvalue())
