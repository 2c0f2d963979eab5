"""A district's first year in Debian's Chromium, from an empty database and one `kaohe createadmin`: the security
admin opens the accounts, the district office imports its org ledger, scheme workbook and targets table (the demo
district's shipped workbooks) and publishes, the 统计局 imports a month's figures from the template it downloaded
and hands them in, the reviewer approves them all at once, and the 成绩单 shows the 全区合计 row and each
township's completion of its 上半年 stage target. No shell anywhere."""

from __future__ import annotations

import io
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from kaohe.accounts.models import User
from kaohe.browser import Visit
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission
from kaohe.collection.templates_xlsx import CODE_ROW, FIRST_DATA_ROW, VALUES_SHEET
from kaohe.demo.services import WORKBOOKS, demo_password
from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme, Target

pytestmark = pytest.mark.browser

YEAR = 2026  # the year the shipped scheme and targets tables were written for
MONTH = 6  # 1-6月: the 上半年 stage of 固定资产投资 and 工业投资
# 青石镇's 固定资产投资: annual target 252000 万元 (targets.xlsx), 上半年 stage 105840; the 统计局 reports half the
# year's target, 126000, which is 126000 ÷ 105840 = 119.05 % of the stage.
QINGSHI_FIXED_ASSETS = ("126,000.00", "上半年 119.05%")


OWN_PASSWORD = "Mein#2026Kennwort"


def empty_database_with_one_admin() -> None:
    """What an installation is after `kaohe migrate` and `kaohe createadmin anquan`: nothing but that account."""
    call_command("flush", interactive=False, verbosity=0)
    with mock.patch.dict(os.environ, {"KAOHE_ADMIN_PASSWORD": demo_password()}):
        call_command("createadmin", "anquan", "--name", "吴敏", stdout=io.StringIO())
    assert list(User.objects.values_list("username", "role")) == [("anquan", "security_admin")]
    assert not Unit.objects.exists()


def create_account(page: Page, site: str, username: str, name: str, role: str, department: str = "") -> None:
    page.goto(f"{site}/accounts/users/new/")
    page.fill("#id_username", username)
    page.fill("#id_full_name", name)
    page.select_option("#id_role", role)
    if department:
        page.select_option("#id_department", label=department)
    page.fill("#id_password", demo_password())
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"已创建账号 {username}。")).to_be_visible()


def upload(page: Page, key: str, path: Path) -> None:
    """Choose the file in an upload form and press 导入 (all or nothing)."""
    page.set_input_files(f"#kh-file-{key}", str(path))
    page.get_by_test_id(f"import-{key}").click()


def fill_values(content: bytes) -> bytes:
    """The 统计局's month, typed into the template it downloaded: every open cell, half of the township's annual
    target for volumes (a growth rate of 7.8 % for the growth indicators), at the indicator's decimals."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book[VALUES_SHEET]
    codes = {c.column: c.value for c in sheet[CODE_ROW] if isinstance(c.value, str)}
    targets = {(t.unit.code, t.indicator.code): t for t in Target.objects.filter(indicator__scheme__year=YEAR)
               .select_related("unit", "indicator")}  # fmt: skip
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
        unit = row[0].value
        for cell in row:
            target = targets.get((unit, codes.get(cell.column, "")))
            if target is None or cell.protection.locked:
                continue
            ind = target.indicator
            half = Decimal("7.8") if ind.kind == "growth" else target.amount / 2
            cell.value = half.quantize(Decimal(1).scaleb(-ind.decimal_places), rounding=ROUND_HALF_UP)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_district_sets_up_its_year_and_scores_a_month_from_an_empty_database(
    browser: Browser, site: str, output_dir: Path, tmp_path: Path
) -> None:
    empty_database_with_one_admin()
    security = Visit(browser, site)
    security.login("anquan")
    create_account(security.page, site, "kaoheban", "张明", "district_admin")
    create_account(security.page, site, "shenhe", "陈静", "district_reviewer")

    office = Visit(browser, site)
    # Each account the security admin made opens on 修改密码: its password was his, now it becomes the user's.
    office.first_login("kaoheban", OWN_PASSWORD)
    page = office.page
    page.goto(f"{site}/org/ledger/")
    upload(page, "ledger", WORKBOOKS / "org.xlsx")
    expect(page.get_by_test_id("ledger-counts")).to_contain_text("单位")
    assert Unit.objects.assessed(YEAR).count() == 14

    # The 统计局's officer needs the department the ledger brought in.
    create_account(security.page, site, "tongjiju", "李华", "dept_officer", department="区统计局")

    page.goto(f"{site}/schemes/workbook/")
    page.fill("#id_year", str(YEAR))
    upload(page, "scheme", WORKBOOKS / "scheme.xlsx")
    expect(page.get_by_test_id("open-scheme")).to_be_visible()
    page.goto(f"{site}/data/excel/")
    upload(page, "targets", WORKBOOKS / "targets.xlsx")
    expect(page.get_by_test_id("import-summary")).to_contain_text("已导入")
    page.goto(f"{site}/schemes/{YEAR}/")
    expect(page.get_by_test_id("problems")).to_contain_text("检查通过，可以发布。")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("scheme-status")).to_have_text("已发布（冻结）")
    scheme = Scheme.objects.official().get(year=YEAR)
    assert scheme.is_published

    statistics = Visit(browser, site)
    statistics.first_login("tongjiju", OWN_PASSWORD)
    page = statistics.page
    page.goto(f"{site}/data/excel/?year={YEAR}&month={MONTH}")
    with page.expect_download() as download:
        page.get_by_test_id("download-values").click()
    filled = tmp_path / f"{YEAR}年1-{MONTH}月_统计局_数据填报模板.xlsx"
    filled.write_bytes(fill_values(Path(download.value.path()).read_bytes()))
    upload(page, "values", filled)
    expect(page.get_by_test_id("import-summary")).to_contain_text("已导入")
    page.goto(f"{site}/data/dept/gdzc/{YEAR}/{MONTH}/")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交审核：")).to_be_visible()
    handed_in = Submission.objects.filter(scheme=scheme, month=MONTH, owner__code="tongji")
    assert handed_in.count() == 14
    assert set(handed_in.values_list("status", flat=True)) == {SubmissionStatus.SUBMITTED}

    reviewer = Visit(browser, site)
    reviewer.first_login("shenhe", OWN_PASSWORD)
    page = reviewer.page
    page.goto(f"{site}/data/review/{YEAR}/{MONTH}/")
    page.locator("[data-kh-pick-all]").check()
    page.get_by_test_id("batch-approve").click()
    expect(page.get_by_test_id("confirm")).to_have_text("确认通过 14 份")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("queue-summary")).to_contain_text("已审核 14 份")
    assert set(handed_in.values_list("status", flat=True)) == {SubmissionStatus.APPROVED}

    page = office.page
    page.goto(f"{site}/scores/{YEAR}/{MONTH}/")
    board = page.get_by_test_id("scoreboard")
    total = board.locator('tr.kh-total[data-total="all"]')
    expect(total).to_contain_text("全区合计")
    qingshi = board.locator('tr[data-unit="qingshi"]')
    expect(qingshi.get_by_test_id("total-qingshi")).not_to_have_text("")
    expect(qingshi).to_contain_text(QINGSHI_FIXED_ASSETS[0])
    expect(qingshi.get_by_test_id("stage").first).to_have_text(QINGSHI_FIXED_ASSETS[1])
    page.screenshot(path=str(output_dir / "first-year-scoreboard.png"), full_page=True)
    for visit in (security, office, statistics, reviewer):
        assert visit.foreign == []
        visit.close()
