"""Factories for the year's scheme, made through `schemes.services` (the engine's check and change log included).

scheme = SchemeFactory(year=2040)
gdp = IndicatorFactory(scheme=scheme, weight=Decimal(60))
TargetFactory(indicator=gdp, unit=town, amount=Decimal(100))
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from factory.base import Factory
from factory.declarations import LazyAttribute, LazyFunction, SelfAttribute, Sequence, SubFactory

from kaohe.org.tests.factories import DepartmentFactory
from kaohe.schemes import services
from kaohe.schemes.models import Category, Indicator, Scheme, Target
from kaohe.scoring import grade_rule_from_dict, rule_from_dict

if TYPE_CHECKING:
    from kaohe.accounts.models import User
    from kaohe.org.models import Department, Unit


class SchemeFactory(Factory[Scheme]):
    class Meta:
        model = Scheme

    year = Sequence(lambda n: 2100 + n)
    name = LazyAttribute(lambda o: f"{o.year}年度测试方案")

    @classmethod
    def _create(cls, model_class: type[Scheme], *args: Any, **kwargs: Any) -> Scheme:
        return services.scheme_create(by=None, **kwargs)


class CategoryFactory(Factory[Category]):
    class Meta:
        model = Category

    scheme = SubFactory(SchemeFactory)
    code = Sequence(lambda n: f"cat{n}")
    name = Sequence(lambda n: f"类别{n}")

    @classmethod
    def _create(cls, model_class: type[Category], *args: Any, **kwargs: Any) -> Category:
        return services.category_create(by=None, **kwargs)


class IndicatorFactory(Factory[Indicator]):
    """A cumulative, higher-is-better indicator in 万元 scored by completion × weight (ratio), weight 0."""

    class Meta:
        model = Indicator

    scheme = SubFactory(SchemeFactory)
    category = SubFactory(CategoryFactory, scheme=SelfAttribute("..scheme"))
    code = Sequence(lambda n: f"ind{n}")
    name = Sequence(lambda n: f"测试指标{n}")
    unit = "万元"
    kind = "cumulative"
    direction = "higher"
    owner = SubFactory(DepartmentFactory)
    source = "statistics"
    weight = Decimal(0)
    rule: Any = LazyFunction(lambda: {"family": "ratio", "cap": "1.2"})

    @classmethod
    def _create(cls, model_class: type[Indicator], *args: Any, scheme: Scheme, **kwargs: Any) -> Indicator:
        return services.indicator_create(scheme=scheme, by=None, **kwargs)


class TargetFactory(Factory[Target]):
    class Meta:
        model = Target

    amount = Decimal(100)

    @classmethod
    def _create(cls, model_class: type[Target], *args: Any, **kwargs: Any) -> Target:
        return services.target_set(by=None, **kwargs)


def small_scheme(
    year: int, *, units: Iterable[Unit], owner: Department, weights: tuple[int, ...] = (60, 40),
    publish_by: User | None = None,
) -> Scheme:  # fmt: skip
    """One category 经济发展 (jjfz), indicators ind0, ind1… (测试指标0…) of the given weights owned by `owner`,
    a target of 100·(i+1) for each of `units`; published by `publish_by` when given."""
    scheme = SchemeFactory.create(year=year)
    category = CategoryFactory.create(scheme=scheme, code="jjfz", name="经济发展")
    for i, weight in enumerate(weights):
        indicator = IndicatorFactory.create(
            scheme=scheme, category=category, code=f"ind{i}", name=f"测试指标{i}", owner=owner,
            weight=Decimal(weight), sort_order=i,
        )  # fmt: skip
        for unit in units:
            TargetFactory.create(indicator=indicator, unit=unit, amount=Decimal(100 * (i + 1)))
    return services.scheme_publish(scheme=scheme, by=publish_by) if publish_by else scheme


def published(scheme: Scheme) -> Scheme:
    """Publish the scheme as the district admin does (its weights, targets and the engine's check must hold)."""
    from kaohe.accounts.tests.factories import UserFactory

    return services.scheme_publish(scheme=scheme, by=UserFactory.create())


def scheme_fields(scheme: Scheme) -> dict[str, Any]:
    """Every field of every object of a scheme, references by code, rules as the engine reads them."""
    indicators = {}
    for ind in scheme.indicators.select_related("category", "owner", "part_of").prefetch_related("group_weights"):
        indicators[ind.code] = {
            "name": ind.name, "category": ind.category.code, "unit": ind.unit, "kind": ind.kind,
            "direction": ind.direction, "owner": ind.owner.code, "source": ind.source, "frequency": ind.frequency,
            "plan_curve": None if ind.plan_curve is None else [Decimal(str(x)) for x in ind.plan_curve],
            "interpolate_stages": ind.interpolate_stages, "counts_for_schedule": ind.counts_for_schedule,
            "stage_months": ind.stage_months,
            "rule": None if ind.rule is None else rule_from_dict(ind.rule), "weight": ind.weight,
            "part_of": ind.part_of.code if ind.part_of else None, "requires_evidence": ind.requires_evidence,
            "decimal_places": ind.decimal_places, "rate_places": ind.rate_places, "sort_order": ind.sort_order,
            "group_weights": {gw.group.code: gw.weight for gw in ind.group_weights.select_related("group")},
        }  # fmt: skip
    return {
        "name": scheme.name,
        "grade_rule": None if scheme.grade_rule is None else grade_rule_from_dict(scheme.grade_rule),
        "settings": (
            scheme.townships_see_published_scores,
            scheme.outlier_z,
            scheme.outlier_yoy,
            scheme.report_deadline_day,
        ),
        "categories": {c.code: (c.name, c.sort_order) for c in scheme.categories.all()},
        "indicators": indicators,
        "item_types": {
            t.code: (t.kind, t.name, t.points, t.cap, t.veto_effect, t.owner_id, t.from_timeliness)
            for t in scheme.item_types.all()
        },
    }
