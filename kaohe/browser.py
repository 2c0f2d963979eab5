"""Browser-test support: Debian's Chromium through Playwright, with every non-local request blocked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# Playwright's sync API runs an event loop in the test thread; the fixtures' ORM calls are safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page

from kaohe.demo.services import demo_password

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# axe-core, the accessibility checker, from npm (package.json's devDependencies): injected into the page by the
# test, never served by Kaohe. Its script tag needs the context's `bypass_csp`, as Kaohe's CSP allows no other.
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def contrast_violations(page: Page) -> list[str]:
    """axe-core's colour-contrast rule over the page as shown: one line per element that fails WCAG AA."""
    page.add_script_tag(path=str(AXE))
    found: list[str] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]}});
            return result.violations.flatMap(v => v.nodes.map(n => n.target.join(" ") + "：" + n.failureSummary));
        }"""
    )
    return found


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

    def first_login(self, username: str, new_password: str) -> None:
        """Log in with the one-time password the security admin set, and replace it as the site demands."""
        self.page.goto(self.base + "/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", demo_password())
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/accounts/password/")
        self.page.fill("#id_old_password", demo_password())
        self.page.fill("#id_new_password1", new_password)
        self.page.fill("#id_new_password2", new_password)
        self.page.get_by_role("button", name="保存").click()
        self.page.wait_for_url(self.base + "/")

    def close(self) -> None:
        self.context.close()
