"""The shell in a real browser: Debian's Chromium driven by Playwright, with every non-local request blocked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kaohe.browser import Visit

pytestmark = pytest.mark.browser


def test_login_page_renders_completely_offline(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site)
    visit.page.goto(site + "/login/")
    expect(visit.page.get_by_role("heading", name="乡镇经济工作目标责任制考核")).to_be_visible()
    # Bootstrap's stylesheet applied: the submit button is styled, not a bare browser button.
    colour = visit.page.eval_on_selector("button[type=submit]", "b => getComputedStyle(b).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
    assert visit.page.evaluate("typeof htmx") == "object"
    visit.page.screenshot(path=str(output_dir / "login.png"), full_page=True)
    assert visit.foreign == []
    visit.close()


def test_wrong_password_shows_the_chinese_message(browser: Browser, site: str) -> None:
    visit = Visit(browser, site)
    visit.page.goto(site + "/login/")
    visit.page.fill("#id_username", "qingshi_tb")
    visit.page.fill("#id_password", "Wrong#Password1")
    visit.page.click("button[type=submit]")
    expect(visit.page.get_by_test_id("login-error")).to_have_text("用户名或密码不正确。")
    visit.close()


def test_township_clerk_sees_only_his_township(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site)
    visit.login("qingshi_tb")
    expect(visit.page.get_by_test_id("own-unit")).to_contain_text("青石镇")
    visit.page.click("text=组织机构")
    tree = visit.page.get_by_test_id("org-tree")
    expect(tree).to_contain_text("青石村")
    expect(tree).not_to_contain_text("白沙镇")
    visit.page.screenshot(path=str(output_dir / "org-township-clerk.png"), full_page=True)
    response = visit.page.goto(site + "/org/units/baisha/")
    assert response is not None and response.status == 404
    expect(visit.page.locator("h1")).to_have_text("页面不存在或您无权访问")
    assert visit.foreign == []
    visit.close()


def test_district_leader_sees_the_whole_district(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site)
    visit.login("lingdao")
    expect(visit.page.get_by_test_id("assessed-count")).to_have_text("14")
    visit.page.goto(site + "/org/")
    expect(visit.page.get_by_test_id("org-tree")).to_contain_text("南苑街道")
    visit.page.screenshot(path=str(output_dir / "org-district-leader.png"), full_page=True)
    visit.close()


def test_the_menu_works_on_a_phone(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    visit.login("qingshi_tb")
    menu_link = visit.page.get_by_role("link", name="组织机构")
    expect(menu_link).to_be_hidden()
    visit.page.get_by_label("打开菜单").click()
    expect(menu_link).to_be_visible()
    # Wait for the slide-in to finish so the screenshot shows the open menu.
    expect(visit.page.locator("#kh-menu")).to_have_class(re.compile(r"\bshow\b"))
    expect(visit.page.locator("#kh-menu")).not_to_have_class(re.compile(r"\bshowing\b"))
    visit.page.screenshot(path=str(output_dir / "phone-menu.png"))
    menu_link.click()
    expect(visit.page.get_by_test_id("org-tree")).to_contain_text("青石镇")
    # Nothing overflows sideways on a phone.
    assert visit.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    visit.close()
