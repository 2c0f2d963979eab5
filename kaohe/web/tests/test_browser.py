"""The shell in a real browser: Debian's Chromium driven by Playwright, with every non-local request blocked."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, expect, sync_playwright

from kaohe.demo.services import demo_is_loaded, demo_load, demo_password

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server: Any, transactional_db: None) -> str:
    # Transactional tests empty the database after each test; the first one still finds the demo.
    if not demo_is_loaded():
        demo_load()
    return str(live_server.url)


class Visit:
    """A page that records (and blocks) every request leaving the Kaohe server."""

    def __init__(self, browser: Browser, base: str, **context: Any) -> None:
        self.base = base
        self.foreign: list[str] = []
        self.context = browser.new_context(locale="zh-CN", **context)
        self.page: Page = self.context.new_page()
        own = urlparse(base).netloc
        self.page.route("**/*", self._guard(own))

    def _guard(self, own: str) -> Any:
        def handle(route: Any) -> None:
            url = route.request.url
            if urlparse(url).netloc == own or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.foreign.append(url)
                route.abort()

        return handle

    def login(self, username: str) -> None:
        self.page.goto(self.base + "/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", demo_password())
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def close(self) -> None:
        self.context.close()


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
