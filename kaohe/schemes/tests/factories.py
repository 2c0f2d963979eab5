"""Factories for the year's scheme, made through `schemes.services` (the engine's check and change log included).

scheme = SchemeFactory(year=2040)
gdp = IndicatorFactory(scheme=scheme, weight=Decimal(60))
TargetFactory(indicator=gdp, unit=town, amount=Decimal(100))
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from factory.base import Factory
from factory.declarations import LazyAttribute, LazyFunction, SelfAttribute, Sequence, SubFactory

from kaohe.org.tests.factories import DepartmentFactory
from kaohe.schemes import services
from kaohe.schemes.models import Category, Indicator, Scheme, Target


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
