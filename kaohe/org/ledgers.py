"""The org ledger (`org`): the district, its townships and streets with their villages, the groups (分组) townships
are assessed in, and the departments that own data — one workbook, the way a district already lists them.

`kaohe ledger import org FILE --as USER` sets up a new district from it; the web page is 组织机构 → 台账导入导出.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kaohe.core.ledger import Choice, Integer, Ledger, LedgerColumn, LedgerSheet, Ref, Text, YesNo, register

from . import services
from .choices import UnitKind
from .models import Department, Unit, UnitGroup

if TYPE_CHECKING:
    from kaohe.accounts.models import User

CODE_HELP = "字母、数字、下划线或连字符，最长 32 位；是该行的稳定标识，导入时按编码识别新增或修改"


def _code(what: str) -> LedgerColumn:
    return LedgerColumn("编码", "code", Text(32), required=True, help=f"{what}的{CODE_HELP}", width=16)


def _order() -> LedgerColumn:
    return LedgerColumn("排序", "sort_order", Integer(), help="成绩单和列表中的先后，小的在前", width=8)


def _save_group(current: UnitGroup | None, values: dict[str, Any], by: User, reason: str) -> UnitGroup:
    if current is None:
        return services.group_create(by=by, reason=reason, **values)
    return services.group_update(group=current, data=values, by=by, reason=reason)


def _save_unit(current: Unit | None, values: dict[str, Any], by: User, reason: str) -> Unit:
    if current is None:
        return services.unit_create(by=by, reason=reason, **values)
    return services.unit_update(unit=current, data=values, by=by, reason=reason)


def _save_department(current: Department | None, values: dict[str, Any], by: User, reason: str) -> Department:
    if current is None:
        return services.department_create(by=by, reason=reason, **values)
    return services.department_update(department=current, data=values, by=by, reason=reason)


def _units_in_tree_order() -> Iterator[Unit]:
    """The district, then each township followed by its villages, as a district lists them."""
    units = list(Unit.objects.select_related("parent", "group").order_by("sort_order", "code"))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)

    def walk(parent: int | None) -> Iterator[Unit]:
        for unit in children.get(parent, []):
            yield unit
            yield from walk(unit.pk)

    yield from walk(None)


GROUPS = LedgerSheet[UnitGroup](
    name="分组",
    columns=(
        _code("分组"),
        LedgerColumn("名称", "name", Text(64), required=True, help="如“工业主导型”“城区街道”", width=18),
        LedgerColumn("说明", "description", Text(200), width=30),
        _order(),
    ),
    rows=lambda: UnitGroup.objects.order_by("sort_order", "code"),
    values=lambda g: {"code": g.code, "name": g.name, "description": g.description, "sort_order": g.sort_order},
    save=_save_group,
    examples=(("industry", "工业主导型", "以工业经济为主的乡镇", "1"), ("urban", "城区街道", "", "2")),
)

UNITS = LedgerSheet[Unit](
    name="单位",
    columns=(
        _code("单位"),
        LedgerColumn("名称", "name", Text(64), required=True, help="可以重名，以编码区分", width=18),
        LedgerColumn(
            "类型",
            "kind",
            Choice(
                UnitKind.choices,
                aliases={
                    "区": "district",
                    "县": "district",
                    "区县": "district",
                    "村": "village",
                    "社区": "village",
                    "村委会": "village",
                    "居委会": "village",
                },
            ),
            required=True,
            help="区（县）只有一个，是组织树的根",
            width=12,
        ),
        LedgerColumn(
            "上级编码",
            "parent",
            Ref(Unit, "上级单位"),
            help="乡镇、街道填区（县）的编码，村（社区）填所属乡镇的编码；区（县）不填",
            width=14,
        ),
        LedgerColumn("分组编码", "group", Ref(UnitGroup, "考核分组"), help="乡镇、街道所在考核分组的编码", width=14),
        LedgerColumn("参加考核", "is_assessed", YesNo(), help="乡镇、街道是否参加本区考核排名", width=10),
        _order(),
        LedgerColumn(
            "停用年度",
            "inactive_from",
            Integer(2000, 9999, default=None),
            width=10,
            help="撤并或撤销的单位从该年度起停用，不再考核、不再填报，以往年度的数据和成绩单保留；在用的不填",
        ),
    ),
    rows=_units_in_tree_order,
    values=lambda u: {
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "parent": u.parent,
        "group": u.group,
        "is_assessed": u.is_assessed,
        "sort_order": u.sort_order,
        "inactive_from": u.inactive_from,
    },
    save=_save_unit,
    parent="parent",
    examples=(
        ("yunxi", "云溪区", "区（县）", "", "", "是", "0", ""),
        ("qingshi", "青石镇", "镇", "yunxi", "industry", "是", "1", ""),
        ("qingshi-01", "青石村", "村（社区）", "qingshi", "", "是", "1", ""),
        ("chengguan", "城关街道", "街道", "yunxi", "urban", "是", "2", ""),
        ("beishan", "北山乡", "乡", "yunxi", "industry", "是", "3", "2027"),
    ),
)

DEPARTMENTS = LedgerSheet[Department](
    name="部门",
    columns=(
        _code("部门"),
        LedgerColumn("名称", "name", Text(64), required=True, help="如“区统计局”", width=18),
        LedgerColumn("简称", "short_name", Text(16), help="表头放不下全称时用", width=10),
        _order(),
    ),
    rows=lambda: Department.objects.order_by("sort_order", "code"),
    values=lambda d: {"code": d.code, "name": d.name, "short_name": d.short_name, "sort_order": d.sort_order},
    save=_save_department,
    examples=(("tongji", "区统计局", "统计局", "1"), ("fagai", "区发展和改革局", "发改局", "2")),
)

ORG_LEDGER = register(
    Ledger(
        name="org",
        title="组织机构",
        permission="org.manage",
        sheets=(GROUPS, UNITS, DEPARTMENTS),
        description="区（县）、乡镇街道及其村（社区）、考核分组和区级部门。",
    )
)
