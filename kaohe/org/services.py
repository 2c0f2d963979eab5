"""Writes of the org tree. Codes are stable identifiers and are validated here; the org ledger
(`kaohe.org.ledgers`) creates and changes rows through these same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.services import changelog_record, model_update, snapshot

from .choices import ASSESSED_KINDS, UnitKind
from .models import ALLOWED_PARENT_KIND, Department, Unit, UnitGroup

if TYPE_CHECKING:
    from kaohe.accounts.models import User

UNIT_FIELDS = ("code", "name", "kind", "parent", "group", "is_assessed", "sort_order", "inactive_from")
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
    inactive_from: int | None = None,
    reason: str = "",
) -> Unit:
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, group=group, is_assessed=is_assessed, sort_order=sort_order,
        inactive_from=inactive_from,
    )  # fmt: skip
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
    inactive_from = data.get("inactive_from", unit.inactive_from)
    if inactive_from is not None and inactive_from != unit.inactive_from:
        _check_deactivation(unit, inactive_from)
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


REASON_REQUIRED = "请填写{what}原因。"


def _reason(reason: str, what: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED.format(what=what)})
    return reason.strip()


@transaction.atomic
def unit_deactivate(*, unit: Unit, from_year: int, by: User, reason: str) -> Unit:
    """Take a unit out of the boards and entry forms from `from_year` on; every year before keeps its data.

    A year whose scheme is published is already being scored: its set of townships changes only after the
    scheme is returned for revision (退回修改)."""
    reason = _reason(reason, "停用")
    _check_deactivation(unit, from_year)
    model_update(instance=unit, data={"inactive_from": from_year}, by=by, reason=reason)
    return unit


def _check_deactivation(unit: Unit, from_year: int) -> None:
    from kaohe.schemes.models import Scheme  # org sits below schemes: read one row, lazily

    if unit.kind == UnitKind.DISTRICT:
        raise ValidationError({"inactive_from": "区（县）是组织树的根，不能停用。"})
    if not 2000 <= from_year <= 9999:
        raise ValidationError({"inactive_from": "停用年度须在2000到9999之间。"})
    published = Scheme.objects.published().filter(year__gte=from_year).order_by("year").first()
    if published is not None and unit.kind in ASSESSED_KINDS:
        raise ValidationError(
            {
                "inactive_from": f"{published.year}年考核方案已发布，{unit.name}仍在其中考核；"
                f"请从{published.year + 1}年起停用，或先将{published.year}年方案退回修改。"
            }
        )


@transaction.atomic
def unit_reactivate(*, unit: Unit, by: User, reason: str) -> Unit:
    reason = _reason(reason, "恢复")
    if unit.inactive_from is None:
        raise ApplicationError(f"{unit.name}未停用。")
    model_update(instance=unit, data={"inactive_from": None}, by=by, reason=reason)
    return unit


@transaction.atomic
def unit_delete(*, unit: Unit, by: User, reason: str) -> None:
    """Delete a unit created by mistake; one with any data (figures, targets, items, accounts, villages) is
    refused: it can only be deactivated, so its history stays."""
    reason = _reason(reason, "删除")
    before = snapshot(unit, UNIT_FIELDS)
    pk, name = unit.pk, unit.name
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError:
        raise ApplicationError(
            f"{name}已有数据（下级单位、报送、目标、加扣分或账号），不能删除；请改为从某年度起停用，历史数据将保留。"
        ) from None
    changelog_record(
        action=ChangeAction.DELETE, by=by, object_type="org.unit", object_id=str(pk), object_repr=name,
        before=before, reason=reason,
    )  # fmt: skip
