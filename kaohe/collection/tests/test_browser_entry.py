"""The township form on a phone: Debian's Chromium driven by Playwright, every non-local request blocked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kaohe.accounts.models import User
from kaohe.browser import PHONE, Visit
from kaohe.collection import services
from kaohe.collection.models import Submission
from kaohe.demo.services import DEMO_MONTH, DEMO_YEAR
from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme

MONTH = DEMO_MONTH + 1  # the month after the demo's: the clerk's draft in progress

pytestmark = pytest.mark.browser


def open_draft(username: str, unit_code: str, month: int) -> Submission:
    """A draft in progress, made the way the clerk would: one figure saved through the services."""
    clerk = User.objects.get(username=username)
    unit = Unit.objects.get(code=unit_code)
    submission = services.submission_open(
        scheme=Scheme.objects.official().get(year=DEMO_YEAR), unit=unit, month=month, owner=None
    )
    return services.values_save(
        submission=submission, changes={"qyxm": services.Change(Decimal(3))}, by=clerk,
        expected_version=submission.version,
    )  # fmt: skip


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_clerk_fills_in_his_form_on_a_phone(browser: Browser, site: str, output_dir: Path) -> None:
    draft = open_draft("qingshi_tb", "qingshi", MONTH)
    visit = Visit(browser, site, **PHONE)
    visit.login("qingshi_tb")
    url = f"{site}/data/qingshi/{DEMO_YEAR}/{MONTH}/"
    visit.page.goto(url)
    expect(visit.page.get_by_test_id("status")).to_have_text("填报中")
    amount = visit.page.locator("#id_amount-qyje")
    expect(amount).to_have_attribute("inputmode", "decimal")
    # Big enough to hit with a thumb, and nothing runs off the side of a 375 px screen.
    box = amount.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 375
    assert no_sideways_scroll(visit.page)

    # A non-number is refused next to its field, and nothing is saved.
    amount.fill("12万")
    visit.page.get_by_role("button", name="保存").click()
    card = visit.page.locator('[data-indicator="qyje"]')
    expect(card.get_by_test_id("field-error")).to_have_text("请输入数字")
    assert Submission.objects.get(pk=draft.pk).version == draft.version

    amount = visit.page.locator("#id_amount-qyje")
    amount.fill("98765.43")
    expect(amount).to_have_value("98765.43")
    expect(card.get_by_test_id("field-error")).to_have_count(1)  # still the refused page, now corrected
    visit.page.get_by_role("button", name="保存").click()
    expect(card.get_by_test_id("field-error")).to_have_count(0)  # the error gone with the saved page
    expect(visit.page.get_by_role("alert")).to_have_text("已保存。")
    expect(visit.page.locator("#id_amount-qyje")).to_have_value("98,765.43")  # shown back as the board shows it
    saved = Submission.objects.get(pk=draft.pk)
    assert saved.values.get(indicator__code="qyje").amount == Decimal("98765.43")
    assert saved.values.get(indicator__code="qyxm").amount == Decimal(3)
    assert saved.version == draft.version + 1

    # Still there after a fresh load of the page.
    visit.page.goto(url)
    expect(visit.page.locator("#id_amount-qyje")).to_have_value("98,765.43")
    expect(visit.page.locator("#id_amount-qyxm")).to_have_value("3")
    assert no_sideways_scroll(visit.page)
    visit.page.screenshot(path=str(output_dir / "phone-entry-form.png"), full_page=True)
    assert visit.foreign == []
    visit.close()
