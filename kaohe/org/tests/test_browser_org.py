"""The district admin changes the tree in the browser, no shell: a new township, a village moved into it, the
township renamed, another township deactivated from next year."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from kaohe.browser import Visit
from kaohe.core.models import ChangeLog
from kaohe.demo.services import DEMO_YEAR
from kaohe.org.choices import UnitKind
from kaohe.org.models import Unit, UnitGroup

pytestmark = pytest.mark.browser


def test_the_admin_creates_moves_renames_and_deactivates(browser: Browser, site: str, output_dir: Path) -> None:
    district = Unit.objects.get(kind=UnitKind.DISTRICT)
    group = UnitGroup.objects.order_by("sort_order", "code").first()
    village = Unit.objects.filter(kind=UnitKind.VILLAGE, parent__code="qingshi").order_by("code").first()
    assert group is not None and village is not None
    visit = Visit(browser, site)
    visit.login("kaoheban")
    page = visit.page

    page.goto(f"{site}/org/")
    page.get_by_test_id("unit-create").click()
    page.fill("#id_code", "xincheng")
    page.fill("#id_name", "新城镇")
    page.select_option("#id_kind", "town")
    page.select_option("#id_parent", str(district.pk))
    page.select_option("#id_group", str(group.pk))
    page.get_by_test_id("org-save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("新城镇")

    page.goto(f"{site}/org/units/{village.code}/")
    page.get_by_test_id("unit-edit").click()
    page.select_option("#id_parent", label="新城镇（镇，xincheng）")
    page.fill("#id_reason", "区划调整")
    page.get_by_test_id("org-save").click()
    expect(page.locator("dd").nth(1)).to_have_text("新城镇")

    page.goto(f"{site}/org/units/xincheng/")
    expect(page.get_by_text(village.name)).to_be_visible()
    page.get_by_test_id("unit-edit").click()
    page.fill("#id_name", "新城街道")
    page.select_option("#id_kind", "street")
    page.get_by_test_id("org-save").click()
    expect(page.get_by_text("请填写原因。")).to_be_visible()  # a change needs its reason
    page.fill("#id_reason", "撤镇设街道")
    page.get_by_test_id("org-save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("新城街道")

    page.goto(f"{site}/org/units/baisha/")
    page.get_by_test_id("unit-deactivate").click()
    page.fill("#id_from_year", str(DEMO_YEAR))
    page.fill("#id_reason", "并入城关街道")
    page.get_by_test_id("org-save").click()
    expect(page.get_by_text(f"{DEMO_YEAR}年考核方案已发布")).to_be_visible()  # this year is being scored
    page.fill("#id_from_year", str(DEMO_YEAR + 1))
    page.get_by_test_id("org-save").click()
    expect(page.get_by_test_id("unit-inactive")).to_have_text(f"自{DEMO_YEAR + 1}年起停用")
    page.screenshot(path=str(output_dir / "org-deactivated.png"), full_page=True)

    street = Unit.objects.get(code="xincheng")
    assert (street.name, street.kind, street.parent_id, street.group_id) == (
        "新城街道",
        "street",
        district.pk,
        group.pk,
    )
    assert Unit.objects.get(pk=village.pk).parent_id == street.pk
    assert Unit.objects.get(code="baisha").inactive_from == DEMO_YEAR + 1
    assert "baisha" not in set(Unit.objects.assessed(DEMO_YEAR + 1).values_list("code", flat=True))
    reasons = set(ChangeLog.objects.filter(object_type="org.unit", action="update").values_list("reason", flat=True))
    assert {"区划调整", "撤镇设街道", "并入城关街道"} <= reasons
    assert visit.foreign == []
    visit.close()
