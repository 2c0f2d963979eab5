"""Review at the district's scale in Debian's Chromium: the demo's reviewer approves and returns several
submissions at once through the confirmation, and sees who has not reported once the deadline has passed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest.mock import patch

import pytest
from playwright.sync_api import Browser, expect

from kaohe.accounts.models import User
from kaohe.browser import Visit
from kaohe.collection import selectors, services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission
from kaohe.collection.timeliness import report_deadline
from kaohe.demo.services import DEMO_MONTH, DEMO_YEAR
from kaohe.schemes.models import Scheme

pytestmark = pytest.mark.browser

TOWNS = ["jinqiao", "qingshi", "chengguan", "longquan", "taoyuan"]
QUEUE = f"/data/review/{DEMO_YEAR}/{DEMO_MONTH}/"


def own_report(code: str) -> Submission:
    return Submission.objects.get(
        scheme__year=DEMO_YEAR, scheme__scenario="", month=DEMO_MONTH, unit__code=code, owner=None
    )


def handed_in_again(code: str) -> Submission:
    """The township's approved report, unlocked at its clerk's request by the district office, handed in again."""
    admin, clerk = User.objects.get(username="kaoheban"), User.objects.get(username=f"{code}_tb")
    asked = services.submission_unlock_request(submission=own_report(code), reason="核对口径", by=clerk)
    unlocked = services.submission_unlock(submission=asked, by=admin)
    return services.submission_submit(submission=unlocked, by=clerk)


def test_a_reviewer_approves_five_at_once_and_one_changed_meanwhile_is_refused(
    browser: Browser, site: str, output_dir: Path
) -> None:
    submissions = [handed_in_again(code) for code in TOWNS]
    visit = Visit(browser, site)
    visit.login("shenhe")
    visit.page.goto(site + QUEUE)
    for s in submissions:
        visit.page.get_by_test_id(f"pick-{s.pk}").check()
    visit.page.get_by_test_id("batch-approve").click()
    listed = visit.page.get_by_test_id("confirm-list").locator("tbody tr")
    expect(listed).to_have_count(5)
    expect(visit.page.get_by_test_id("confirm")).to_have_text("确认通过 5 份")
    visit.page.screenshot(path=str(output_dir / "review-batch-confirm.png"), full_page=True)

    # While the confirmation is open, the office returns 青石镇's figures and its clerk hands them in again.
    admin = User.objects.get(username="kaoheban")
    services.submission_return(submission=own_report("qingshi"), reason="请核实", by=admin)
    services.submission_submit(submission=own_report("qingshi"), by=User.objects.get(username="qingshi_tb"))
    visit.page.get_by_test_id("confirm").click()

    done = visit.page.get_by_role("alert").filter(has_text="已通过 4 份：")
    for name in ("金桥镇", "城关街道", "龙泉镇", "桃源镇"):
        expect(done).to_contain_text(f"{name}（乡镇自报）")
    expect(visit.page.get_by_text("未能通过：青石镇（乡镇自报）——您核对之后，数据已被修改或重新提交")).to_be_visible()
    statuses = {code: own_report(code).status for code in TOWNS}
    assert statuses == {code: SubmissionStatus.SUBMITTED if code == "qingshi" else SubmissionStatus.APPROVED
                        for code in TOWNS}  # fmt: skip

    # What is left waiting goes back with one reason for all.
    waiting = list(
        Submission.objects.filter(
            scheme__year=DEMO_YEAR, scheme__scenario="", month=DEMO_MONTH, status=SubmissionStatus.SUBMITTED
        )
    )
    visit.page.locator("[data-kh-pick-all]").check()
    visit.page.get_by_test_id("batch-return").click()
    expect(visit.page.get_by_test_id("confirm-list").locator("tbody tr")).to_have_count(len(waiting))
    visit.page.get_by_test_id("confirm").click()
    expect(visit.page.get_by_test_id("confirm-error")).to_have_text("请填写退回原因：可统一填写，也可逐份填写。")
    visit.page.get_by_label("退回原因（统一填写").fill("请补充佐证材料后重新提交")
    visit.page.get_by_test_id("confirm").click()
    expect(visit.page.get_by_text(f"已退回 {len(waiting)} 份")).to_be_visible()
    for s in waiting:
        s.refresh_from_db()
        assert (s.status, s.return_reason) == (SubmissionStatus.RETURNED, "请补充佐证材料后重新提交")
    visit.close()


def test_unreported_rows_appear_after_the_deadline_and_go_when_the_report_arrives(browser: Browser, site: str) -> None:
    deadline = report_deadline(Scheme.objects.official().get(year=DEMO_YEAR), DEMO_MONTH)
    visit = Visit(browser, site)
    visit.login("shenhe")
    with patch.object(selectors, "now", return_value=deadline - dt.timedelta(hours=2)):
        visit.page.goto(site + QUEUE)
        expect(visit.page.get_by_test_id("queue-missing")).to_have_count(0)
        expect(visit.page.get_by_test_id("queue-summary")).to_contain_text("未提交 1 份")
    with patch.object(selectors, "now", return_value=deadline + dt.timedelta(days=2)):
        visit.page.goto(site + QUEUE)
        # 南苑街道's report of the month is still a draft in the demo.
        row = visit.page.locator('[data-missing="nanyuan:self"]')
        expect(row).to_contain_text("填报中，未提交")
        expect(row).to_contain_text("2 天")
        services.submission_submit(submission=own_report("nanyuan"), by=User.objects.get(username="nanyuan_tb"))
        visit.page.reload()
        expect(row).to_have_count(0)
        expect(visit.page.get_by_test_id("queue-missing")).to_contain_text("本月应报数据均已提交。")
    visit.close()
