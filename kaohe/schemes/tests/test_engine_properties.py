"""Whatever the services accept, the engine scores.

Hypothesis draws a scheme the way an admin could type it — indicators of any kind with rules of any family (often
one that does not fit the kind), combos over them, weights, targets with and without stages (some zero, negative,
too precise or far too large), an indicator's kind changed afterwards, publication, and approved adjustments from
any month — and drives each step through the services the forms and the imports call. Steps may be refused; what
is accepted must then score without a single engine error, on the board, the grid and the reference engine.
"""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from kaohe.accounts.models import User
from kaohe.assessment import selectors
from kaohe.assessment.inputs import load
from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Department, Unit
from kaohe.schemes import services
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.scoring import Kind, score_year
from kaohe.scoring.tests.randomized import _rule
from kaohe.test import WorldTestCase

YEAR = 2060
KINDS = [k.value for k in Kind]
AMOUNTS = st.sampled_from(
    ["100", "2500.5", "0.0001", "12.123456", "0", "-5", "8.5", "1" + "0" * 15, "3", "72.5", "1000000", "40", "7"]
)
REFUSED = (ValidationError, ApplicationError)


@st.composite
def indicator_specs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    rule_kind = draw(st.sampled_from([kind] * len(KINDS) + KINDS))  # mostly the indicator's own kind, often not
    return {
        "kind": kind,
        "direction": draw(st.sampled_from(["higher", "lower"])),
        "rule_for": (Kind(rule_kind), draw(st.booleans())),
        "rule_seed": draw(st.integers(0, 10**6)),
        "combo": draw(st.booleans()),
        "weight": draw(st.sampled_from(["10", "20", "25", "0", "12.5"])),
        "plan": draw(st.sampled_from([None, None, ["0.05"] * 11 + ["1"], ["0.1"] * 3 + ["0.5"] * 8 + ["1"]])),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "indicators": draw(st.lists(indicator_specs(), min_size=1, max_size=3)),
        "targets": draw(
            st.lists(
                st.tuples(AMOUNTS, st.sampled_from([None, {"6": "0.5"}, {"3": "1", "12": "2"}])), min_size=6, max_size=6
            )
        ),
        "retype": draw(st.none() | st.tuples(st.integers(0, 2), st.sampled_from(KINDS))),
        "publish": draw(st.booleans()),
        "adjustments": draw(st.lists(st.tuples(st.integers(1, 12), AMOUNTS), max_size=3)),
    }


class AcceptedMeansScored(HypothesisTestCase, WorldTestCase):
    admin: ClassVar[User]
    leader: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.admin = cls.users["district_admin"]
        cls.leader = cls.users["district_leader"]

    def build(self, scenario: dict[str, Any]) -> Scheme:
        scheme = services.scheme_create(year=YEAR, name="随机方案", by=self.admin)
        category = services.category_create(scheme=scheme, code="c", name="类别", by=self.admin)
        owner = Department.objects.get(code="tongji")
        made: list[Indicator] = []
        for k, spec in enumerate(scenario["indicators"]):
            if spec["combo"] and len(made) >= 2:
                parts = [{"indicator": made[0].code, "share": "0.5"}, {"indicator": made[1].code, "share": "0.5"}]
                rule: dict[str, Any] | None = {"family": "combo", "cap": "1.2", "parts": parts}
            else:
                rule = _rule(random.Random(spec["rule_seed"]), *spec["rule_for"])
            fields = {
                "code": f"i{k}", "name": f"指标{k}", "unit": "万元", "kind": spec["kind"], "owner": owner,
                "direction": spec["direction"], "source": "statistics", "category": category,
                "weight": Decimal(spec["weight"]), "rule": rule, "plan_curve": spec["plan"],
            }  # fmt: skip
            with contextlib.suppress(*REFUSED):
                made.append(services.indicator_create(scheme=scheme, by=self.admin, **fields))
        units = list(Unit.objects.assessed().order_by("code")[:2])
        for ind, unit, (amount, stages) in zip(
            [i for i in made for _ in units], units * len(made), scenario["targets"], strict=False
        ):
            annual = Decimal(amount)
            staged = {"6": str((annual / 2).quantize(Decimal("0.0001")))} if stages == "half" else None
            if stages == "bad":
                staged = {"3": "1", "12": "2"}  # fits only an annual target of 2
            with contextlib.suppress(*REFUSED):  # one cell at a time, as the target page saves them
                services.target_set(indicator=ind, unit=unit, amount=annual, stages=staged, by=self.admin)
        if scenario["retype"] is not None and made:
            which, kind = scenario["retype"]
            with contextlib.suppress(*REFUSED):
                services.indicator_update(indicator=made[which % len(made)], data={"kind": kind}, by=self.admin)
        total = sum((i.weight for i in Indicator.objects.filter(scheme=scheme)), Decimal(0))
        if total <= 100:
            services.indicator_create(
                scheme=scheme, by=self.admin, code="fill", name="补足分值", unit="万元", kind="cumulative",
                owner=owner, source="statistics", category=category, weight=100 - total, rule=None,
            )  # fmt: skip
        if scenario["publish"]:
            with contextlib.suppress(*REFUSED):
                scheme = services.scheme_publish(scheme=scheme, by=self.admin)
        if scheme.is_published:
            for month, amount in scenario["adjustments"]:
                target = Target.objects.filter(indicator__scheme=scheme).order_by("pk").first()
                if target is None:
                    break
                try:
                    adjustment = services.target_adjustment_request(
                        target=target, effective_month=month, new_amount=Decimal(amount), reason="调整", by=self.admin
                    )
                    services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.leader)
                except REFUSED:
                    pass
        return scheme

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def test_whatever_is_accepted_is_scored(self, scenario: dict[str, Any]) -> None:
        scheme = self.build(scenario)
        inputs = load(scheme)
        result = score_year(inputs.engine_scheme, inputs.data, through=12)  # the reference path, whole year
        self.assertEqual(result.months, tuple(range(1, 13)))
        if scheme.is_published:
            board = selectors.scoreboard(scheme=scheme, month=12)
            self.assertEqual(len(board.rows), Unit.objects.assessed().count())
            grid = selectors.grid(scheme=scheme, month=1)
            self.assertEqual(grid.month, 1)
