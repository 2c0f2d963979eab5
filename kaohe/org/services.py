"""Writes of the org tree. Codes are stable identifiers and are validated here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from kaohe.core.choices import ChangeAction
from kaohe.core.services import changelog_record, snapshot

from .models import Department, Unit, UnitGroup

if TYPE_CHECKING:
    from kaohe.accounts.models import User

UNIT_FIELDS = ("code", "name", "kind", "parent", "group", "is_assessed", "sort_order")


@transaction.atomic
def group_create(*, code: str, name: str, by: User | None, description: str = "", sort_order: int = 0) -> UnitGroup:
    group = UnitGroup(code=code, name=name, description=description, sort_order=sort_order)
    group.full_clean()
    group.save()
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=group, after=snapshot(group, ("code", "name", "description"))
    )
    return group


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    by: User | None,
    parent: Unit | None = None,
    group: UnitGroup | None = None,
    is_assessed: bool = True,
    sort_order: int = 0,
) -> Unit:
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, group=group, is_assessed=is_assessed, sort_order=sort_order
    )
    unit.full_clean()
    unit.save()
    changelog_record(action=ChangeAction.CREATE, by=by, obj=unit, after=snapshot(unit, UNIT_FIELDS))
    return unit


@transaction.atomic
def department_create(
    *, code: str, name: str, by: User | None, short_name: str = "", sort_order: int = 0
) -> Department:
    department = Department(code=code, name=name, short_name=short_name, sort_order=sort_order)
    department.full_clean()
    department.save()
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=department, after=snapshot(department, ("code", "name", "short_name"))
    )
    return department
