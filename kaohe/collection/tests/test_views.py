"""Data collection and review through the HTTP layer: every transition, the forbidden ones, and the scope.

The demo month (October of the demo year) has every state: 青石镇 approved, 南苑街道 a draft, 白沙镇
returned, 东湖街道 and 西山街道 waiting for review, the statistics bureau's figures waiting for review.
November has nothing yet, so it shows what a first save does.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client, SimpleTestCase, override_settings

from kaohe.accounts.access import access_submission
from kaohe.accounts.models import User
from kaohe.collection import services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.forms import (
    EVIDENCE_BAD_TYPE,
    EVIDENCE_MISMATCH,
    EVIDENCE_TOO_LARGE,
    NOT_A_NUMBER,
    parse_amount,
    validate_evidence,
)
from kaohe.collection.models import Submission, Value
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit
from kaohe.schemes.models import Indicator, Target
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

NEXT_MONTH = DEMO_MONTH + 1  # nothing entered yet in the demo
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def self_report(unit: str, month: int = DEMO_MONTH) -> Submission:
    return Submission.objects.get(scheme__year=DEMO_YEAR, unit__code=unit, month=month, owner=None)


def dept_report(unit: str, department: str, month: int = DEMO_MONTH) -> Submission:
    return Submission.objects.get(
        scheme__year=DEMO_YEAR, scheme__scenario="", unit__code=unit, month=month, owner__code=department
    )


def form_url(unit: str, month: int = DEMO_MONTH) -> str:
    return f"/data/{unit}/{DEMO_YEAR}/{month}/"


def save_url(unit: str, month: int = DEMO_MONTH) -> str:
    return f"/data/{unit}/{DEMO_YEAR}/{month}/save/"


def grid_url(indicator: str, month: int = DEMO_MONTH) -> str:
    return f"/data/dept/{indicator}/{DEMO_YEAR}/{month}/"


def text(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def form_data(submission: Submission, **changes: str) -> dict[str, Any]:
    """What the browser posts back for the form as saved, with `changes` (by indicator code) applied."""
    data: dict[str, Any] = {"version": submission.version, "action": "save"}
    values = {v.indicator.code: v for v in submission.values.select_related("indicator")}
    for ind in services.owner_indicators(submission):
        value = values.get(ind.code)
        data[f"amount-{ind.code}"] = text(value.amount) if value else ""
        data[f"note-{ind.code}"] = value.note if value else ""
        if value and value.is_revision:
            data[f"revision-{ind.code}"] = "on"
    data.update({f"amount-{code}": amount for code, amount in changes.items()})
    return data


def logged() -> int:
    return ChangeLog.objects.count()


class ViewTestCase(WorldTestCase):
    def login(self, username: str) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        return client

    def assert_unchanged(self, submission: Submission, log_count: int) -> None:
        fresh = Submission.objects.get(pk=submission.pk)
        self.assertEqual((fresh.status, fresh.version), (submission.status, submission.version))
        self.assertEqual(ChangeLog.objects.count(), log_count)


class TownshipFormTests(ViewTestCase):
    def test_the_clerk_gets_one_input_per_indicator_with_target_and_last_month(self) -> None:
        draft = self_report("nanyuan")
        response = self.login("nanyuan_tb").get(form_url("nanyuan"))
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        indicators = services.owner_indicators(draft)
        self.assertGreater(len(indicators), 1)
        for ind in indicators:
            self.assertIn(ind.name, page)
            self.assertIn(f'name="amount-{ind.code}"', page)
        self.assertEqual(page.count('inputmode="decimal"'), len(indicators))
        self.assertIn(f'name="version" value="{draft.version}"', page)
        self.assertIn("填报中", page)
        self.assertIn("保存", page)
        self.assertIn("提交审核", page)
        self.assertIn("collection.css", page)
        # Last month's figure and the annual target are shown beside the input.
        september = self_report("nanyuan", DEMO_MONTH - 1).values.get(indicator__code="qyje").amount
        self.assertIn(f"{september:,.2f}", page)
        self.assertIn("年度目标", page)
        # The evidence of a requires_evidence indicator is linked, with an upload to replace it.
        evidence = draft.values.get(indicator__code="dwzj")
        self.assertIn(f'href="/data/evidence/{evidence.pk}/"', page)
        self.assertIn('name="evidence-dwzj"', page)

    def test_an_approved_form_is_read_only_even_for_its_owner(self) -> None:
        response = self.login("qingshi_tb").get(form_url("qingshi"))
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        self.assertIn("已审核（锁定）", page)
        self.assertNotIn('name="amount-', page)
        self.assertNotIn("提交审核</button>", page)

    def test_a_reviewer_sees_the_form_without_inputs(self) -> None:
        for role in ("district_reviewer", "district_admin", "district_leader", "dept_officer"):
            with self.subTest(role=role):
                page = self.client_for(role).get(form_url("nanyuan")).content.decode()
                self.assertIn("招商引资实际到位资金", page)
                self.assertNotIn('inputmode="decimal"', page)
                self.assertNotIn('name="amount-', page)

    def test_a_returned_form_shows_the_reason_and_is_editable(self) -> None:
        page = self.login("baisha_tb").get(form_url("baisha")).content.decode()
        self.assertIn("已退回", page)
        self.assertIn("到位资金佐证材料不全", page)
        self.assertIn('name="amount-qyje"', page)

    def test_quality_issues_are_shown_next_to_their_indicator(self) -> None:
        draft = self_report("nanyuan")
        september = self_report("nanyuan", DEMO_MONTH - 1).values.get(indicator__code="qyje").amount
        client = self.login("nanyuan_tb")
        client.post(save_url("nanyuan"), form_data(draft, qyje=text(september - 1)))
        page = client.get(form_url("nanyuan")).content.decode()
        card = page.split('data-indicator="qyje"')[1].split("</section>")[0]
        self.assertIn("kh-issue-block", card)
        self.assertIn("低于1-9月", card)
        self.assertIn("必须修正", card)

    def test_a_township_user_of_another_township_gets_404_everywhere(self) -> None:
        baisha = self_report("baisha")
        evidence = baisha.values.exclude(evidence="").first()
        assert evidence is not None
        client = self.login("qingshi_tb")
        for url in (
            form_url("baisha"),
            form_url("baisha", NEXT_MONTH),
            f"/data/submission/{baisha.pk}/",
            f"/data/evidence/{evidence.pk}/",
        ):
            with self.subTest(url=url):
                response = client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertIn("页面不存在或您无权访问", response.content.decode())
        count = logged()
        response = client.post(save_url("baisha"), form_data(baisha, qyje="1"))
        self.assertEqual(response.status_code, 404)
        self.assert_unchanged(baisha, count)

    def test_a_village_or_an_unpublished_year_has_no_form(self) -> None:
        client = self.login("qingshi_tb")
        self.assertEqual(client.get(form_url("qingshi-01")).status_code, 404)
        self.assertEqual(client.get(f"/data/qingshi/{DEMO_YEAR + 5}/1/").status_code, 404)
        self.assertEqual(client.get(f"/data/qingshi/{DEMO_YEAR}/13/").status_code, 404)

    def test_saving_changes_the_figure_and_logs_before_and_after(self) -> None:
        draft = self_report("nanyuan")
        before = draft.values.get(indicator__code="qyje").amount
        new = before + Decimal("100.5")
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, qyje=text(new)))
        self.assertRedirects(response, form_url("nanyuan"))
        saved = self_report("nanyuan")
        self.assertEqual(saved.values.get(indicator__code="qyje").amount, new)
        self.assertEqual(saved.version, draft.version + 1)
        self.assertEqual(saved.status, SubmissionStatus.DRAFT)
        row = ChangeLog.objects.filter(object_type="collection.value").latest("id")
        self.assertEqual(row.action, "update")
        self.assertEqual(row.actor_username, "nanyuan_tb")
        self.assertEqual(Decimal(row.before["amount"]), before)  # type: ignore[index]
        self.assertEqual(Decimal(row.after["amount"]), new)  # type: ignore[index]
        follow = self.login("nanyuan_tb").get(form_url("nanyuan"))
        self.assertIn(f'value="{new:,.2f}"', follow.content.decode())  # shown as the board shows it: 71,603.25

    def test_an_unchanged_save_writes_nothing(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft))
        self.assertEqual(response.status_code, 302)
        self.assert_unchanged(draft, count)

    def test_a_non_number_is_refused_next_to_its_field_and_nothing_is_saved(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        for bad in ("abc", "1e5", "NaN", "12.3.4", "一百"):
            with self.subTest(bad=bad):
                data = form_data(draft, qyje=bad, qyxm="99")
                response = self.login("nanyuan_tb").post(save_url("nanyuan"), data)
                self.assertEqual(response.status_code, 400)
                page = response.content.decode()
                card = page.split('data-indicator="qyje"')[1].split("</section>")[0]
                self.assertIn(NOT_A_NUMBER, card)
                self.assertIn("is-invalid", card)
                # The user's typing is kept, so he only fixes the wrong field.
                self.assertIn(f'value="{bad}"', card)
                self.assert_unchanged(draft, count)
                self.assertNotEqual(self_report("nanyuan").values.get(indicator__code="qyxm").amount, 99)

    def test_too_many_decimals_are_refused(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, qyxm="1.5"))
        self.assertEqual(response.status_code, 400)
        self.assertIn("最多保留0位小数", response.content.decode())
        self.assert_unchanged(draft, count)

    def test_thousands_separators_are_accepted(self) -> None:
        draft = self_report("nanyuan")
        self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, qyje="1,234,567.89"))
        self.assertEqual(self_report("nanyuan").values.get(indicator__code="qyje").amount, Decimal("1234567.89"))

    def test_a_stale_version_shows_the_conflict_and_writes_nothing(self) -> None:
        draft = self_report("nanyuan")
        stale = form_data(draft, qyje="777")
        # Someone else saves first.
        self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, qyje="555"))
        moved = self_report("nanyuan")
        count = logged()
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), stale)
        self.assertEqual(response.status_code, 409)
        self.assertIn(services.STALE, response.content.decode())
        self.assert_unchanged(moved, count)
        self.assertEqual(self_report("nanyuan").values.get(indicator__code="qyje").amount, Decimal(555))
        # The page now carries the current version, so a reload-and-retry works.
        self.assertIn(f'name="version" value="{moved.version}"', response.content.decode())

    def test_a_reviewer_cannot_post_to_a_township_form(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        for role in ("district_reviewer", "district_admin", "district_leader", "supervisor"):
            with self.subTest(role=role):
                response = self.client_for(role).post(save_url("nanyuan"), form_data(draft, qyje="1"))
                self.assertEqual(response.status_code, 404)  # none of them may enter data
                self.assert_unchanged(draft, count)

    def test_a_department_officer_cannot_enter_a_townships_self_report(self) -> None:
        count = logged()
        response = self.client_for("dept_officer").post(
            save_url("qingshi", NEXT_MONTH), {"version": 0, "amount-qyje": "1", "action": "save"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertIn(services.NOT_OWNER, response.content.decode())
        self.assertEqual(ChangeLog.objects.count(), count)
        self.assertFalse(
            Submission.objects.filter(
                scheme__year=DEMO_YEAR, scheme__scenario="", month=NEXT_MONTH, owner=None
            ).exists()
        )

    def test_a_get_to_the_save_address_changes_nothing(self) -> None:
        count = logged()
        response = self.login("nanyuan_tb").get(save_url("nanyuan"))
        self.assertEqual(response.status_code, 405)
        self.assertEqual(ChangeLog.objects.count(), count)

    def test_the_first_save_of_a_month_opens_the_submission(self) -> None:
        client = self.login("qingshi_tb")
        page = client.get(form_url("qingshi", NEXT_MONTH)).content.decode()
        self.assertIn("尚未保存", page)
        self.assertIn('name="version" value="0"', page)
        # Reading the form wrote nothing.
        self.assertFalse(
            Submission.objects.filter(
                scheme__year=DEMO_YEAR, scheme__scenario="", unit__code="qingshi", month=NEXT_MONTH
            ).exists()
        )
        response = client.post(
            save_url("qingshi", NEXT_MONTH), {"version": "0", "amount-qyje": "250000", "action": "save"}
        )
        self.assertRedirects(response, form_url("qingshi", NEXT_MONTH))
        opened = self_report("qingshi", NEXT_MONTH)
        self.assertEqual((opened.status, opened.version), (SubmissionStatus.DRAFT, 1))
        self.assertEqual(opened.values.get().amount, Decimal(250000))
        row = ChangeLog.objects.filter(object_type="collection.value", object_id=str(opened.values.get().pk)).get()
        self.assertEqual((row.action, row.before), ("create", None))
        self.assertEqual(Decimal(row.after["amount"]), 250000)  # type: ignore[index]

    def test_crafted_fields_cannot_set_status_unit_or_foreign_indicators(self) -> None:
        draft = self_report("nanyuan")
        data = form_data(draft, qyje="4242")
        data.update({"status": "approved", "unit": "baisha", "amount-gyzcz": "1", "owner": "1", "reviewed_by": "1"})
        self.login("nanyuan_tb").post(save_url("nanyuan"), data)
        saved = self_report("nanyuan")
        self.assertEqual(saved.status, SubmissionStatus.DRAFT)
        self.assertEqual(saved.unit.code, "nanyuan")
        self.assertIsNone(saved.owner)
        self.assertFalse(saved.values.filter(indicator__code="gyzcz").exists())
        self.assertEqual(saved.values.get(indicator__code="qyje").amount, Decimal(4242))

    def test_submit_hands_the_figures_in_and_locks_the_form(self) -> None:
        draft = self_report("nanyuan")
        data = form_data(draft)
        data["action"] = "submit"
        client = self.login("nanyuan_tb")
        response = client.post(save_url("nanyuan"), data, follow=True)
        self.assertEqual(response.redirect_chain, [(form_url("nanyuan"), 302)])
        self.assertIn("已提交审核。", response.content.decode())
        submitted = self_report("nanyuan")
        self.assertEqual(submitted.status, SubmissionStatus.SUBMITTED)
        self.assertEqual(submitted.submitted_by.username, "nanyuan_tb")  # type: ignore[union-attr]
        row = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(draft.pk)).latest("id")
        self.assertEqual(row.action, "submit")
        self.assertEqual((row.before["status"], row.after["status"]), ("draft", "submitted"))  # type: ignore[index]
        page = client.get(form_url("nanyuan")).content.decode()
        self.assertIn("已提交待审核", page)
        self.assertNotIn('name="amount-', page)
        # Posting to it now is refused and writes nothing.
        count = logged()
        response = client.post(save_url("nanyuan"), form_data(submitted, qyje="1"))
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能修改", response.content.decode())
        self.assert_unchanged(submitted, count)

    def test_submit_with_a_blocking_problem_saves_but_does_not_submit(self) -> None:
        draft = self_report("nanyuan")
        september = self_report("nanyuan", DEMO_MONTH - 1).values.get(indicator__code="qyje").amount
        data = form_data(draft, qyje=text(september - 1))
        data["action"] = "submit"
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), data, follow=True)
        page = response.content.decode()
        self.assertIn("暂不能提交审核", page)
        self.assertIn("低于1-9月", page)
        saved = self_report("nanyuan")
        self.assertEqual(saved.status, SubmissionStatus.DRAFT)
        self.assertEqual(saved.values.get(indicator__code="qyje").amount, september - 1)

    def test_a_noted_statistical_revision_may_fall_below_last_month(self) -> None:
        draft = self_report("nanyuan")
        september = self_report("nanyuan", DEMO_MONTH - 1).values.get(indicator__code="qyje").amount
        data = form_data(draft, qyje=text(september - 1))
        data.update({"revision-qyje": "on", "note-qyje": "统计局核减重复统计项目", "action": "submit"})
        self.login("nanyuan_tb").post(save_url("nanyuan"), data)
        saved = self_report("nanyuan")
        self.assertEqual(saved.status, SubmissionStatus.SUBMITTED)
        value = saved.values.get(indicator__code="qyje")
        self.assertTrue(value.is_revision)
        self.assertEqual(value.note, "统计局核减重复统计项目")


# Uploads of these tests go to a throw-away directory, never into the checkout's var/media.
EVIDENCE_ROOT = tempfile.mkdtemp(prefix="kaohe-evidence-")


@override_settings(MEDIA_ROOT=EVIDENCE_ROOT)
class EvidenceTests(ViewTestCase):
    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(EVIDENCE_ROOT, ignore_errors=True)

    def upload(self, name: str, content: bytes) -> Any:
        draft = self_report("nanyuan")
        data = form_data(draft)
        data["evidence-dwzj"] = SimpleUploadedFile(name, content)
        return self.login("nanyuan_tb").post(save_url("nanyuan"), data)

    def test_an_uploaded_file_is_kept_and_downloaded_as_an_attachment(self) -> None:
        response = self.upload("到位资金进账单.pdf", PDF)
        self.assertEqual(response.status_code, 302)
        value = self_report("nanyuan").values.get(indicator__code="dwzj")
        self.assertTrue(value.evidence.name.endswith(".pdf"))
        row = ChangeLog.objects.filter(object_type="collection.value", object_id=str(value.pk)).latest("id")
        self.assertIn("到位资金进账单", row.after["evidence"])  # type: ignore[index]
        page = self.login("nanyuan_tb").get(form_url("nanyuan")).content.decode()
        self.assertIn(f"/data/evidence/{value.pk}/", page)
        download = self.client_for("district_reviewer").get(f"/data/evidence/{value.pk}/")
        self.assertEqual(download.status_code, 200)
        self.assertTrue(download["Content-Disposition"].startswith("attachment"))
        self.assertEqual(download["X-Content-Type-Options"], "nosniff")
        self.assertEqual(b"".join(download.streaming_content), PDF)  # type: ignore[attr-defined]
        # A township user of another township cannot fetch it.
        self.assertEqual(self.login("qingshi_tb").get(f"/data/evidence/{value.pk}/").status_code, 404)

    def test_other_file_types_are_refused_with_a_chinese_message(self) -> None:
        draft = self_report("nanyuan")
        for name, content, message in (
            ("setup.exe", b"MZ\x90\x00", EVIDENCE_BAD_TYPE),
            ("macro.xlsm", b"PK\x03\x04", EVIDENCE_BAD_TYPE),
            ("page.html", b"<script>alert(1)</script>", EVIDENCE_BAD_TYPE),
            ("renamed.pdf", b"MZ\x90\x00 not a pdf", EVIDENCE_MISMATCH),
        ):
            with self.subTest(name=name):
                count = logged()
                response = self.upload(name, content)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.content.decode())
                self.assert_unchanged(draft, count)

    def test_files_over_10_mb_are_refused(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        response = self.upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
        self.assertEqual(response.status_code, 400)
        self.assertIn(EVIDENCE_TOO_LARGE, response.content.decode())
        self.assert_unchanged(draft, count)

    def test_a_value_without_a_file_has_nothing_to_download(self) -> None:
        value = self_report("nanyuan").values.get(indicator__code="qyje")
        self.assertEqual(self.client_for("district_admin").get(f"/data/evidence/{value.pk}/").status_code, 404)
        self.assertEqual(self.client_for("district_admin").get("/data/evidence/999999999/").status_code, 404)


class ReviewTests(ViewTestCase):
    def test_the_queue_lists_submitted_figures_first_with_their_warnings(self) -> None:
        response = self.client_for("district_reviewer").get(f"/data/review/{DEMO_YEAR}/{DEMO_MONTH}/")
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        pending = page.split('data-testid="queue-submitted"')[1].split("</table>")[0]
        for unit in ("东湖街道", "西山街道"):
            self.assertIn(unit, pending)
        self.assertIn("乡镇自报", pending)
        self.assertIn("白沙镇", page.split('data-testid="queue-returned"')[1].split("</table>")[0])
        self.assertIn("青石镇", page.split('data-testid="queue-approved"')[1].split("</table>")[0])
        # 南苑街道's own report is a draft: not in the queue (its statistics bureau figures are, approved).
        self.assertNotIn(f'data-submission="{self_report("nanyuan").pk}"', page)
        approved = page.split('data-testid="queue-approved"')[1].split("</table>")[0]
        self.assertIn(f'data-submission="{dept_report("nanyuan", "tongji").pk}"', approved)

    def test_the_queue_is_for_reviewers_only(self) -> None:
        url = f"/data/review/{DEMO_YEAR}/{DEMO_MONTH}/"
        for role in ("township_clerk", "dept_officer", "district_leader", "audit_admin"):
            with self.subTest(role=role):
                self.assertEqual(self.client_for(role).get(url).status_code, 404)

    def test_the_detail_shows_values_issues_and_history_but_no_inputs_to_a_reviewer(self) -> None:
        pending = self_report("donghu")
        page = self.client_for("district_reviewer").get(f"/data/submission/{pending.pk}/").content.decode()
        self.assertIn("审核通过", page)
        self.assertIn("退回", page)
        self.assertNotIn('name="amount-', page)
        self.assertNotIn('inputmode="decimal"', page)
        for value in pending.values.select_related("indicator"):
            self.assertIn(value.indicator.name, page)
        history = page.split('data-testid="history"')[1]
        self.assertIn("提交", history)
        self.assertIn("状态：填报中 → 已提交待审核", history)

    def test_the_detail_is_read_only_for_viewers_in_scope(self) -> None:
        pending = self_report("donghu")
        for client in (self.client_for("district_leader"), self.client_for("dept_officer"), self.login("donghu_tb")):
            page = client.get(f"/data/submission/{pending.pk}/").content.decode()
            self.assertNotIn("审核通过</button>", page)
            self.assertNotIn("解锁</button>", page)
        self.assertEqual(self.login("qingshi_tb").get(f"/data/submission/{pending.pk}/").status_code, 404)

    def test_approve_locks_the_figures_and_is_logged(self) -> None:
        pending = self_report("donghu")
        response = self.client_for("district_reviewer").post(f"/data/submission/{pending.pk}/approve/")
        self.assertRedirects(response, f"/data/submission/{pending.pk}/")
        approved = self_report("donghu")
        self.assertEqual(approved.status, SubmissionStatus.APPROVED)
        self.assertEqual(approved.reviewed_by.username, "shenhe")  # type: ignore[union-attr]
        row = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(pending.pk)).latest("id")
        self.assertEqual((row.action, row.before["status"], row.after["status"]), ("approve", "submitted", "approved"))  # type: ignore[index]
        # The owner can no longer change a figure.
        count = logged()
        response = self.login("donghu_tb").post(save_url("donghu"), form_data(approved, qyje="1"))
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能修改", response.content.decode())
        self.assert_unchanged(approved, count)

    def test_approving_a_draft_is_refused_and_changes_nothing(self) -> None:
        draft = self_report("nanyuan")
        count = logged()
        response = self.client_for("district_reviewer").post(f"/data/submission/{draft.pk}/approve/")
        self.assertEqual(response.status_code, 400)
        self.assertIn("只能审核已提交的数据", response.content.decode())
        self.assert_unchanged(draft, count)

    def test_approving_twice_is_refused(self) -> None:
        approved = self_report("qingshi")
        count = logged()
        response = self.client_for("district_admin").post(f"/data/submission/{approved.pk}/approve/")
        self.assertEqual(response.status_code, 400)
        self.assert_unchanged(approved, count)

    def test_only_reviewers_may_approve_or_return(self) -> None:
        pending = self_report("donghu")
        count = logged()
        for client in (self.client_for("district_leader"), self.client_for("dept_officer"), self.login("donghu_tb")):
            self.assertEqual(client.post(f"/data/submission/{pending.pk}/approve/").status_code, 404)
            self.assertEqual(
                client.post(f"/data/submission/{pending.pk}/return/", {"return-reason": "x"}).status_code, 404
            )
        self.assert_unchanged(pending, count)

    def test_return_needs_a_reason(self) -> None:
        pending = self_report("xishan")
        count = logged()
        for reason in ("", "   "):
            response = self.client_for("district_reviewer").post(
                f"/data/submission/{pending.pk}/return/", {"return-reason": reason}
            )
            self.assertEqual(response.status_code, 400)
            self.assertIn("请填写退回原因。", response.content.decode())
            self.assert_unchanged(pending, count)

    def test_return_sends_the_reason_to_the_owner_who_corrects_and_resubmits(self) -> None:
        pending = self_report("xishan")
        response = self.client_for("district_reviewer").post(
            f"/data/submission/{pending.pk}/return/", {"return-reason": "签约额与合同不符，请核对。"}
        )
        self.assertRedirects(response, f"/data/submission/{pending.pk}/")
        returned = self_report("xishan")
        self.assertEqual(
            (returned.status, returned.return_reason), (SubmissionStatus.RETURNED, "签约额与合同不符，请核对。")
        )
        row = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(pending.pk)).latest("id")
        self.assertEqual((row.action, row.reason), ("return", "签约额与合同不符，请核对。"))
        clerk = self.login("xishan_tb")
        page = clerk.get(form_url("xishan")).content.decode()
        self.assertIn("签约额与合同不符，请核对。", page)
        data = form_data(returned)
        data["action"] = "submit"
        clerk.post(save_url("xishan"), data)
        self.assertEqual(self_report("xishan").status, SubmissionStatus.SUBMITTED)

    def test_unlock_is_asked_by_the_township_and_approved_by_the_admin(self) -> None:
        approved = self_report("qingshi")
        url = f"/data/submission/{approved.pk}/"
        count = logged()
        self.assertEqual(
            self.client_for("district_reviewer").post(f"{url}unlock/", {"unlock-reason": "更正"}).status_code, 404
        )
        clerk = self.login("qingshi_tb")
        self.assertIn('data-testid="unlock-ask"', clerk.get(url).content.decode())
        response = clerk.post(f"{url}unlock/request/", {"unlock-reason": ""})
        self.assertEqual(response.status_code, 400)
        self.assertIn("请填写解锁原因。", response.content.decode())
        self.assert_unchanged(approved, count)
        self.assertRedirects(clerk.post(f"{url}unlock/request/", {"unlock-reason": "统计局更正口径"}), url)
        self.assertEqual(self_report("qingshi").status, SubmissionStatus.APPROVED)  # asked, not yet unlocked

        admin = self.client_for("district_admin")
        page = admin.get(url).content.decode()
        self.assertIn("统计局更正口径", page.split('data-testid="unlock-request"')[1])
        self.assertIn('data-testid="unlock-approve"', page)
        self.assertNotIn("审核通过</button>", page)
        self.assertRedirects(admin.post(f"{url}unlock/", {"unlock-reason": ""}), url)
        unlocked = self_report("qingshi")
        self.assertEqual((unlocked.status, unlocked.return_reason), (SubmissionStatus.RETURNED, "解锁：统计局更正口径"))
        row = ChangeLog.objects.filter(object_type="collection.submission", object_id=str(approved.pk)).latest("id")
        self.assertEqual((row.action, row.before["status"], row.after["status"]), ("unlock", "approved", "returned"))  # type: ignore[index]
        # The township may now correct its figures again.
        response = self.login("qingshi_tb").post(save_url("qingshi"), form_data(unlocked, qyje="123456"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self_report("qingshi").values.get(indicator__code="qyje").amount, Decimal(123456))

    def test_the_office_s_queue_lists_the_year_s_unlock_requests(self) -> None:
        asked = self_report("donghu", DEMO_MONTH - 1)  # the demo's township asked to reopen September
        self.assertEqual(asked.unlock_requested_by.username, "donghu_tb")  # type: ignore[union-attr]
        queue = f"/data/review/{DEMO_YEAR}/{DEMO_MONTH}/"
        table = self.client_for("district_admin").get(queue).content.decode().split('data-testid="unlock-requests"')
        self.assertIn(f'data-unlock="{asked.pk}"', table[1])
        self.assertIn("误将一个意向项目计入", table[1])
        reviewer = self.client_for("district_reviewer").get(queue).content.decode()
        self.assertNotIn('data-testid="unlock-requests"', reviewer)  # reviewers do not unlock

    def test_unlocking_a_submitted_report_is_refused(self) -> None:
        pending = self_report("donghu")
        count = logged()
        response = self.client_for("district_admin").post(
            f"/data/submission/{pending.pk}/unlock/", {"unlock-reason": "试试"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("只有已审核的数据需要解锁", response.content.decode())
        self.assert_unchanged(pending, count)

    def test_the_history_shows_every_change_with_before_and_after(self) -> None:
        draft = self_report("nanyuan")
        before = draft.values.get(indicator__code="qyje").amount
        self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, qyje="8888.5"))
        page = self.client_for("district_reviewer").get(f"/data/submission/{draft.pk}/").content.decode()
        history = page.split('data-testid="history"')[1]
        self.assertIn(f"数值：{text(before)} → 8888.5", history)
        self.assertIn("南苑街道填报员", history)


class DepartmentGridTests(ViewTestCase):
    def test_the_officer_gets_one_row_per_township_for_a_new_month(self) -> None:
        response = self.client_for("dept_officer").get(grid_url("gyzcz", NEXT_MONTH))
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        townships = Unit.objects.assessed()
        self.assertEqual(page.count('name="amount-'), townships.count())
        for unit in townships:
            self.assertIn(unit.name, page)
        self.assertIn(f'name="version-{townships[0].code}" value="0"', page)

    def test_approved_rows_are_read_only(self) -> None:
        page = self.client_for("dept_officer").get(grid_url("gyzcz")).content.decode()
        self.assertNotIn('name="amount-', page)  # the bureau's October figures are approved and locked
        self.assertIn("已审核（锁定）", page)

    def test_saving_writes_only_the_touched_townships(self) -> None:
        stats = Department.objects.get(code="tongji")
        client = self.client_for("dept_officer")
        data = {"action": "save", "version-qingshi": "0", "amount-qingshi": "50000", "version-baisha": "0",
                "amount-baisha": "42000.5"}  # fmt: skip
        response = client.post(grid_url("gyzcz", NEXT_MONTH) + "save/", data)
        self.assertRedirects(response, grid_url("gyzcz", NEXT_MONTH))
        created = Submission.objects.filter(scheme__year=DEMO_YEAR, month=NEXT_MONTH, owner=stats)
        self.assertEqual(sorted(created.values_list("unit__code", flat=True)), ["baisha", "qingshi"])
        baisha = created.get(unit__code="baisha")
        self.assertEqual(baisha.values.get(indicator__code="gyzcz").amount, Decimal("42000.5"))
        row = ChangeLog.objects.filter(object_type="collection.value").latest("id")
        self.assertEqual(row.actor_username, "tongjiju")
        self.assertIsNotNone(row.after)

    def test_a_stale_row_rolls_back_the_whole_grid(self) -> None:
        client = self.client_for("dept_officer")
        client.post(grid_url("gyzcz", NEXT_MONTH) + "save/", {"version-baisha": "0", "amount-baisha": "1000"})
        self.assertEqual(dept_report("baisha", "tongji", NEXT_MONTH).version, 1)
        count = logged()
        data = {"version-qingshi": "0", "amount-qingshi": "5", "version-baisha": "0", "amount-baisha": "2000"}
        response = client.post(grid_url("gyzcz", NEXT_MONTH) + "save/", data)
        self.assertEqual(response.status_code, 409)
        self.assertIn(services.STALE, response.content.decode())
        self.assertEqual(ChangeLog.objects.count(), count)
        self.assertFalse(
            Submission.objects.filter(
                scheme__year=DEMO_YEAR, scheme__scenario="", unit__code="qingshi", month=NEXT_MONTH
            ).exists()
        )

    def test_a_non_number_saves_nothing(self) -> None:
        count = logged()
        response = self.client_for("dept_officer").post(
            grid_url("gyzcz", NEXT_MONTH) + "save/",
            {"version-qingshi": "0", "amount-qingshi": "12", "version-baisha": "0", "amount-baisha": "十二"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn(NOT_A_NUMBER, response.content.decode())
        self.assertEqual(ChangeLog.objects.count(), count)

    def test_submit_hands_in_each_complete_township_and_names_the_incomplete(self) -> None:
        stats = Department.objects.get(code="tongji")
        officer = User.objects.get(username="tongjiju")
        scheme = self_report("qingshi").scheme
        # 青石镇: every indicator of the bureau filled in (October's figures carried over).
        unit = Unit.objects.get(code="qingshi")
        opened = services.submission_open(scheme=scheme, unit=unit, month=NEXT_MONTH, owner=stats)
        october = {
            v.indicator.code: v.amount for v in dept_report("qingshi", "tongji").values.select_related("indicator")
        }
        changes = {i.code: services.Change(october[i.code]) for i in services.owner_indicators(opened)}
        services.values_save(submission=opened, changes=changes, by=officer, expected_version=opened.version)
        # 白沙镇: only the grid's indicator, so its other figures are missing.
        response = self.client_for("dept_officer").post(
            grid_url("gyzcz", NEXT_MONTH) + "save/",
            {"action": "submit", "version-baisha": "0", "amount-baisha": "1000"},
            follow=True,
        )
        page = response.content.decode()
        self.assertIn("已提交审核：青石镇", page)
        self.assertIn("1 个乡镇（街道）未能提交审核，原因列在各自一行", page)
        self.assertIn('data-testid="refused-baisha">未提交：数据未通过校验', page)  # on 白沙镇's own row
        self.assertEqual(dept_report("qingshi", "tongji", NEXT_MONTH).status, SubmissionStatus.SUBMITTED)
        self.assertEqual(dept_report("baisha", "tongji", NEXT_MONTH).status, SubmissionStatus.DRAFT)

    def test_another_department_and_other_roles_see_it_read_only(self) -> None:
        for client in (
            self.login("shangwuju"),
            self.client_for("district_reviewer"),
            self.client_for("district_leader"),
        ):
            page = client.get(grid_url("gyzcz", NEXT_MONTH)).content.decode()
            self.assertNotIn('name="amount-', page)
            self.assertIn("只读", page)
        count = logged()
        response = self.login("shangwuju").post(
            grid_url("gyzcz", NEXT_MONTH) + "save/", {"version-qingshi": "0", "amount-qingshi": "1"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(ChangeLog.objects.count(), count)

    def test_a_township_user_sees_his_own_row_only(self) -> None:
        page = self.login("qingshi_tb").get(grid_url("gyzcz")).content.decode()
        self.assertIn("青石镇", page)
        for other in Unit.objects.assessed().exclude(code="qingshi"):
            self.assertNotIn(other.name, page)

    def test_self_reported_and_unknown_indicators_have_no_grid(self) -> None:
        client = self.client_for("dept_officer")
        self.assertEqual(client.get(grid_url("dwzj")).status_code, 404)
        self.assertEqual(client.get(grid_url("no-such")).status_code, 404)


class TasksTests(ViewTestCase):
    def test_a_clerk_sees_his_townships_months_with_their_status(self) -> None:
        page = self.login("baisha_tb").get("/data/").content.decode()
        self.assertIn('data-testid="tasks-township"', page)
        self.assertIn(form_url("baisha"), page)
        self.assertIn("已退回", page)
        self.assertNotIn("/data/qingshi/", page)

    def test_a_department_officer_sees_his_indicators_by_month(self) -> None:
        page = self.client_for("dept_officer").get("/data/").content.decode()
        self.assertIn('data-testid="tasks-department"', page)
        for ind in Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="", owner__code="tongji").exclude(
            source="self"
        ):
            # Quarterly indicators are linked in the quarter's last months only; derived ones never.
            linked = grid_url(ind.code) in page
            self.assertEqual(linked, services.evaluated_in(ind, DEMO_MONTH) and not ind.is_derived, ind.code)
            self.assertEqual(grid_url(ind.code, 9) in page, not ind.is_derived, ind.code)
        self.assertNotIn(grid_url("dwzj"), page)

    def test_a_reviewer_sees_what_waits_for_review(self) -> None:
        page = self.client_for("district_reviewer").get("/data/").content.decode()
        self.assertIn('data-testid="tasks-review"', page)
        self.assertIn(f"/data/review/{DEMO_YEAR}/{DEMO_MONTH}/", page)
        pending = Submission.objects.filter(
            scheme__year=DEMO_YEAR, scheme__scenario="", month=DEMO_MONTH, status="submitted"
        ).count()
        row = page.split(f'data-month="{DEMO_MONTH}"')[1].split("</tr>")[0]
        self.assertIn(f'data-testid="pending">{pending}<', row)

    def test_the_year_can_be_switched_and_defaults_to_the_latest(self) -> None:
        client = self.client_for("district_reviewer")
        self.assertIn(f"/data/review/{DEMO_YEAR}/", client.get("/data/").content.decode())
        self.assertIn(f"/data/review/{DEMO_YEAR - 1}/12/", client.get(f"/data/?year={DEMO_YEAR - 1}").content.decode())
        self.assertIn(f"/data/review/{DEMO_YEAR}/", client.get("/data/?year=1900").content.decode())

    def test_the_menu_links_here_for_business_roles_only(self) -> None:
        self.assertIn('href="/data/"', self.client_for("township_clerk").get("/").content.decode())
        self.assertNotIn('href="/data/"', self.client_for("security_admin").get("/").content.decode())


class AccessSubmissionTests(ViewTestCase):
    """The gatekeeper itself: scope by the submission's unit, and the permission of each action."""

    def test_scope_and_actions(self) -> None:
        own, other = self_report("qingshi"), self_report("baisha")
        clerk = User.objects.get(username="qingshi_tb")
        self.assertEqual(access_submission(clerk, own.pk, "view"), own)
        self.assertEqual(access_submission(clerk, own.pk, "enter"), own)
        for submission_id, action in ((other.pk, "view"), (own.pk, "review"), (own.pk, "unlock"), (own.pk, "x")):
            with self.subTest(submission_id=submission_id, action=action), self.assertRaises(Http404):
                access_submission(clerk, submission_id, action)
        reviewer, admin = self.users["district_reviewer"], self.users["district_admin"]
        self.assertEqual(access_submission(reviewer, other.pk, "review"), other)
        with self.assertRaises(Http404):
            access_submission(reviewer, other.pk, "unlock")
        self.assertEqual(access_submission(admin, other.pk, "unlock"), other)
        with self.assertRaises(Http404):
            access_submission(self.users["audit_admin"], other.pk, "view")
        with self.assertRaises(Http404):
            access_submission(admin, 999999999, "view")


class ParsingTests(SimpleTestCase):
    def test_numbers_are_parsed_exactly_as_decimal(self) -> None:
        self.assertEqual(parse_amount("1234.56"), Decimal("1234.56"))
        self.assertEqual(parse_amount(" 1,234.5 "), Decimal("1234.5"))
        self.assertEqual(parse_amount("-3.2"), Decimal("-3.2"))
        self.assertEqual(parse_amount("0.1", 2) + parse_amount("0.2", 2), Decimal("0.3"))  # type: ignore[operator]
        self.assertIsNone(parse_amount("   "))

    def test_anything_else_is_not_a_number(self) -> None:
        for raw in ("abc", "1e5", "NaN", "Infinity", "1.2.3", "--1", "12元", "0x10"):
            with self.subTest(raw=raw), self.assertRaisesMessage(ValidationError, NOT_A_NUMBER):
                parse_amount(raw)

    def test_precision_and_size_limits(self) -> None:
        with self.assertRaisesMessage(ValidationError, "最多保留2位小数"):
            parse_amount("1.234", 2)
        with self.assertRaisesMessage(ValidationError, "数值过大"):
            parse_amount("1" + "0" * 16)
        self.assertEqual(parse_amount("9" * 16), Decimal("9" * 16))

    def test_evidence_rules(self) -> None:
        validate_evidence(SimpleUploadedFile("a.PDF", PDF))
        validate_evidence(SimpleUploadedFile("照片.jpeg", b"\xff\xd8\xff\xe0rest"))
        validate_evidence(SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\nrest"))
        validate_evidence(SimpleUploadedFile("c.docx", b"PK\x03\x04rest"))
        validate_evidence(SimpleUploadedFile("d.xlsx", b"PK\x03\x04rest"))
        for name, content, message in (
            ("e.doc", b"\xd0\xcf\x11\xe0", EVIDENCE_BAD_TYPE),
            ("noext", PDF, EVIDENCE_BAD_TYPE),
            ("f.pdf.exe", PDF, EVIDENCE_BAD_TYPE),
            ("g.png", PDF, EVIDENCE_MISMATCH),
            ("h.pdf", PDF + b"0" * (10 * 1024 * 1024), EVIDENCE_TOO_LARGE),
        ):
            with self.subTest(name=name), self.assertRaisesMessage(ValidationError, message):
                validate_evidence(SimpleUploadedFile(name, content))


class TypedFiguresTests(ViewTestCase):
    """A clerk's figure as he types it: each near miss refused beside its field with nothing saved, full-width
    digits taken as what they look like, and a count with a digit too many stopped by its indicator's bounds."""

    def post(self, **changes: str) -> tuple[Submission, str]:
        draft = self_report("nanyuan")
        response = self.login("nanyuan_tb").post(save_url("nanyuan"), form_data(draft, **changes))
        return draft, response.content.decode()

    def test_a_comma_that_is_no_thousands_separator_is_refused_not_stored_as_fifteen(self) -> None:
        draft, page = self.post(qyje="1,5")
        self.assertIn("“1,5”的逗号位置不对：千位分隔符每三位一个", page)
        self.assertEqual(self_report("nanyuan").values.get(indicator__code="qyje").amount,
                         draft.values.get(indicator__code="qyje").amount)  # fmt: skip
        self.assertEqual(self_report("nanyuan").version, draft.version)

    def test_full_width_digits_and_separators_are_saved_as_the_number(self) -> None:
        self.post(qyje="７１，６０３．２５")
        self.assertEqual(self_report("nanyuan").values.get(indicator__code="qyje").amount, Decimal("71603.25"))

    def test_digits_of_another_script_are_refused(self) -> None:
        draft, page = self.post(qyxm="٣")
        self.assertIn("含有 0–9 以外的数字字符", page)
        self.assertEqual(self_report("nanyuan").version, draft.version)

    def test_a_count_of_projects_is_not_sixteen_digits(self) -> None:
        draft, page = self.post(qyxm="1234567890123456")
        self.assertIn("“新签约亿元以上项目”的数值 1,234,567,890,123,456 超出合理范围（不超过 100,000 个）", page)
        self.assertEqual(self_report("nanyuan").version, draft.version)

    def test_the_form_shows_figures_as_the_board_does(self) -> None:
        page = self.login("nanyuan_tb").get(form_url("nanyuan")).content.decode()
        target = Target.objects.get(indicator__scheme__year=DEMO_YEAR, indicator__scheme__scenario="",
                                    indicator__code="qyje", unit__code="nanyuan")  # fmt: skip
        self.assertIn(f'data-testid="target">{target.amount:,.2f}<', page)  # 54,000.00, never 54000.00


class DepartmentSheetTests(ViewTestCase):
    """The department's month as one sheet: only its officer writes, one bad cell saves nothing."""

    URL = f"/data/dept/tongji/{DEMO_YEAR}/{NEXT_MONTH}/all/"

    def saved(self) -> int:
        return Value.objects.filter(
            submission__scheme__year=DEMO_YEAR, submission__month=NEXT_MONTH, submission__owner__code="tongji"
        ).count()

    def test_every_indicator_due_this_month_is_a_column_and_every_township_a_row(self) -> None:
        page = self.client_for("dept_officer").get(self.URL).content.decode()
        due = [i for i in Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="", owner__code="tongji")
               if services.evaluated_in(i, NEXT_MONTH) and not i.is_derived]  # fmt: skip
        for ind in due:
            self.assertIn(ind.name, page)
        self.assertEqual(page.count('data-kh-col="0"'), Unit.objects.assessed(DEMO_YEAR).count())
        reader = self.client_for("district_leader").get(self.URL).content.decode()
        self.assertIn('data-testid="readonly-note"', reader)
        self.assertNotIn('name="amount-', reader)

    def test_another_department_cannot_write_it(self) -> None:
        response = self.login("caizhengju").post(
            self.URL + "save/", {"amount-qingshi-gyzcz": "1", "version-qingshi": "0"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.saved(), 0)

    def test_one_bad_cell_saves_nothing_and_a_good_sheet_saves_each_township(self) -> None:
        bad = {"amount-qingshi-gyzcz": "1,5", "amount-baisha-gyzcz": "420000", "version-qingshi": "0",
               "version-baisha": "0", "action": "save"}  # fmt: skip
        response = self.client_for("dept_officer").post(self.URL + "save/", bad)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "“1,5”的逗号位置不对", status_code=400)
        self.assertEqual(self.saved(), 0)
        good = {**bad, "amount-qingshi-gyzcz": "640,000"}
        response = self.client_for("dept_officer").post(self.URL + "save/", good)
        self.assertRedirects(response, self.URL)
        self.assertEqual(self.saved(), 2)
        self.assertEqual(dept_report("qingshi", "tongji", NEXT_MONTH).values.get().amount, Decimal(640000))
