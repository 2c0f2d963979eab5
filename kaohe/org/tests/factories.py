"""Factories for the org tree: groups, townships and villages, departments. Each row is made through the org
services, as the UI makes it (validation and change log included); codes are unique per factory sequence."""

from __future__ import annotations

from typing import Any

from factory.base import Factory
from factory.declarations import LazyFunction, Sequence, SubFactory

from kaohe.org import services
from kaohe.org.choices import UnitKind
from kaohe.org.models import Department, Unit, UnitGroup


class UnitGroupFactory(Factory[UnitGroup]):
    class Meta:
        model = UnitGroup

    code = Sequence(lambda n: f"grp{n}")
    name = Sequence(lambda n: f"测试分组{n}")

    @classmethod
    def _create(cls, model_class: type[UnitGroup], *args: Any, **kwargs: Any) -> UnitGroup:
        return services.group_create(by=None, **kwargs)


def the_district() -> Unit:
    """The district at the root of the tree: the one there is, or a new one."""
    found = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    return found or services.unit_create(code="district", name="测试区", kind=UnitKind.DISTRICT, by=None)


class UnitFactory(Factory[Unit]):
    """A township (镇) under the district by default; pass kind=UnitKind.VILLAGE and parent=… for a village."""

    class Meta:
        model = Unit

    code = Sequence(lambda n: f"town{n}")
    name = Sequence(lambda n: f"测试镇{n}")
    kind = UnitKind.TOWN
    parent = LazyFunction(the_district)
    group = SubFactory(UnitGroupFactory)
    sort_order = Sequence(lambda n: n)

    @classmethod
    def _create(cls, model_class: type[Unit], *args: Any, **kwargs: Any) -> Unit:
        return services.unit_create(by=None, **kwargs)


class DepartmentFactory(Factory[Department]):
    class Meta:
        model = Department

    code = Sequence(lambda n: f"dept{n}")
    name = Sequence(lambda n: f"测试局{n}")

    @classmethod
    def _create(cls, model_class: type[Department], *args: Any, **kwargs: Any) -> Department:
        return services.department_create(by=None, **kwargs)
