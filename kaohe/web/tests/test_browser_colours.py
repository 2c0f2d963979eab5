"""Colours that show and can be read: the 成绩单's status colours render inside the table as the legend shows them,
and axe-core finds no colour-contrast failure (WCAG AA) on the pages read every day, on a desktop and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from kaohe.browser import PHONE, Visit, contrast_violations
from kaohe.demo.services import DEMO_MONTH, DEMO_YEAR

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
BOARD = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"
# Who reads each page every day: the leader the 成绩单, a township clerk his form, a department officer its grid.
PAGES = [
    ("lingdao", BOARD),
    ("qingshi_tb", f"/data/qingshi/{DEMO_YEAR}/{DEMO_MONTH}/"),
    ("tongjiju", f"/data/dept/gyzcz/{DEMO_YEAR}/{DEMO_MONTH}/"),
]


def background(visit: Visit, selector: str) -> str:
    return str(visit.page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor"))


def test_the_legend_s_status_colours_show_in_the_desktop_board(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site, **DESKTOP)
    visit.login("lingdao")
    visit.page.goto(site + BOARD)
    seen = {}
    for status in ("kh-behind", "kh-on", "kh-done"):
        cell = background(visit, f'[data-testid="scoreboard"] tbody td.{status}')
        assert cell == background(visit, f".kh-legend.{status}"), status  # the cell shows the legend's colour
        seen[status] = cell
    assert len(set(seen.values())) == 3, seen  # and the three are told apart
    assert "rgb(255, 255, 255)" not in seen.values()
    visit.page.screenshot(path=str(output_dir / "scoreboard-desktop.png"))
    assert visit.foreign == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_colour_contrast_failure_on_the_daily_pages(browser: Browser, site: str, size: str) -> None:
    failures: dict[str, list[str]] = {}
    for username, url in PAGES:
        visit = Visit(browser, site, bypass_csp=True, **(PHONE if size == "phone" else DESKTOP))
        visit.login(username)
        visit.page.goto(site + url)
        found = contrast_violations(visit.page)
        if found:
            failures[url] = found
        assert visit.foreign == []
        visit.close()
    assert failures == {}
