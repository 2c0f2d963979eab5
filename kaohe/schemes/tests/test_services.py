"""The scheme's services refuse every bad input with a Chinese message naming the field, and keep history.

Each class builds a small world of its own with factories (two townships of one group, a department, the accounts
it needs) and its own scheme for a year the demo does not use (2030+), through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit, UnitGroup
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory, UnitGroupFactory
from kaohe.schemes import services
from kaohe.schemes.choices import ItemKind, RequestStatus, SchemeStatus
from kaohe.schemes.models import Category, Indicator, Scheme, Target
from kaohe.schemes.tests.factories import small_scheme

YEAR = 2030


class SmallWorld(TestCase):
    admin: ClassVar[User]
    group: ClassVar[UnitGroup]
    own_unit: ClassVar[Unit]
    other_unit: ClassVar[Unit]
    stats: ClassVar[Department]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.group = UnitGroupFactory.create(name="测试工业组")
        cls.own_unit = UnitFactory.create(name="青石测试镇", group=cls.group)
        cls.other_unit = UnitFactory.create(name="白沙测试镇", group=cls.group)
        cls.stats = DepartmentFactory.create()

    @classmethod
    def build_scheme(
        cls, year: int, *, weights: tuple[int, ...] = (60, 40), publish: bool = False, targets: bool = True
    ) -> Scheme:
        """The small scheme of `small_scheme`, with targets for both townships unless told otherwise."""
        units = (cls.own_unit, cls.other_unit) if targets else ()
        return small_scheme(
            year, units=units, owner=cls.stats, weights=weights, publish_by=cls.admin if publish else None
        )

    def indicator_fields(self, scheme: Scheme, **overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "code": "new", "name": "新指标", "unit": "万元", "kind": "cumulative", "owner": self.stats,
            "source": "statistics", "category": scheme.categories.get(code="jjfz"), "weight": Decimal(0),
            "rule": {"family": "ratio"},
        }  # fmt: skip
        fields.update(overrides)
        return fields


# One bad rule per family, and the field the engine must name in its message.
BAD_RULES: list[tuple[dict[str, Any], str, str]] = [
    ({"family": "ratio", "cap": "0"}, "cap", "须大于0"),
    ({"family": "ratio", "cap": 1.2}, "cap", "不接受 JSON 浮点数"),
    ({"family": "combo", "parts": [{"indicator": "a", "share": "0.5"}]}, "parts", "share 之和须为1"),
    ({"family": "base_per_pp", "over_points": "-1"}, "over_points", "不能小于 0"),
    ({"family": "piecewise_pp", "segments": [{"from": "0.9", "to": "1.1", "per_pp": 1}]}, "segments[0].to", "跨越100%"),
    (
        {"family": "bands", "bands": [{"min": "0.5", "points": 50}, {"min": "0.8", "points": 75}]},
        "bands[1].min",
        "由高到低",
    ),
    ({"family": "efficacy", "low": 90, "high": 80}, "high", "须大于 low"),
    ({"family": "rank_points", "points": []}, "points", "非空列表"),
    ({"family": "share_of_total", "pool": "city"}, "pool", "group、all"),
    ({"family": "per_item"}, "points", "缺少此项"),
    ({"family": "per_event", "points": "-1"}, "points", "须大于0"),
    ({"family": "growth_vs_target", "max_penalty": "-1"}, "max_penalty", "不能小于 0"),
    ({"family": "linear"}, "family", "未知的计分方法"),
    ({"family": "ratio", "cape": "1.2"}, "cape", "未知字段"),
]


class SchemeDraftTests(SmallWorld):
    scheme: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.scheme = cls.build_scheme(YEAR, targets=False)

    def test_a_bad_rule_of_every_family_is_refused_naming_the_field(self) -> None:
        before = Indicator.objects.count()
        for rule, field, words in BAD_RULES:
            with self.subTest(rule=rule), self.assertRaises(ValidationError) as ctx:
                services.indicator_create(
                    scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme, rule=rule)
                )
            message = ctx.exception.message_dict["rule"][0]
            self.assertTrue(message.startswith("评分规则有误："), message)
            self.assertIn(f"{field}：", message)
            self.assertIn(words, message)
        self.assertEqual(Indicator.objects.count(), before)

    def test_a_bad_rule_on_update_leaves_the_stored_rule_alone(self) -> None:
        indicator = self.scheme.indicators.get(code="ind0")
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_update(
                indicator=indicator, data={"rule": {"family": "ratio", "cap": "0"}}, by=self.admin
            )
        self.assertIn("cap", ctx.exception.message_dict["rule"][0])
        indicator.refresh_from_db()
        self.assertEqual(indicator.rule, {"family": "ratio", "cap": "1.2"})

    def test_a_plan_curve_that_decreases_is_refused(self) -> None:
        curve = ["0.1", "0.2", "0.3", "0.25", "0.5", "0.6", "0.7", "0.8", "0.85", "0.9", "0.95", "1"]
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_create(
                scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme, plan_curve=curve)
            )
        message = ctx.exception.message_dict["plan_curve"][0]
        self.assertIn("plan_curve[3]", message)
        self.assertIn("不能下降", message)

    def test_a_plan_curve_that_does_not_end_at_one_is_refused(self) -> None:
        curve = [str(Decimal(m) / 20) for m in range(1, 13)]
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_create(
                scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme, plan_curve=curve)
            )
        self.assertIn("12月累计比例须为1", ctx.exception.message_dict["plan_curve"][0])

    def test_a_plan_curve_that_rises_to_one_is_kept(self) -> None:
        curve = ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "1"]
        indicator = services.indicator_create(
            scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme, plan_curve=curve)
        )
        self.assertEqual(indicator.plan_curve, curve)

    def test_a_negative_weight_is_refused(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            services.indicator_create(
                scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme, weight=Decimal("-5"))
            )
        self.assertIn("weight", ctx.exception.message_dict)

    def test_a_zero_or_negative_target_is_refused(self) -> None:
        indicator = self.scheme.indicators.get(code="ind0")
        for amount in (Decimal(0), Decimal("-10")):
            with self.subTest(amount=amount), self.assertRaises(ValidationError) as ctx:
                services.target_set(indicator=indicator, unit=self.own_unit, amount=amount, by=self.admin)
            self.assertEqual(ctx.exception.message_dict["amount"], [services.TARGET_NOT_POSITIVE.format(amount=amount)])
        self.assertFalse(Target.objects.filter(indicator=indicator).exists())

    def test_staged_targets_that_decrease_are_refused(self) -> None:
        indicator = self.scheme.indicators.get(code="ind0")
        with self.assertRaises(ValidationError) as ctx:
            services.target_set(
                indicator=indicator, unit=self.own_unit, amount=Decimal(100), stages={"3": "40", "6": "30"},
                by=self.admin,
            )  # fmt: skip
        self.assertIn("逐期不减", ctx.exception.message_dict["stages"][0])

    def test_staged_targets_above_the_annual_target_are_refused(self) -> None:
        indicator = self.scheme.indicators.get(code="ind0")
        with self.assertRaises(ValidationError) as ctx:
            services.target_set(
                indicator=indicator, unit=self.own_unit, amount=Decimal(100), stages={"9": "120"}, by=self.admin
            )
        self.assertIn("超过年度目标", ctx.exception.message_dict["stages"][0])

    def test_a_stretch_target_below_the_annual_target_is_refused(self) -> None:
        indicator = self.scheme.indicators.get(code="ind0")
        with self.assertRaises(ValidationError) as ctx:
            services.target_set(
                indicator=indicator, unit=self.own_unit, amount=Decimal(100), stretch=Decimal(90), by=self.admin
            )
        self.assertIn("stretch", ctx.exception.message_dict)

    def test_publishing_with_weights_not_summing_to_100_lists_the_problem_and_keeps_the_draft(self) -> None:
        scheme = self.build_scheme(YEAR + 1, weights=(60, 30))
        problems = services.scheme_problems(scheme)
        self.assertIn("测试工业组的指标分值合计为 90，应为满分 100（少10）。", problems)
        with self.assertRaises(ApplicationError) as ctx:
            services.scheme_publish(scheme=scheme, by=self.admin)
        self.assertEqual(ctx.exception.extra["problems"], problems)
        scheme.refresh_from_db()
        self.assertEqual(scheme.status, SchemeStatus.DRAFT)

    def test_a_group_weight_counts_instead_of_the_indicator_weight(self) -> None:
        scheme = self.build_scheme(YEAR + 1, weights=(60, 40))
        services.group_weight_set(
            indicator=scheme.indicators.get(code="ind0"), group_id=self.group.pk, weight=Decimal(50), by=self.admin
        )
        self.assertEqual(services.scheme_problems(scheme), ["测试工业组的指标分值合计为 90，应为满分 100（少10）。"])

    def test_an_indicator_needing_targets_without_any_is_a_problem(self) -> None:
        self.assertIn("指标“测试指标0”需要目标值，但尚未给任何乡镇下达目标。", services.scheme_problems(self.scheme))

    def test_an_adjustment_on_a_draft_scheme_is_refused(self) -> None:
        target = services.target_set(
            indicator=self.scheme.indicators.get(code="ind0"), unit=self.own_unit, amount=Decimal(100), by=self.admin
        )
        with self.assertRaises(ApplicationError) as ctx:
            services.target_adjustment_request(
                target=target, effective_month=6, new_amount=Decimal(90), reason="受灾", by=self.admin
            )
        self.assertEqual(ctx.exception.message, services.SCHEME_NOT_PUBLISHED.format(year=YEAR))

    def test_indicator_save_sets_and_removes_group_weights(self) -> None:
        indicator = services.indicator_save(
            scheme=self.scheme,
            data=self.indicator_fields(self.scheme),
            group_weights={self.group.pk: Decimal(7)},
            by=self.admin,
        )
        self.assertEqual(indicator.group_weights.get().weight, Decimal(7))
        services.indicator_save(
            scheme=self.scheme, indicator=indicator, data=self.indicator_fields(self.scheme, name="改名"),
            group_weights={self.group.pk: None}, by=self.admin,
        )  # fmt: skip
        indicator.refresh_from_db()
        self.assertEqual(indicator.name, "改名")
        self.assertFalse(indicator.group_weights.exists())

    def test_indicator_save_is_all_or_nothing(self) -> None:
        with self.assertRaises(ValidationError):
            services.indicator_save(
                scheme=self.scheme, data=self.indicator_fields(self.scheme), group_weights={self.group.pk: Decimal(-1)},
                by=self.admin,
            )  # fmt: skip
        self.assertFalse(self.scheme.indicators.filter(code="new").exists())


class TargetsBulkSetTests(SmallWorld):
    scheme: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.scheme = cls.build_scheme(YEAR)

    def test_one_bad_cell_saves_nothing_and_every_bad_cell_is_named(self) -> None:
        ind0, ind1 = self.scheme.indicators.order_by("code")
        cells = [
            services.TargetCell(self.own_unit, ind0, Decimal(150)),
            services.TargetCell(self.other_unit, ind0, Decimal(0)),
            services.TargetCell(self.own_unit, ind1, Decimal(300), stages={"6": "400"}),
        ]
        logs = ChangeLog.objects.count()
        with self.assertRaises(ApplicationError) as ctx:
            services.targets_bulk_set(scheme=self.scheme, cells=cells, by=self.admin)
        errors = [str(e) for e in ctx.exception.extra["errors"]]
        self.assertEqual(len(errors), 2)
        self.assertTrue(errors[0].startswith("白沙测试镇 · 测试指标0：目标值须大于0"), errors[0])
        self.assertTrue(errors[1].startswith("青石测试镇 · 测试指标1：6月的分期目标"), errors[1])
        self.assertEqual(Target.objects.get(indicator=ind0, unit=self.own_unit).amount, Decimal(100))
        self.assertEqual(ChangeLog.objects.count(), logs)

    def test_good_cells_are_saved_and_an_empty_amount_removes_the_target(self) -> None:
        ind0, ind1 = self.scheme.indicators.order_by("code")
        cells = [
            services.TargetCell(self.own_unit, ind0, Decimal(150), Decimal(180), {"3": "30", "9": "120"}),
            services.TargetCell(self.other_unit, ind1, None),
        ]
        self.assertEqual(services.targets_bulk_set(scheme=self.scheme, cells=cells, by=self.admin), 2)
        target = Target.objects.get(indicator=ind0, unit=self.own_unit)
        self.assertEqual((target.amount, target.stretch, target.stages), (150, 180, {"3": "30", "9": "120"}))
        self.assertFalse(Target.objects.filter(indicator=ind1, unit=self.other_unit).exists())

    def test_a_published_scheme_refuses_the_matrix(self) -> None:
        scheme = self.build_scheme(YEAR + 1, publish=True)
        cell = services.TargetCell(self.own_unit, scheme.indicators.first(), Decimal(5))  # type: ignore[arg-type]
        with self.assertRaises(ApplicationError):
            services.targets_bulk_set(scheme=scheme, cells=[cell], by=self.admin)


class PublishedSchemeTests(SmallWorld):
    scheme: ClassVar[Scheme]
    target: ClassVar[Target]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.scheme = cls.build_scheme(YEAR, publish=True)
        cls.target = Target.objects.get(indicator__scheme=cls.scheme, indicator__code="ind0", unit=cls.own_unit)

    def frozen(self) -> str:
        return services.SCHEME_FROZEN.format(year=YEAR)

    def test_publishing_records_who_and_when(self) -> None:
        self.assertEqual(self.scheme.status, SchemeStatus.PUBLISHED)
        self.assertEqual(self.scheme.published_by, self.admin)
        self.assertTrue(ChangeLog.objects.filter(object_type="schemes.scheme", object_id=str(self.scheme.pk)).exists())

    def test_every_edit_of_a_published_scheme_is_refused(self) -> None:
        indicator = self.target.indicator
        group = self.group
        attempts: dict[str, Callable[[], object]] = {
            "category": lambda: services.category_create(scheme=self.scheme, code="x", name="x", by=self.admin),
            "indicator": lambda: services.indicator_create(
                scheme=self.scheme, by=self.admin, **self.indicator_fields(self.scheme)
            ),
            "update": lambda: services.indicator_update(indicator=indicator, data={"name": "x"}, by=self.admin),
            "weight": lambda: services.group_weight_set(
                indicator=indicator, group_id=group.pk, weight=Decimal(1), by=self.admin
            ),
            "target": lambda: services.target_set(
                indicator=indicator, unit=self.own_unit, amount=Decimal(1), by=self.admin
            ),
            "remove": lambda: services.target_remove(target=self.target, by=self.admin),
            "publish": lambda: services.scheme_publish(scheme=self.scheme, by=self.admin),
        }
        for name, attempt in attempts.items():
            with self.subTest(name), self.assertRaises(ApplicationError) as ctx:
                attempt()
            self.assertEqual(ctx.exception.message, self.frozen())
        self.target.refresh_from_db()
        self.assertEqual(self.target.amount, Decimal(100))

    def request(self, **kwargs: Any) -> Any:
        data: dict[str, Any] = {"effective_month": 7, "new_amount": Decimal(80), "reason": "受洪灾影响，企业停产"}
        data.update(kwargs)
        return services.target_adjustment_request(
            target=self.target, by=UserFactory.create(role=Role.TOWNSHIP_LEADER, unit=self.own_unit), **data
        )

    def test_an_approved_adjustment_changes_the_target_and_keeps_old_and_new(self) -> None:
        adjustment = self.request(new_stages={"6": "40"})
        self.assertEqual((adjustment.old_amount, adjustment.new_amount), (Decimal(100), Decimal(80)))
        self.target.refresh_from_db()
        self.assertEqual(self.target.amount, Decimal(100))  # nothing changes before approval

        services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.admin, note="同意")
        self.target.refresh_from_db()
        adjustment.refresh_from_db()
        self.assertEqual((self.target.amount, self.target.stages, self.target.version), (80, {"6": "40"}, 2))
        self.assertEqual(adjustment.status, RequestStatus.APPROVED)
        self.assertEqual((adjustment.old_amount, adjustment.old_stages), (Decimal(100), {}))
        self.assertEqual((adjustment.decided_by, adjustment.decision_note), (self.admin, "同意"))
        log = ChangeLog.objects.filter(object_type="schemes.target", object_id=str(self.target.pk)).latest("id")
        self.assertEqual(log.before, {"amount": "100.0000", "stages": {}})
        self.assertEqual(log.after, {"amount": "80.0000", "stages": {"6": "40"}})
        self.assertIn("7月起", log.reason)
        self.assertEqual(log.actor, self.admin)

    def test_a_rejection_needs_a_note_and_leaves_the_target(self) -> None:
        adjustment = self.request()
        with self.assertRaises(ValidationError) as ctx:
            services.target_adjustment_decide(adjustment=adjustment, approve=False, by=self.admin, note="  ")
        self.assertIn("decision_note", ctx.exception.message_dict)
        services.target_adjustment_decide(adjustment=adjustment, approve=False, by=self.admin, note="依据不足")
        adjustment.refresh_from_db()
        self.target.refresh_from_db()
        self.assertEqual((adjustment.status, adjustment.decision_note), (RequestStatus.REJECTED, "依据不足"))
        self.assertEqual(self.target.amount, Decimal(100))

    def test_deciding_twice_is_refused(self) -> None:
        adjustment = self.request()
        services.target_adjustment_decide(adjustment=adjustment, approve=True, by=self.admin)
        for approve in (True, False):
            with self.subTest(approve=approve), self.assertRaises(ApplicationError) as ctx:
                services.target_adjustment_decide(adjustment=adjustment, approve=approve, by=self.admin, note="再次")
            self.assertEqual(ctx.exception.message, services.ADJUSTMENT_DECIDED)
        self.target.refresh_from_db()
        self.assertEqual(self.target.version, 2)

    def test_an_adjustment_needs_a_reason_and_a_valid_new_target(self) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"reason": " "}, "reason"),
            ({"new_amount": Decimal(0)}, "amount"),
            ({"new_stages": {"3": "90", "6": "50"}}, "stages"),
            ({"new_stages": {"9": "81"}}, "stages"),
            ({"effective_month": 13}, "effective_month"),
        ]
        for kwargs, field in cases:
            with self.subTest(kwargs), self.assertRaises(ValidationError) as ctx:
                self.request(**kwargs)
            self.assertIn(field, ctx.exception.message_dict)
        self.assertFalse(self.target.adjustments.exists())

    def test_an_item_record_is_proposed_and_decided_once(self) -> None:
        item_type = services.item_type_create(
            scheme=self.build_scheme(YEAR + 1), by=self.admin, kind=ItemKind.BONUS, code="zs", name="招商加分",
            points=Decimal(2), cap=Decimal(6),
        )  # fmt: skip
        record = services.item_record_propose(
            item_type=item_type,
            unit=self.own_unit,
            month=5,
            reason="引进亿元项目",
            by=UserFactory.create(role=Role.DEPT_OFFICER, department=self.stats),
        )
        self.assertEqual((record.points, record.status), (Decimal(2), RequestStatus.PENDING))
        services.item_record_decide(record=record, approve=True, by=self.admin)
        with self.assertRaises(ApplicationError):
            services.item_record_decide(record=record, approve=False, by=self.admin, note="撤回")


class CategoryTests(SmallWorld):
    def test_a_category_code_is_unique_within_its_scheme(self) -> None:
        scheme = self.build_scheme(YEAR, targets=False)
        with self.assertRaises(ValidationError):
            services.category_create(scheme=scheme, code="jjfz", name="重复", by=self.admin)
        self.assertEqual(Category.objects.filter(scheme=scheme).count(), 1)
