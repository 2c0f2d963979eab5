"""The department grid as a spreadsheet, in Chromium on a desktop and a phone: a column copied from Excel fills
fourteen townships, a block fills figures and notes, the arrow keys and Enter move between cells, and each cell
is named for a screen reader. Nothing is written until 保存."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import QuerySet
from playwright.sync_api import Browser, Locator, expect

from kaohe.accounts.models import User
from kaohe.browser import PHONE, Visit
from kaohe.collection import services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission, Value
from kaohe.demo.services import DEMO_MONTH, DEMO_YEAR
from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme, Target

pytestmark = pytest.mark.browser

MONTH = DEMO_MONTH + 1  # nothing entered yet: every township's cell is open
SIZES: dict[str, dict[str, Any]] = {"desktop": {"viewport": {"width": 1280, "height": 900}}, "phone": PHONE}


def entered() -> QuerySet[Value]:
    """The 统计局's 规上工业总产值 figures of the month, as saved."""
    return Value.objects.filter(submission__scheme__year=DEMO_YEAR, submission__month=MONTH, indicator__code="gyzcz")


def november(scheme: Scheme, unit: Unit, indicator: str) -> Decimal:
    """A plausible 1-11月 figure: a tenth above 1-10月 (a cumulative figure never falls without a revision)."""
    october = Value.objects.get(
        submission__scheme=scheme, submission__month=MONTH - 1, submission__unit=unit, indicator__code=indicator
    ).amount
    return (october * Decimal("1.1")).quantize(Decimal("0.01"))


def grid(browser: Browser, site: str, size: str = "desktop") -> Visit:
    """The 统计局's officer on the 规上工业总产值 grid of the month."""
    visit = Visit(browser, site, **SIZES[size])
    visit.login("tongjiju")
    visit.page.goto(f"{site}/data/dept/gyzcz/{DEMO_YEAR}/{MONTH}/")
    return visit


def paste(cell: Locator, text: str) -> None:
    """What Ctrl+V of cells copied from Excel or WPS delivers: tab-separated columns, newline-separated rows.
    Dispatched once the sheet's script has bound its handlers (data-kh-ready), as a person's paste always is."""
    expect(cell.locator("xpath=ancestor::table[@data-kh-sheet][@data-kh-ready]")).to_have_count(1)
    cell.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_column_and_a_block_pasted_from_excel_fill_consecutive_cells(
    browser: Browser, site: str, output_dir: Path, size: str
) -> None:
    visit = grid(browser, site, size)
    page = visit.page
    cells = page.locator('[data-kh-col="0"]')
    expect(cells).to_have_count(14)
    column = [str(640000 - 10000 * i) for i in range(14)]
    paste(cells.first, "\r\n".join(column) + "\r\n")  # Excel ends the copied column with a newline
    for i, value in enumerate(column):
        expect(cells.nth(i)).to_have_value(value)
    # A block of four townships × (figure, note), pasted from the third township on.
    block = "\n".join(f"{500 + i}\t核实数{i}" for i in range(4))
    paste(page.locator('[data-kh-row="2"][data-kh-col="0"]'), block)
    for i in range(4):
        expect(page.locator(f'[data-kh-row="{2 + i}"][data-kh-col="0"]')).to_have_value(str(500 + i))
        expect(page.locator(f'[data-kh-row="{2 + i}"][data-kh-col="1"]')).to_have_value(f"核实数{i}")
    expect(cells.nth(6)).to_have_value(column[6])  # below the block: untouched
    expect(cells.first).to_have_attribute("aria-label", "青石镇 规上工业总产值（万元）")
    assert not Value.objects.filter(
        submission__scheme__year=DEMO_YEAR, submission__month=MONTH, indicator__code="gyzcz"
    ).exists()  # not saved yet
    page.screenshot(path=str(output_dir / f"grid-pasted-{size}.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("已保存")
    assert (
        Value.objects.filter(
            submission__scheme__year=DEMO_YEAR, submission__month=MONTH, indicator__code="gyzcz"
        ).count()
        == 14
    )
    assert visit.foreign == []


def test_arrow_keys_and_enter_move_between_cells(browser: Browser, site: str) -> None:
    visit = Visit(browser, site)
    visit.login("tongjiju")
    page = visit.page
    page.goto(f"{site}/data/dept/gyzcz/{DEMO_YEAR}/{MONTH}/")
    page.locator('[data-kh-row="0"][data-kh-col="0"]').focus()

    def focused() -> tuple[str, str]:
        row, col = page.evaluate("[document.activeElement.dataset.khRow, document.activeElement.dataset.khCol]")
        return row, col

    page.keyboard.press("ArrowDown")
    assert focused() == ("1", "0")
    page.keyboard.press("Enter")  # down, and the grid is not submitted
    assert focused() == ("2", "0")
    page.keyboard.press("Shift+Enter")
    assert focused() == ("1", "0")
    page.keyboard.type("12")
    page.keyboard.press("ArrowRight")  # the caret at the end of 12: on to the note
    assert focused() == ("1", "1")
    page.keyboard.press("ArrowLeft")
    assert focused() == ("1", "0")
    page.keyboard.press("ArrowUp")
    assert focused() == ("0", "0")
    page.keyboard.press("ArrowUp")  # the top row: stays
    assert focused() == ("0", "0")
    assert page.url.endswith(f"/data/dept/gyzcz/{DEMO_YEAR}/{MONTH}/")
    assert not Value.objects.filter(
        submission__scheme__year=DEMO_YEAR, submission__month=MONTH, indicator__code="gyzcz"
    ).exists()
    assert visit.foreign == []


def test_submit_hands_in_the_complete_townships_and_lists_the_others_on_their_rows(
    browser: Browser, site: str, output_dir: Path
) -> None:
    # The 统计局 has entered every figure of November but 固定资产投资 for three townships.
    officer = User.objects.get(username="tongjiju")
    scheme = Scheme.objects.official().get(year=DEMO_YEAR)
    incomplete = {"baisha", "shimen", "xishan"}
    targets = set(Target.objects.filter(indicator__scheme=scheme).values_list("unit__code", "indicator__code"))
    for unit in Unit.objects.assessed(DEMO_YEAR):
        opened = services.submission_open(scheme=scheme, unit=unit, month=MONTH, owner=officer.department)
        changes = {
            ind.code: services.Change(november(scheme, unit, ind.code))
            for ind in services.owner_indicators(opened)
            if services.evaluated_in(ind, MONTH) and (unit.code, ind.code) in targets
            and not (ind.code == "gdzc" and unit.code in incomplete)
        }  # fmt: skip
        services.values_save(submission=opened, changes=changes, by=officer, expected_version=opened.version)
    visit = Visit(browser, site)
    visit.login("tongjiju")
    page = visit.page
    page.goto(f"{site}/data/dept/gyzcz/{DEMO_YEAR}/{MONTH}/")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("3 个乡镇（街道）未能提交审核，原因列在各自一行")).to_be_visible()
    for code in incomplete:
        expect(page.get_by_test_id(f"refused-{code}")).to_have_text(
            "未提交：数据未通过校验，不能提交：“固定资产投资”未填写"
        )
    expect(page.locator('[data-testid^="refused-"]')).to_have_count(3)
    page.screenshot(path=str(output_dir / "grid-partial-submit.png"), full_page=True)
    statuses = dict(
        Submission.objects.filter(scheme=scheme, month=MONTH, owner=officer.department).values_list(
            "unit__code", "status"
        )
    )
    assert {c for c, s in statuses.items() if s == SubmissionStatus.SUBMITTED} == set(statuses) - incomplete
    assert {c for c, s in statuses.items() if s == SubmissionStatus.DRAFT} == incomplete
    page.reload()  # the list is of that 提交审核, not for ever
    expect(page.locator('[data-testid^="refused-"]')).to_have_count(0)
    assert visit.foreign == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_block_of_three_townships_by_four_indicators_fills_the_department_sheet(
    browser: Browser, site: str, output_dir: Path, size: str
) -> None:
    visit = grid(browser, site, size)
    page = visit.page
    page.get_by_test_id("open-sheet").click()  # every indicator of the 统计局's month, one table
    expect(page.get_by_test_id("sheet-form")).to_be_visible()
    # 3 townships × 4 indicators, as copied from Excel, pasted at the second township's first cell.
    block = "\n".join("\t".join(str(100 * r + c) for c in range(1, 5)) for r in range(1, 4))
    paste(page.locator('[data-kh-row="1"][data-kh-col="0"]'), block)
    columns = [page.locator(f'[data-kh-row="1"][data-kh-col="{c}"]').get_attribute("aria-label") for c in range(4)]
    for r in range(3):
        for c in range(4):
            expect(page.locator(f'[data-kh-row="{1 + r}"][data-kh-col="{c}"]')).to_have_value(
                str(100 * (r + 1) + c + 1)
            )
    expect(page.locator('[data-kh-row="0"][data-kh-col="0"]')).to_have_value("")  # above the block: untouched
    page.locator('[data-kh-row="1"][data-kh-col="0"]').focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.khRow") == "2"
    page.screenshot(path=str(output_dir / f"sheet-pasted-{size}.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_have_text("已保存。")
    saved = Value.objects.filter(submission__scheme__year=DEMO_YEAR, submission__month=MONTH,
                                 submission__owner__code="tongji")  # fmt: skip
    assert saved.count() == 12
    second = Unit.objects.assessed(DEMO_YEAR).order_by("sort_order", "code")[1]
    assert columns[0] is not None and columns[0].startswith(second.name)
    assert sorted(saved.filter(submission__unit=second).values_list("amount", flat=True)) == [101, 102, 103, 104]
    assert visit.foreign == []
