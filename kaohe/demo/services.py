"""The demo district (云溪区): deterministic, realistic, and showing every capability that exists.

Everything is created through the same services the UI uses, so the demo's change log reads like a
real district's set-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kaohe.accounts import services as account_services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.core.exceptions import ApplicationError
from kaohe.core.ledger import ledger_import
from kaohe.org.ledgers import ORG_LEDGER
from kaohe.org.models import Department, Unit

from .models import DemoMark

WORKBOOKS = Path(__file__).resolve().parent / "workbooks"  # what the demo district hands in, as a district would


def _demo_period(today: dt.date) -> tuple[int, int]:
    """The year whose January–October the demo fills: this year once October is over, else last year."""
    return (today.year, 10) if today.month >= 11 else (today.year - 1, 10)


DEMO_YEAR, DEMO_MONTH = _demo_period(dt.date.today())


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit: str = ""
    department: str = ""


# More accounts the data needs: a clerk per township and an officer per data-owning department.
EXTRA_DEPARTMENT_OFFICERS = [("caizhengju", "caizheng"), ("shuiwuju", "shuiwu"), ("shangwuju", "shangwu"),
                             ("fagaiju", "fagai"), ("rensheju", "renshe"), ("yingjiju", "yingji"),
                             ("zhengfawei", "zhengfa"), ("xinfangju", "xinfang"), ("zhengwuju", "zhengwu")]  # fmt: skip

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


def demo_is_marked() -> bool:
    """Whether `kaohe demo` built this database (demo.models.DemoMark): only then may --reset empty it."""
    return DemoMark.objects.exists()


def demo_may_be_emptied() -> bool:
    """Whether `kaohe flush` may empty this database: `kaohe demo` built it, or it holds no audit log to lose."""
    from kaohe.core.models import ChangeLog

    return demo_is_marked() or not ChangeLog.objects.exists()


def demo_password() -> str:
    return settings.KAOHE_DEMO_PASSWORD


@transaction.atomic
def demo_load() -> None:
    """Build the demo district into an empty database, and mark it as the demo's."""
    DemoMark.objects.create()
    # The org tree comes in as a district brings its own: the org ledger workbook, through its import.
    admin, *others = ACCOUNTS
    account_services.user_create(
        username=admin.username, password=demo_password(), role=admin.role, full_name=admin.full_name, by=None,
        reason="演示数据",
    )  # fmt: skip
    workbook = WORKBOOKS / "org.xlsx"
    report = ledger_import(
        ledger=ORG_LEDGER,
        data=workbook.read_bytes(),
        filename=workbook.name,
        by=User.objects.get(username=admin.username),
    )
    if not report.ok:
        raise ApplicationError(f"演示组织机构台账导入失败：{report.message}")
    units = {u.code: u for u in Unit.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    for account in others:
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
    for township in Unit.objects.assessed(DEMO_YEAR).order_by("sort_order", "code"):
        if township.code != "qingshi":
            account_services.user_create(
                username=f"{township.code}_tb", password=demo_password(), role=Role.TOWNSHIP_CLERK,
                full_name=f"{township.name}填报员", unit_id=township.pk, by=None, reason="演示数据",
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
