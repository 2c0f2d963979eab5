"""模拟 in the browser: the district admin creates a scenario from the published scheme, doubles an indicator's
weight through the indicator form, and opens the comparison of a past month beside the official 成绩单."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kaohe.assessment.selectors import compare
from kaohe.browser import Visit
from kaohe.schemes.models import Scheme
from kaohe.scoring import fmt_points
from kaohe.test import DEMO_YEAR

pytestmark = pytest.mark.browser
NAME = "招商加权测算"
MONTH = 9


def test_the_admin_tries_a_doubled_weight_on_last_months_figures(browser: Browser, site: str, output_dir: Path) -> None:
    official = Scheme.objects.published().get(year=DEMO_YEAR)
    visit = Visit(browser, site)
    visit.login("kaoheban")
    page = visit.page
    page.goto(f"{site}/schemes/{DEMO_YEAR}/")
    page.get_by_test_id("scenario-create").click()
    page.get_by_test_id("scenario-name").fill(NAME)
    page.get_by_role("button", name="保存", exact=True).click()
    scenario = Scheme.objects.scenarios().get(year=DEMO_YEAR, scenario=NAME)
    expect(page).to_have_url(re.compile(rf"/schemes/{scenario.ref}/$"))
    expect(page.get_by_test_id("scheme-status")).to_have_text(f"模拟方案：{NAME}")
    expect(page.get_by_test_id("publish")).to_have_count(0)  # a scenario is never published

    indicator = scenario.indicators.filter(group_weights__isnull=True).order_by("sort_order", "code")[0]
    doubled = indicator.weight * 2
    page.goto(f"{site}/schemes/indicator/{indicator.pk}/edit/")
    page.fill("#id_weight", str(doubled.normalize()))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/schemes/{scenario.ref}/$"))
    indicator.refresh_from_db()
    assert indicator.weight == doubled
    assert official.indicators.get(code=indicator.code).weight == doubled / 2  # the official scheme is untouched

    page.get_by_test_id("compare").click()
    page.get_by_test_id("compare-months").get_by_role("link", name=f"1-{MONTH}月", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/scores/compare/{scenario.ref}/{MONTH}/$"))
    found = compare(proposed=scenario, figures=official, month=MONTH)
    moved = [c for c in found.changes if c.points]
    assert moved, "doubling a weight that scores points moves someone"
    for change in moved:
        assert change.official is not None and change.proposed is not None
        assert change.points == change.proposed.total - change.official.total
        expect(page.get_by_test_id(f"official-{change.code}")).to_have_text(fmt_points(change.official.total))
        expect(page.get_by_test_id(f"proposed-{change.code}")).to_have_text(fmt_points(change.proposed.total))
        expect(page.get_by_test_id(f"change-{change.code}")).to_have_text(
            ("+" if change.points > 0 else "") + fmt_points(change.points)
        )
        assert change.moved[0].code == indicator.code  # the doubled weight is what moved it most
    expect(page.get_by_test_id("changed-count")).to_have_text(str(len(found.changed)))
    page.screenshot(path=str(output_dir / "scenario-compare.png"), full_page=True)
    assert visit.foreign == []
