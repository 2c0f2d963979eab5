"""While a scheme is a draft anything in it can be deleted; once published, nothing (only adjustments change it)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory, UnitGroupFactory
from kaohe.schemes import services
from kaohe.schemes.models import Category, Indicator, ItemType, Target

from .factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published


class DraftDeletes(TestCase):
    def setUp(self) -> None:
        self.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        self.town = UnitFactory.create()
        self.dept = DepartmentFactory.create()
        self.scheme = SchemeFactory.create(year=2081)
        self.category = CategoryFactory.create(scheme=self.scheme)

    def indicator(self, code: str, **kw: object) -> Indicator:
        kw.setdefault("weight", Decimal(50))
        return IndicatorFactory.create(scheme=self.scheme, category=self.category, code=code, owner=self.dept, **kw)

    def test_a_drafts_indicator_is_deleted_with_its_targets_and_logged(self) -> None:
        gdp = self.indicator("gdp")
        TargetFactory.create(indicator=gdp, unit=self.town, amount=Decimal(100))
        services.indicator_delete(indicator=gdp, by=self.admin, reason="并入其他指标")
        self.assertFalse(Indicator.objects.filter(code="gdp").exists())
        self.assertFalse(Target.objects.filter(indicator_id=gdp.pk).exists())
        log = ChangeLog.objects.get(action=ChangeAction.DELETE, object_type="schemes.indicator")
        before = log.before or {}
        self.assertEqual((before["code"], before["targets"], log.reason), ("gdp", 1, "并入其他指标"))

    def test_a_published_schemes_indicator_cannot_be_deleted(self) -> None:
        gdp, other = self.indicator("gdp"), self.indicator("tax")
        for ind in (gdp, other):
            TargetFactory.create(indicator=ind, unit=self.town, amount=Decimal(100))
        published(self.scheme)
        gdp.refresh_from_db()
        with self.assertRaisesMessage(ApplicationError, "已发布"):
            services.indicator_delete(indicator=gdp, by=self.admin)
        self.assertTrue(Indicator.objects.filter(pk=gdp.pk).exists())

    def test_an_indicator_with_reported_figures_stays_after_the_scheme_is_returned(self) -> None:
        gdp, other = self.indicator("gdp", source="self"), self.indicator("tax")
        for ind in (gdp, other):
            TargetFactory.create(indicator=ind, unit=self.town, amount=Decimal(100))
        scheme = published(self.scheme)
        ValueFactory.create(submission=SubmissionFactory.create(scheme=scheme, unit=self.town), indicator=gdp,
                            amount=Decimal(5))  # fmt: skip
        services.scheme_return(scheme=scheme, reason="调整指标", by=self.admin)
        gdp.refresh_from_db()
        with self.assertRaisesMessage(ApplicationError, "已有 1 条填报数据"):
            services.indicator_delete(indicator=gdp, by=self.admin)

    def test_a_total_with_parts_and_a_combos_part_are_refused(self) -> None:
        total = self.indicator("tz", rule=None)
        self.indicator("gytz", part_of=total, rule=None)
        with self.assertRaisesMessage(ApplicationError, "属于指标"):
            services.indicator_delete(indicator=total, by=self.admin)
        part = self.indicator("qys", rule=None)
        self.indicator("hz", rule={"family": "combo", "parts": [{"indicator": "qys", "share": "1"}]})
        with self.assertRaisesMessage(ValidationError, "不存在的指标 qys"):
            services.indicator_delete(indicator=part, by=self.admin)
        self.assertTrue(Indicator.objects.filter(code="qys").exists())

    def test_categories_and_item_types_are_deleted_unless_in_use(self) -> None:
        self.indicator("gdp")
        with self.assertRaisesMessage(ApplicationError, "还有 1 个指标"):
            services.category_delete(category=self.category, by=self.admin)
        empty = CategoryFactory.create(scheme=self.scheme)
        services.category_delete(category=empty, by=self.admin)
        self.assertFalse(Category.objects.filter(pk=empty.pk).exists())
        item = services.item_type_create(scheme=self.scheme, by=None, kind="bonus", code="zs", name="招商", points=1)
        services.item_type_delete(item_type=item, by=self.admin)
        self.assertFalse(ItemType.objects.filter(pk=item.pk).exists())

    def test_the_scheme_page_deletes_and_says_why_it_did_not(self) -> None:
        gdp = self.indicator("gdp")
        client = self.client
        client.force_login(self.admin)
        page = client.get(reverse("schemes:detail", args=[2081]))
        self.assertContains(page, reverse("schemes:indicator_delete", args=[gdp.pk]))
        refused = client.post(reverse("schemes:category_delete", args=[2081, self.category.code]), follow=True)
        self.assertContains(refused, "未删除类别")
        self.assertEqual(client.get(reverse("schemes:indicator_delete", args=[gdp.pk])).status_code, 405)
        done = client.post(reverse("schemes:indicator_delete", args=[gdp.pk]), follow=True)
        self.assertContains(done, "已删除指标")
        self.assertFalse(Indicator.objects.filter(pk=gdp.pk).exists())


class DraftEdits(TestCase):
    """The scheme page edits a draft's name, grade rule and settings, its categories and its items."""

    def setUp(self) -> None:
        self.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        self.scheme = SchemeFactory.create(year=2082, name="旧名称")
        self.category = CategoryFactory.create(scheme=self.scheme, code="jj", name="经济")
        self.item = services.item_type_create(
            scheme=self.scheme, by=None, kind="bonus", code="zs", name="招商", points=1
        )
        self.client.force_login(self.admin)

    def test_name_grade_rule_and_settings(self) -> None:
        url = reverse("schemes:edit", args=[2082])
        self.assertContains(self.client.get(url), "旧名称")
        data = {
            "name": "2082年度方案", "total_points": "100", "report_deadline_day": 8, "outlier_z": "2.5",
            "outlier_yoy": "3",
            "grade-method": "bands", "grade-rows": 1, "grade-item-0-grade": "优秀", "grade-item-0-min": "90",
            "grade-else": "合格",
        }  # fmt: skip
        self.assertRedirects(self.client.post(url, data), reverse("schemes:detail", args=[2082]))
        self.scheme.refresh_from_db()
        self.assertEqual((self.scheme.name, self.scheme.report_deadline_day), ("2082年度方案", 8))
        self.assertFalse(self.scheme.townships_see_published_scores)
        self.assertEqual((self.scheme.grade_rule or {})["bands"], [{"min": "90", "grade": "优秀"}])
        bad = self.client.post(url, {**data, "grade-item-0-grade": "", "grade-item-0-min": "", "grade-else": "合格"})
        self.assertContains(bad, "等次规则有误")
        log = ChangeLog.objects.filter(action=ChangeAction.UPDATE, object_type="schemes.scheme").latest("pk")
        self.assertEqual((log.before or {}).get("name"), "旧名称")

    def test_a_category_and_an_item(self) -> None:
        url = reverse("schemes:category_edit", args=[2082, "jj"])
        self.client.post(url, {"name": "经济发展", "sort_order": 3})
        self.category.refresh_from_db()
        self.assertEqual((self.category.name, self.category.sort_order), ("经济发展", 3))
        url = reverse("schemes:item_type_edit", args=[2082, "zs"])
        self.assertContains(self.client.get(url), "招商")
        self.client.post(url, {"kind": "bonus", "name": "招商引资加分", "points": "2", "cap": "6"})
        self.item.refresh_from_db()
        self.assertEqual((self.item.name, self.item.points, self.item.cap), ("招商引资加分", 2, 6))
        veto = self.client.post(url, {"kind": "veto", "name": "否决"})
        self.assertContains(veto, "须指定否决后果")

    def test_a_published_scheme_is_not_edited(self) -> None:
        gdp = IndicatorFactory.create(scheme=self.scheme, category=self.category, weight=Decimal(100))
        TargetFactory.create(indicator=gdp, unit=UnitFactory.create(), amount=Decimal(10))
        published(self.scheme)
        url = reverse("schemes:category_edit", args=[2082, "jj"])
        response = self.client.post(url, {"name": "x", "sort_order": 0}, follow=True)
        self.assertContains(response, "已发布")
        self.category.refresh_from_db()
        self.assertEqual(self.category.name, "经济")


class PointTotal(TestCase):
    """The scheme sets its own point total; every group's weights must add up to it."""

    def setUp(self) -> None:
        self.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        self.scheme = SchemeFactory.create(year=2083)
        services.scheme_update(scheme=self.scheme, data={"total_points": Decimal(3)}, by=self.admin)
        category = CategoryFactory.create(scheme=self.scheme)
        self.group = UnitGroupFactory.create()
        town = UnitFactory.create(group=self.group)
        self.indicators = [
            IndicatorFactory.create(scheme=self.scheme, category=category, weight=Decimal("1.5")) for _ in range(2)
        ]
        for ind in self.indicators:
            TargetFactory.create(indicator=ind, unit=town, amount=Decimal(10))

    def test_a_sub_assessment_worth_3_points_publishes(self) -> None:
        self.assertEqual(services.scheme_problems(self.scheme), [])
        services.scheme_publish(scheme=self.scheme, by=self.admin)
        self.assertTrue(self.scheme.__class__.objects.get(pk=self.scheme.pk).is_published)

    def test_a_group_short_of_the_total_is_named_with_the_difference(self) -> None:
        services.group_weight_set(indicator=self.indicators[1], group_id=self.group.pk, weight=Decimal("1.4"), by=None)
        self.assertEqual(
            services.scheme_problems(self.scheme), [f"{self.group.name}的指标分值合计为 2.9，应为满分 3（少0.1）。"]
        )
        with self.assertRaisesMessage(ApplicationError, f"{self.group.name}的指标分值合计为 2.9"):
            services.scheme_publish(scheme=self.scheme, by=self.admin)
