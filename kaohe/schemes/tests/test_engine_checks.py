"""The engine's whole-scheme check runs at every door: what the engine would refuse is never saved or published.

Each case used to be accepted by the form and the service and then made every page that scores fail. Each class
builds its own small world with the factories (through the services), for years no other test uses (2040+).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment import selectors
from kaohe.assessment.inputs import Mode, load
from kaohe.collection import services as collection
from kaohe.collection.models import Value
from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Unit
from kaohe.org.tests.factories import UnitFactory
from kaohe.schemes import services
from kaohe.schemes.choices import SchemeStatus
from kaohe.schemes.models import Category, Indicator, Scheme, Target
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory
from kaohe.scoring import Target as EngineTarget

D = Decimal
COMBO = {"family": "combo", "parts": [{"indicator": "ind0", "share": "0.5"}, {"indicator": "ind1", "share": "0.5"}]}


class SmallWorld(TestCase):
    """An admin, a leader, two townships, and a scheme with two cumulative indicators (ind0 60, ind1 40) whose
    targets are 100 and 200 for both townships."""

    year: ClassVar[int] = 2040
    admin: ClassVar[User]
    leader: ClassVar[User]
    towns: ClassVar[list[Unit]]
    scheme: ClassVar[Scheme]
    category: ClassVar[Category]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.leader = UserFactory.create(role=Role.DISTRICT_LEADER)
        cls.towns = [UnitFactory.create(name="青石测试镇"), UnitFactory.create(name="白沙测试镇")]
        cls.scheme = SchemeFactory.create(year=cls.year)
        cls.category = CategoryFactory.create(scheme=cls.scheme)
        for k, (weight, amount) in enumerate(((60, 100), (40, 200))):
            indicator = cls.indicator(code=f"ind{k}", name=f"测试指标{k}", weight=D(weight))
            for town in cls.towns:
                TargetFactory.create(indicator=indicator, unit=town, amount=D(amount))

    @classmethod
    def indicator(cls, **fields: Any) -> Indicator:
        return IndicatorFactory.create(scheme=cls.scheme, category=cls.category, **fields)

    def client_for(self, user: User) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client


class RuleThatDoesNotFitItsKind(SmallWorld):
    def test_a_combo_on_a_ratio_indicator_is_refused_on_create_naming_the_indicator(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            self.indicator(code="zh", name="招商综合", kind="ratio", rule=COMBO)
        self.assertEqual(
            ctx.exception.message_dict["rule"],
            ["引擎校验未通过，未保存：指标“招商综合”：比率/水平类指标不能用“组合完成率”计分"],
        )
        self.assertFalse(Indicator.objects.filter(scheme=self.scheme, code="zh").exists())

    def test_turning_a_combo_indicator_into_a_ratio_is_refused_and_nothing_changes(self) -> None:
        combo = self.indicator(code="zh", name="招商综合", rule=COMBO)
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_update(indicator=combo, data={"kind": "ratio", "name": "改名"}, by=self.admin)
        self.assertIn("比率/水平类指标不能用“组合完成率”计分", ctx.exception.message_dict["rule"][0])
        combo.refresh_from_db()
        self.assertEqual((combo.kind, combo.name), ("cumulative", "招商综合"))

    def test_a_part_turned_lower_is_better_is_refused_naming_the_combo_and_the_part(self) -> None:
        self.indicator(code="zh", name="招商综合", rule=COMBO)
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_update(
                indicator=self.scheme.indicators.get(code="ind1"), data={"direction": "lower"}, by=self.admin
            )
        message = ctx.exception.message_dict["rule"][0]
        self.assertIn("指标“测试指标1”", message)
        self.assertEqual(self.scheme.indicators.get(code="ind1").direction, "higher")

    def test_the_indicator_form_shows_the_refusal_next_to_the_rule(self) -> None:
        ind0 = self.scheme.indicators.get(code="ind0")
        data = {
            "code": "zh", "name": "招商综合", "category": ind0.category_id, "unit": "%", "kind": "ratio",
            "direction": "higher", "owner": ind0.owner_id, "source": "statistics", "frequency": "monthly",
            "weight": "0", "rule-family": "combo", "rule-basis": "annual", "rule-cap": "100", "rule-rows": "2",
            "rule-item-0-indicator": "ind0", "rule-item-0-share": "50", "rule-item-1-indicator": "ind1",
            "rule-item-1-share": "50", "counts_for_schedule": "on", "decimal_places": 2, "rate_places": 2,
            "sort_order": 0,
        }  # fmt: skip
        response = self.client_for(self.admin).post(reverse("schemes:indicator_create", args=[self.year]), data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-testid="rule-error">引擎校验未通过，未保存：指标“招商综合”')
        self.assertFalse(Indicator.objects.filter(scheme=self.scheme, code="zh").exists())

    def test_a_scheme_changed_outside_kaohe_is_not_published(self) -> None:
        combo = self.indicator(code="zh", name="招商综合", rule=COMBO)
        Indicator.objects.filter(pk=combo.pk).update(kind="ratio")  # as a hand-written SQL update would
        problems = services.scheme_problems(self.scheme)
        self.assertEqual(problems, ["引擎校验未通过：指标“招商综合”：比率/水平类指标不能用“组合完成率”计分"])
        with self.assertRaises(ApplicationError) as ctx:
            services.scheme_publish(scheme=self.scheme, by=self.admin)
        self.assertEqual(ctx.exception.extra["problems"], problems)
        self.scheme.refresh_from_db()
        self.assertEqual(self.scheme.status, SchemeStatus.DRAFT)


class StagedTargetsTheEngineRefuses(SmallWorld):
    year = 2041

    def test_stages_on_a_ratio_indicator_are_refused_and_the_target_is_not_saved(self) -> None:
        level = self.indicator(code="lv", name="研发投入强度", kind="ratio")
        town = self.towns[0]
        with self.assertRaises(ValidationError) as ctx:
            services.target_set(indicator=level, unit=town, amount=D("2.5"), stages={"6": "1"}, by=self.admin)
        self.assertEqual(
            ctx.exception.message_dict["amount"],
            [f"引擎校验未通过，未保存：单位“{town.name}”指标“研发投入强度”的目标：只有累计量和个数指标可设分期目标"],
        )
        self.assertFalse(Target.objects.filter(indicator=level).exists())


class AdjustmentsFromAnyMonth(SmallWorld):
    """An approved adjustment applies from its month on; 1月 replaces the year's target; later decisions win."""

    year = 2042
    unit: ClassVar[Unit]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.scheme = services.scheme_publish(scheme=cls.scheme, by=cls.admin)
        cls.unit = cls.towns[0]

    def adjust(self, month: int, amount: int) -> None:
        target = Target.objects.get(indicator__scheme=self.scheme, indicator__code="ind0", unit=self.unit)
        adjustment = services.target_adjustment_request(
            target=target, effective_month=month, new_amount=D(amount), reason="项目调整", by=self.admin
        )
        services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.leader)

    def engine_target(self) -> EngineTarget:
        return load(self.scheme).data.targets[(self.unit.code, "ind0")]

    def test_an_adjustment_from_january_replaces_the_years_target_and_the_board_scores(self) -> None:
        self.adjust(1, 150)
        self.assertEqual(self.engine_target(), EngineTarget(annual=D(150)))
        board = selectors.scoreboard(scheme=self.scheme, month=3)
        row = next(r for r in board.rows if r.code == self.unit.code)
        self.assertEqual(row.result.indicators[0].target, D(150))

    def test_a_later_decision_for_an_earlier_month_overrides_from_its_month_on(self) -> None:
        self.adjust(6, 120)
        self.adjust(3, 90)  # decided later, from March: March on is 90, June's 120 is overridden
        self.assertEqual(self.engine_target(), EngineTarget(annual=D(100), changes=((3, EngineTarget(D(90))),)))
        self.adjust(9, 130)
        self.assertEqual(
            self.engine_target(),
            EngineTarget(annual=D(100), changes=((3, EngineTarget(D(90))), (9, EngineTarget(D(130))))),
        )
        board = selectors.scoreboard(scheme=self.scheme, month=10)
        row = next(r for r in board.rows if r.code == self.unit.code)
        self.assertEqual(row.result.indicators[0].target, D(130))

    def test_the_grid_and_the_reference_load_agree_on_adjusted_targets(self) -> None:
        self.adjust(1, 150)
        self.adjust(4, 80)
        loaded = selectors.load_arrays(self.scheme, mode=Mode.OFFICIAL, month=12, months=(12,))
        arrays_target = loaded.arrays.to_data().targets[(self.unit.code, "ind0")]
        self.assertEqual(arrays_target, self.engine_target())
        self.assertEqual(arrays_target, EngineTarget(annual=D(150), changes=((4, EngineTarget(D(80))),)))


class GrowthTargets(SmallWorld):
    """A growth target may be 0 or negative (增速不低于-5%), as the engine scores it; other targets must be > 0."""

    year = 2043

    def test_a_negative_growth_target_is_kept_and_scored(self) -> None:
        growth = self.indicator(code="zs", name="规上工业增加值增速", unit="%", kind="growth",
                                rule={"family": "growth_vs_target"})  # fmt: skip
        town = self.towns[0]
        for amount in (D("-5"), D(0), D("7.5")):
            with self.subTest(amount=amount):
                target = services.target_set(indicator=growth, unit=town, amount=amount, by=self.admin)
                self.assertEqual(target.amount, amount)
                self.assertEqual(load(self.scheme).data.targets[(town.code, "zs")], EngineTarget(annual=amount))

    def test_a_zero_or_negative_amount_target_is_still_refused(self) -> None:
        ind0 = Indicator.objects.get(scheme=self.scheme, code="ind0")
        with self.assertRaises(ValidationError) as ctx:
            services.target_set(indicator=ind0, unit=self.towns[0], amount=D("-5"), by=self.admin)
        self.assertEqual(ctx.exception.message_dict["amount"], [services.TARGET_NOT_POSITIVE.format(amount=D("-5"))])


class FiguresTheEngineRefuses(SmallWorld):
    """A figure is checked by the engine as it is saved, against the township's target in force."""

    year = 2044

    def test_a_figure_a_million_times_its_target_is_refused_and_not_saved(self) -> None:
        scheme = services.scheme_publish(scheme=self.scheme, by=self.admin)
        ind0 = Indicator.objects.get(scheme=scheme, code="ind0")
        officer = UserFactory.create(role=Role.DEPT_OFFICER, department=ind0.owner)
        town = self.towns[0]
        submission = collection.submission_open(scheme=scheme, unit=town, month=3, owner=ind0.owner)
        with self.assertRaises(ValidationError) as ctx:
            collection.values_save(
                submission=submission, changes={"ind0": collection.Change(D("100000001"))}, by=officer,
                expected_version=submission.version,
            )  # fmt: skip
        message = ctx.exception.messages[0]
        self.assertTrue(
            message.startswith(f"引擎校验未通过，未保存：单位“{town.name}”指标“测试指标0”3月的数据"), message
        )
        self.assertIn("超过目标 100.0000 的10^6倍", message)
        self.assertFalse(Value.objects.filter(submission=submission).exists())
        saved = collection.values_save(
            submission=submission, changes={"ind0": collection.Change(D("30"))}, by=officer,
            expected_version=submission.version,
        )  # fmt: skip
        self.assertEqual(saved.values.get().amount, D(30))
