"""The district admin changes an indicator's rule from 完成率×分值 to 分档计分 in the browser, watches 试算, saves,
and `kaohe scheme export` carries the new rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from kaohe.accounts.models import User
from kaohe.browser import Visit
from kaohe.lib.tests.sheets import read_back
from kaohe.schemes.models import Indicator
from kaohe.test import world_scheme

pytestmark = pytest.mark.browser
YEAR = 2031


def test_the_admin_changes_a_rule_to_bands_through_the_form(browser: Browser, site: str, output_dir: Path) -> None:
    scheme = world_scheme(YEAR, User.objects.get(username="kaoheban"))
    indicator = scheme.indicators.get(code="ind0")
    visit = Visit(browser, site)
    visit.login("kaoheban")
    page = visit.page
    page.goto(f"{site}/schemes/indicator/{indicator.pk}/edit/")
    expect(page.locator("#id_rule-cap")).to_have_value("120")

    page.select_option("#id_rule-family", "bands")
    expect(page.locator("#id_rule-item-0-threshold")).to_be_visible()  # the bands' fields, drawn in place
    expect(page.locator("#id_rule-cap")).to_have_count(0)
    page.fill("#id_rule-item-0-threshold", "100")
    page.fill("#id_rule-item-0-points", "60")
    page.get_by_test_id("rule-add-row").click()
    expect(page.locator("#id_rule-item-1-threshold")).to_be_visible()
    expect(page.locator("#id_rule-item-0-points")).to_have_value("60")  # kept through the redraw
    page.fill("#id_rule-item-1-threshold", "80")
    page.fill("#id_rule-item-1-points", "45")

    page.fill("#kh-sample-target", "100")
    page.fill("#kh-sample-actual", "85")
    expect(page.get_by_test_id("preview-points")).to_have_text("45.00")
    expect(page.get_by_test_id("preview-explanation")).to_contain_text("≥80%档，得45")
    page.fill("#kh-sample-actual", "120")
    expect(page.get_by_test_id("preview-points")).to_have_text("60.00")
    page.screenshot(path=str(output_dir / "rule-form-bands.png"), full_page=True)

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/schemes/{YEAR}/$"))
    expect(page.locator('[data-indicator="ind0"] [data-testid="rule-text"]')).to_contain_text("分档")
    assert Indicator.objects.get(pk=indicator.pk).rule == {
        "family": "bands", "basis": "annual", "bands": [{"min": "1", "points": "60"}, {"min": "0.8", "points": "45"}],
        "else": "0",
    }  # fmt: skip

    exported = output_dir / "scheme-after-rule-change.xlsx"
    call_command("scheme", "export", "--year", str(YEAR), str(exported))
    sheets = read_back(exported.read_bytes())
    bands = [row for row in sheets["计分·分档计分"] if row and row[0] == "ind0"]
    assert [(row[4], row[5]) for row in bands] == [("100", "60"), ("80", "45")]
    indicators = sheets["指标"]
    assert indicators[1][indicators[0].index("计分方法")] == "分档计分"
    assert visit.foreign == []
