"""The small things of daily work in Chromium: the file picker and required-field messages speak Chinese, the
试导入 button looks like a button, and the year switch on /data/ reads on one line on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kaohe.browser import PHONE, Visit
from kaohe.demo.services import WORKBOOKS

pytestmark = pytest.mark.browser


def test_the_file_picker_and_a_missing_file_are_in_chinese(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site)
    visit.login("kaoheban")
    page = visit.page
    page.goto(f"{site}/org/ledger/")
    form = page.get_by_test_id("upload-ledger")
    expect(form.get_by_test_id("file-name")).to_have_text("未选择文件")
    expect(form.locator(".kh-file-button")).to_have_text("选择文件")
    form.get_by_test_id("import-ledger").click()  # no file chosen: the browser stops it, in Chinese
    message = page.locator("#kh-file-ledger").evaluate("e => e.validationMessage")
    assert message == "请选择要上传的文件。"
    page.set_input_files("#kh-file-ledger", str(WORKBOOKS / "org.xlsx"))
    expect(form.get_by_test_id("file-name")).to_have_text("org.xlsx")
    assert page.locator("#kh-file-ledger").evaluate("e => e.validationMessage") == ""
    # 试导入 is a filled button beside the primary 导入, not an outline that reads as a text box.
    preview = form.get_by_test_id("preview-ledger")
    background = preview.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), background
    page.screenshot(path=str(output_dir / "upload-form.png"))
    assert visit.foreign == []


def test_a_required_field_left_empty_is_named_in_chinese(browser: Browser, site: str) -> None:
    visit = Visit(browser, site)
    visit.login("kaoheban")
    visit.page.goto(f"{site}/schemes/workbook/")
    visit.page.fill("#id_year", "")
    visit.page.get_by_test_id("import-scheme").click()  # neither the year nor the file given
    year = visit.page.locator("#id_year").evaluate("e => e.validationMessage")
    assert year == "请填写此项。"
    assert visit.foreign == []


def test_the_year_switch_on_data_reads_on_one_line_on_a_phone(browser: Browser, site: str) -> None:
    visit = Visit(browser, site, **PHONE)
    visit.login("kaoheban")
    visit.page.goto(f"{site}/data/")
    for locator in (visit.page.locator('label[for="kh-year"]'), visit.page.get_by_test_id("year-switch")):
        box = locator.bounding_box()
        assert box is not None
        assert box["width"] > box["height"], box  # 年度 and 切换 side by side, never one character a line
    assert visit.foreign == []
