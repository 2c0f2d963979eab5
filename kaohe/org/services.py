"""Writes of the org tree. Codes are stable identifiers and are validated here; the org ledger
(`kaohe.org.ledgers`) creates and changes rows through these same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kaohe.core.choices import ChangeAction
from kaohe.core.services import changelog_record, model_update, snapshot

from .models import ALLOWED_PARENT_KIND, Department, Unit, UnitGroup

if TYPE_CHECKING:
    from kaohe.accounts.models import User

UNIT_FIELDS = ("code", "name", "kind", "parent", "group", "is_assessed", "sort_order")
GROUP_FIELDS = ("code", "name", "description", "sort_order")
DEPARTMENT_FIELDS = ("code", "name", "short_name", "sort_order")
CODE_IS_STABLE = "编码是稳定标识，创建后不能修改。"


@transaction.atomic
def group_create(
    *, code: str, name: str, by: User | None, description: str = "", sort_order: int = 0, reason: str = ""
) -> UnitGroup:
    group = UnitGroup(code=code, name=name, description=description, sort_order=sort_order)
    group.full_clean()
    group.save()
    changelog_record(action=ChangeAction.CREATE, by=by, obj=group, after=snapshot(group, GROUP_FIELDS), reason=reason)
    return group


def _stable_code(instance: Unit | UnitGroup | Department, data: Mapping[str, Any]) -> None:
    if "code" in data and data["code"] != instance.code:
        raise ValidationError({"code": CODE_IS_STABLE})


@transaction.atomic
def group_update(*, group: UnitGroup, data: Mapping[str, Any], by: User, reason: str = "") -> UnitGroup:
    _stable_code(group, data)
    model_update(instance=group, data={k: data[k] for k in GROUP_FIELDS if k in data}, by=by, reason=reason)
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
    reason: str = "",
) -> Unit:
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, group=group, is_assessed=is_assessed, sort_order=sort_order
    )
    unit.full_clean()
    unit.save()
    changelog_record(action=ChangeAction.CREATE, by=by, obj=unit, after=snapshot(unit, UNIT_FIELDS), reason=reason)
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, data: Mapping[str, Any], by: User, reason: str = "") -> Unit:
    """Rename, move (another parent or group), re-kind or re-order a unit; its children must still fit under it."""
    _stable_code(unit, data)
    kind = data.get("kind", unit.kind)
    if kind != unit.kind:
        misfits = [c.name for c in unit.children.all() if kind not in ALLOWED_PARENT_KIND.get(c.kind, ())]
        if misfits:
            names = "、".join(misfits[:3]) + ("等" if len(misfits) > 3 else "")
            raise ValidationError({"kind": f"{unit.name}下辖{names}，不能改为“{Unit.kind_label(kind)}”。"})
    parent = data.get("parent", unit.parent)
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk == unit.pk:
            raise ValidationError({"parent": "上级单位不能是本单位或其下级单位。"})
        ancestor = ancestor.parent
    model_update(instance=unit, data={k: data[k] for k in UNIT_FIELDS if k in data}, by=by, reason=reason)
    return unit


@transaction.atomic
def department_create(
    *, code: str, name: str, by: User | None, short_name: str = "", sort_order: int = 0, reason: str = ""
) -> Department:
    department = Department(code=code, name=name, short_name=short_name, sort_order=sort_order)
    department.full_clean()
    department.save()
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=department, after=snapshot(department, DEPARTMENT_FIELDS), reason=reason
    )
    return department


@transaction.atomic
def department_update(*, department: Department, data: Mapping[str, Any], by: User, reason: str = "") -> Department:
    _stable_code(department, data)
    model_update(instance=department, data={k: data[k] for k in DEPARTMENT_FIELDS if k in data}, by=by, reason=reason)
    return department
