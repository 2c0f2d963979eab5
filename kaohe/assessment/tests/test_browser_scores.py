"""The 成绩单 in Debian's Chromium: a leader and a township clerk read it and follow a point to its reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kaohe.assessment import selectors
from kaohe.browser import PHONE, Visit
from kaohe.schemes.models import Scheme
from kaohe.scoring import Status, fmt_points
from kaohe.test import DEMO_MONTH, DEMO_YEAR

pytestmark = pytest.mark.browser
PATH = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"
COLOURS = {Status.ON_SCHEDULE: "kh-on", Status.BEHIND: "kh-behind", Status.COMPLETED: "kh-done"}


def expected(unit: str, indicator: str) -> tuple[str, str, int]:
    board = selectors.scoreboard(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)
    row = board.row(unit)
    cell = row.cells[indicator]
    return fmt_points(cell.points), COLOURS[cell.status], row.result.rank


def test_a_district_leader_reads_the_board_and_a_points_reason(browser: Browser, site: str, output_dir: Path) -> None:
    points, colour, rank = expected("qingshi", "ybgg")
    visit = Visit(browser, site, viewport={"width": 1440, "height": 900})
    visit.login("lingdao")
    visit.page.get_by_role("link", name="成绩单").first.click()
    visit.page.wait_for_url(re.compile(re.escape(PATH)))
    cell = visit.page.get_by_test_id("pts-qingshi-ybgg")
    expect(cell).to_have_text(points)
    status_cell = visit.page.locator('tr[data-unit="qingshi"] td[data-status]').first
    expect(status_cell).to_have_class(re.compile(colour))
    expect(visit.page.get_by_test_id("rank-qingshi")).to_have_text(str(rank))
    expect(visit.page.get_by_test_id("mode")).to_contain_text("正式")
    visit.page.screenshot(path=str(output_dir / "scoreboard-leader.png"))
    cell.click()
    explanation = visit.page.get_by_test_id("explanation")
    expect(explanation).to_contain_text("一般公共预算收入")
    expect(explanation).to_contain_text("×8=")
    visit.page.screenshot(path=str(output_dir / "scoreboard-explanation.png"))
    assert visit.foreign == []
    visit.close()


def test_a_township_clerk_sees_his_own_card_only(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site, **PHONE)
    visit.login("qingshi_tb")
    visit.page.goto(site + PATH)
    cards = visit.page.get_by_test_id("cards")
    expect(cards).to_contain_text("青石镇")
    expect(cards).not_to_contain_text("白沙镇")
    visit.page.screenshot(path=str(output_dir / "scoreboard-clerk-phone.png"), full_page=True)
    response = visit.page.goto(site + PATH + "unit/baisha/")
    assert response is not None and response.status == 404
    response = visit.page.goto(site + PATH + "explain/baisha/dwzj/")
    assert response is not None and response.status == 404
    visit.close()
