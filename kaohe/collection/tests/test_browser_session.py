"""No typing is ever lost, in Chromium on a desktop and a phone: a clerk's session expires while he types; 保存
takes him to the log-in page, and after logging in he is back on his form with what he typed restored and
nothing written until he saves again. Two minutes before the idle timeout the page offers 续期."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from playwright.sync_api import Browser, expect

from kaohe.browser import PHONE, Visit
from kaohe.collection.models import Submission
from kaohe.collection.tests.test_browser_entry import MONTH, open_draft
from kaohe.demo.services import DEMO_YEAR, demo_password

pytestmark = pytest.mark.browser

SIZES: dict[str, dict[str, Any]] = {"desktop": {"viewport": {"width": 1280, "height": 900}}, "phone": PHONE}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_typing_survives_an_expired_session_and_is_written_only_when_saved_again(
    browser: Browser, site: str, output_dir: Path, size: str
) -> None:
    draft = open_draft("qingshi_tb", "qingshi", MONTH)
    visit = Visit(browser, site, **SIZES[size])
    visit.login("qingshi_tb")
    page = visit.page
    url = f"{site}/data/qingshi/{DEMO_YEAR}/{MONTH}/"
    page.goto(url)
    page.locator("#id_amount-qyje").fill("98765.43")
    page.locator("#id_amount-qyxm").fill("5")
    Session.objects.all().delete()  # the idle timeout passed while he typed

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("login-expired")).to_be_visible()
    page.fill("#id_username", "qingshi_tb")
    page.fill("#id_password", demo_password())
    page.click("button[type=submit]")
    page.wait_for_url(url)  # his form, never the address it posted to (a 405 there)
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    expect(page.locator("#id_amount-qyje")).to_have_value("98765.43")
    expect(page.locator("#id_amount-qyxm")).to_have_value("5")
    unsaved = Submission.objects.get(pk=draft.pk)
    assert unsaved.version == draft.version  # restored in the browser only: nothing written
    assert not unsaved.values.filter(indicator__code="qyje").exists()
    page.screenshot(path=str(output_dir / f"draft-restored-{size}.png"), full_page=True)

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_have_text("已保存。")
    saved = Submission.objects.get(pk=draft.pk)
    assert saved.values.get(indicator__code="qyje").amount == Decimal("98765.43")
    assert saved.values.get(indicator__code="qyxm").amount == Decimal(5)
    page.goto(url)  # saved: nothing left to restore
    expect(page.locator("#id_amount-qyje")).to_have_value("98,765.43")
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)
    assert visit.foreign == []


def test_the_page_offers_to_renew_two_minutes_before_the_idle_timeout(browser: Browser, site: str) -> None:
    visit = Visit(browser, site)
    visit.page.clock.install()
    visit.login("qingshi_tb")
    page = visit.page
    page.goto(f"{site}/data/")
    expect(page.get_by_test_id("session-warning")).to_have_count(0)
    page.clock.run_for((settings.SESSION_COOKIE_AGE - 125) * 1000)
    expect(page.get_by_test_id("session-warning")).to_have_count(0)
    page.clock.run_for(10 * 1000)
    expect(page.get_by_test_id("session-warning")).to_be_visible()
    expect(page.get_by_test_id("session-text")).to_contain_text("登录将在 2 分钟后超时")
    page.get_by_test_id("session-renew").click()
    expect(page.get_by_test_id("session-warning")).to_be_hidden()
    # Once the session is gone, 续期 says so instead of pretending.
    page.clock.run_for((settings.SESSION_COOKIE_AGE - 110) * 1000)
    Session.objects.all().delete()
    page.get_by_test_id("session-renew").click()
    expect(page.get_by_test_id("session-text")).to_contain_text("登录已超时")
    assert visit.foreign == []


def test_typing_done_before_the_page_s_script_runs_is_never_overwritten(browser: Browser, site: str) -> None:
    # A draft of 111 is kept in the browser; the clerk types 222 before the page's script has run (a slow
    # network): restoring the draft must not overwrite what he typed on this page.
    open_draft("qingshi_tb", "qingshi", MONTH)
    visit = Visit(browser, site)
    visit.login("qingshi_tb")
    page = visit.page
    path = f"/data/qingshi/{DEMO_YEAR}/{MONTH}/"
    page.goto(site + path)
    key = f"kaohe:draft:qingshi_tb:{path}save/"
    page.evaluate("key => localStorage.setItem(key, JSON.stringify({values: {'amount-qyje': '111'}}))", key)
    held: list[Any] = []
    page.route("**/session*.js", lambda route: held.append(route))
    page.goto(site + path, wait_until="commit")
    page.locator("#id_amount-qyje").fill("222")
    assert held, "the page's script was requested"
    for route in held:
        route.continue_()
    expect(page.get_by_test_id("draft-restored")).to_be_visible()  # the kept draft is still announced
    expect(page.locator("#id_amount-qyje")).to_have_value("222")
    assert visit.foreign == []
