"""The demo district (云溪区): deterministic, realistic, and showing every capability that exists.

Everything is created through the same services the UI uses, so the demo's change log reads like a
real district's set-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from kaohe.accounts import services as account_services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.org import services as org_services
from kaohe.org.choices import UnitKind
from kaohe.org.models import Department, Unit, UnitGroup

DISTRICT = ("yunxi", "云溪区")


def _demo_period(today: dt.date) -> tuple[int, int]:
    """The year whose January–October the demo fills: this year once October is over, else last year."""
    return (today.year, 10) if today.month >= 11 else (today.year - 1, 10)


DEMO_YEAR, DEMO_MONTH = _demo_period(dt.date.today())

GROUPS = [
    ("industry", "工业主导型", "工业经济占比较高的镇"),
    ("service", "服务业主导型", "以商贸、文旅和城市服务为主的镇（街道）"),
]

# (code, name, kind, group code)
TOWNSHIPS = [
    ("qingshi", "青石镇", UnitKind.TOWN, "industry"),
    ("baisha", "白沙镇", UnitKind.TOWN, "industry"),
    ("longquan", "龙泉镇", UnitKind.TOWN, "industry"),
    ("jinqiao", "金桥镇", UnitKind.TOWN, "industry"),
    ("shimen", "石门镇", UnitKind.TOWN, "industry"),
    ("qinghe", "清河镇", UnitKind.TOWN, "industry"),
    ("songlin", "松林镇", UnitKind.TOWN, "industry"),
    ("taoyuan", "桃源镇", UnitKind.TOWN, "service"),
    ("liutang", "柳塘镇", UnitKind.TOWN, "service"),
    ("meiling", "梅岭镇", UnitKind.TOWN, "service"),
    ("chengguan", "城关街道", UnitKind.STREET, "service"),
    ("donghu", "东湖街道", UnitKind.STREET, "service"),
    ("xishan", "西山街道", UnitKind.STREET, "service"),
    ("nanyuan", "南苑街道", UnitKind.STREET, "service"),
]

VILLAGES = {
    "qingshi": [("qingshi-01", "青石村"), ("qingshi-02", "上湾村"), ("qingshi-03", "石桥村")],
    "chengguan": [("chengguan-01", "北门社区"), ("chengguan-02", "文庙社区")],
}

DEPARTMENTS = [
    ("tongji", "区统计局", "统计局"),
    ("caizheng", "区财政局", "财政局"),
    ("shuiwu", "区税务局", "税务局"),
    ("shangwu", "区商务局", "商务局"),
    ("fagai", "区发展和改革局", "发改局"),
    ("jingxin", "区经济和信息化局", "经信局"),
    ("nongye", "区农业农村局", "农业农村局"),
    ("keji", "区科学技术局", "科技局"),
    ("yingji", "区应急管理局", "应急局"),
    ("ducha", "区委区政府督查室", "督查室"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit: str = ""
    department: str = ""


# More accounts the data needs: a clerk per township and an officer per data-owning department.
EXTRA_DEPARTMENT_OFFICERS = [("caizhengju", "caizheng"), ("shuiwuju", "shuiwu"), ("shangwuju", "shangwu"),
                             ("fagaiju", "fagai")]  # fmt: skip

ACCOUNTS = [
    DemoAccount("kaoheban", "张明", Role.DISTRICT_ADMIN),
    DemoAccount("tongjiju", "李华", Role.DEPT_OFFICER, department="tongji"),
    DemoAccount("qingshi_tb", "王芳", Role.TOWNSHIP_CLERK, unit="qingshi"),
    DemoAccount("qingshi_sj", "赵刚", Role.TOWNSHIP_LEADER, unit="qingshi"),
    DemoAccount("shenhe", "陈静", Role.DISTRICT_REVIEWER),
    DemoAccount("lingdao", "刘强", Role.DISTRICT_LEADER),
    DemoAccount("ducha", "孙丽", Role.SUPERVISOR, department="ducha"),
    DemoAccount("xitong", "周伟", Role.SYSTEM_ADMIN),
    DemoAccount("anquan", "吴敏", Role.SECURITY_ADMIN),
    DemoAccount("shenji", "郑洁", Role.AUDIT_ADMIN),
]


def demo_is_loaded() -> bool:
    return Unit.objects.exists()


def demo_password() -> str:
    return settings.KAOHE_DEMO_PASSWORD


@transaction.atomic
def demo_load() -> None:
    """Build the demo district into an empty database."""
    groups: dict[str, UnitGroup] = {}
    for order, (code, name, description) in enumerate(GROUPS):
        groups[code] = org_services.group_create(
            code=code, name=name, description=description, sort_order=order, by=None
        )
    district = org_services.unit_create(code=DISTRICT[0], name=DISTRICT[1], kind=UnitKind.DISTRICT, by=None)
    units: dict[str, Unit] = {}
    for order, (code, name, kind, group) in enumerate(TOWNSHIPS, start=1):
        units[code] = org_services.unit_create(
            code=code, name=name, kind=kind, parent=district, group=groups[group], sort_order=order, by=None
        )
    for township, villages in VILLAGES.items():
        for order, (code, name) in enumerate(villages, start=1):
            org_services.unit_create(
                code=code, name=name, kind=UnitKind.VILLAGE, parent=units[township], is_assessed=False,
                sort_order=order, by=None,
            )  # fmt: skip
    departments: dict[str, Department] = {}
    for order, (code, name, short) in enumerate(DEPARTMENTS, start=1):
        departments[code] = org_services.department_create(
            code=code, name=name, short_name=short, sort_order=order, by=None
        )
    for account in ACCOUNTS:
        account_services.user_create(
            username=account.username,
            password=demo_password(),
            role=account.role,
            full_name=account.full_name,
            unit_id=units[account.unit].pk if account.unit else None,
            department_id=departments[account.department].pk if account.department else None,
            by=None,
            reason="演示数据",
        )
    for code, name, *_ in TOWNSHIPS:
        if code != "qingshi":
            account_services.user_create(
                username=f"{code}_tb", password=demo_password(), role=Role.TOWNSHIP_CLERK, full_name=f"{name}填报员",
                unit_id=units[code].pk, by=None, reason="演示数据",
            )  # fmt: skip
    for username, department in EXTRA_DEPARTMENT_OFFICERS:
        account_services.user_create(
            username=username, password=demo_password(), role=Role.DEPT_OFFICER,
            full_name=f"{departments[department].short_name}数据员", department_id=departments[department].pk, by=None,
            reason="演示数据",
        )  # fmt: skip
    from .data import load_data

    load_data(year=DEMO_YEAR, month=DEMO_MONTH)


def demo_accounts() -> list[User]:
    """The demo accounts in the order of PRODUCT.md's role table."""
    users = {u.username: u for u in User.objects.select_related("unit", "department")}
    return [users[a.username] for a in ACCOUNTS if a.username in users]
