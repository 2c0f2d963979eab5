"""Excel templates and imports: the template round trip, every refusal, all-or-nothing, the 10,000-cell file.

Files are edited with openpyxl the way a user edits them in Excel, then imported through importers.import_file,
the code behind both the upload page and `kaohe import`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from unittest import mock
from urllib.parse import unquote

import openpyxl
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kaohe.accounts.models import User
from kaohe.collection import importers, templates_xlsx
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission, Value
from kaohe.collection.templates_xlsx import FIRST_DATA_ROW, VALUES_SHEET
from kaohe.core.models import ChangeLog
from kaohe.lib import xlsx
from kaohe.org.choices import UnitKind
from kaohe.org.models import Department, Unit
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Indicator, Scheme
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

Edits = Mapping[tuple[str, str], Any]  # (township code, indicator code) → new cell value


def user(username: str) -> User:
    return User.objects.select_related("unit", "department").get(username=username)


def download(username: str, year: int = DEMO_YEAR, month: int = DEMO_MONTH) -> bytes:
    return templates_xlsx.values_template(user=user(username), year=year, month=month).content


def positions(ws: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Township code → Excel row and indicator code → Excel column, from the hidden code column and row."""
    rows = {ws.cell(r, 1).value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value}
    columns = {ws.cell(3, c).value: c for c in range(2, ws.max_column + 1) if ws.cell(3, c).value}
    return rows, columns


def edit(content: bytes, edits: Edits, sheet: str = VALUES_SHEET) -> bytes:
    """Change cells as a user would in Excel (openpyxl keeps the hidden meta sheet, rows and columns)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    ws = book[sheet]
    rows, columns = positions(ws)
    for (unit, indicator), value in edits.items():
        ws.cell(rows[unit], columns[indicator]).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_of(content: bytes, unit: str, indicator: str) -> tuple[int, int]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[VALUES_SHEET]
    rows, columns = positions(ws)
    return rows[unit], columns[indicator]


def run(content: bytes, username: str, *, dry_run: bool = False, name: str = "模板.xlsx") -> importers.ImportReport:
    return importers.import_file(data=content, filename=name, by=user(username), dry_run=dry_run)


def amount(unit: str, indicator: str, month: int, year: int = DEMO_YEAR) -> Decimal | None:
    row = Value.objects.filter(
        submission__scheme__year=year,
        submission__scheme__scenario="",
        submission__month=month,
        submission__unit__code=unit,
        indicator__code=indicator,
    ).first()
    return row.amount if row else None


def snapshot() -> tuple[int, int, int, int]:
    """What an import may write: values, submissions (with their versions) and change-log rows."""
    versions = sum(Submission.objects.values_list("version", flat=True))
    return Value.objects.count(), Submission.objects.count(), versions, ChangeLog.objects.count()


class TemplateTests(WorldTestCase):
    def test_the_department_template_round_trip(self) -> None:
        content = download("tongjiju")
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(book.sheetnames[:2], [VALUES_SHEET, templates_xlsx.NOTES_SHEET])
        meta_sheet = book[xlsx.META_SHEET]
        self.assertEqual(meta_sheet.sheet_state, "veryHidden")
        meta = {r[0].value: r[1].value for r in meta_sheet.iter_rows()}
        self.assertEqual(
            {k: meta[k] for k in ("kind", "year", "month", "owner")},
            {"kind": "values", "year": str(DEMO_YEAR), "month": str(DEMO_MONTH), "owner": "tongji"},
        )
        self.assertIsNotNone(datetime.fromisoformat(meta["generated_at"]).tzinfo)
        ws = book[VALUES_SHEET]
        tongji = list(
            Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="", owner__code="tongji").order_by(
                "sort_order", "code"
            )
        )
        monthly = [i for i in tongji if i.frequency == "monthly"]  # October: the quarterly ones are not due
        # Two header rows (name over unit), merged on the left; the hidden code row and columns.
        self.assertEqual([ws.cell(1, c).value for c in (1, 2, 3)], ["乡镇编码", "版本", "乡镇（街道）"])
        self.assertEqual([ws.cell(1, 4 + k).value for k in range(len(monthly))], [i.name for i in monthly])
        self.assertEqual([ws.cell(2, 4 + k).value for k in range(len(monthly))], [i.unit for i in monthly])
        self.assertEqual([ws.cell(3, 4 + k).value for k in range(len(monthly))], [i.code for i in monthly])
        self.assertIsNone(ws.cell(1, 4 + len(monthly)).value)
        self.assertIn("A1:A2", {str(r) for r in ws.merged_cells.ranges})
        self.assertTrue(ws.row_dimensions[3].hidden)
        self.assertTrue(ws.column_dimensions["A"].hidden and ws.column_dimensions["B"].hidden)
        self.assertFalse(ws.column_dimensions["C"].hidden)
        self.assertEqual(ws.freeze_panes, "D4")
        self.assertTrue(ws.protection.sheet)
        units = list(Unit.objects.assessed().order_by("sort_order", "code"))
        self.assertEqual([ws.cell(FIRST_DATA_ROW + k, 1).value for k in range(len(units))], [u.code for u in units])
        self.assertEqual(ws.cell(FIRST_DATA_ROW, 3).value, units[0].name)
        # Pre-filled with the saved figures (exactly, as numbers).
        rows, columns = positions(ws)
        saved = amount("qingshi", "gyzcz", DEMO_MONTH)
        self.assertEqual(Decimal(str(ws.cell(rows["qingshi"], columns["gyzcz"]).value)), saved)
        # Validation: volumes ≥ 0; the growth rate may be negative (any number).
        rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
        volume = rules[f"{openpyxl.utils.get_column_letter(columns['gyzcz'])}4"]
        self.assertEqual((volume.type, volume.operator, volume.formula1), ("decimal", "greaterThanOrEqual", "0"))
        growth = rules[f"{openpyxl.utils.get_column_letter(columns['gyzjz'])}4"]
        self.assertEqual((growth.type, growth.operator or "between"), ("decimal", "between"))
        # October's statistics are handed in: their cells are locked; nothing to change, nothing written.
        self.assertTrue(ws.cell(rows["qingshi"], columns["gyzcz"]).protection.locked)
        before = snapshot()
        report = run(content, "tongjiju")
        self.assertTrue(report.ok, report.lines())
        self.assertEqual((report.written, report.unchanged), (0, Value.objects.filter(
            submission__scheme__year=DEMO_YEAR, submission__month=DEMO_MONTH, submission__owner__code="tongji"
        ).count()))  # fmt: skip
        self.assertEqual(snapshot(), before)

    def test_value_cells_of_an_open_month_are_unlocked_and_no_task_cells_locked(self) -> None:
        content = download("tongjiju", month=12)  # December: quarterly agriculture indicators are due
        ws = openpyxl.load_workbook(io.BytesIO(content))[VALUES_SHEET]
        rows, columns = positions(ws)
        self.assertFalse(ws.cell(rows["qingshi"], columns["gyzcz"]).protection.locked)
        self.assertTrue(ws.cell(rows["qingshi"], 3).protection.locked)  # names stay locked
        # Streets have no farming targets (无任务): grey and locked.
        no_task = ws.cell(rows["chengguan"], columns["nlmy"])
        self.assertTrue(no_task.protection.locked)
        self.assertEqual(no_task.fill.fgColor.rgb[-6:], templates_xlsx.GREY[1:])
        self.assertFalse(ws.cell(rows["qingshi"], columns["nlmy"]).protection.locked)

    def test_a_township_user_gets_his_own_township_only(self) -> None:
        template = templates_xlsx.values_template(user=user("qingshi_tb"), year=DEMO_YEAR, month=DEMO_MONTH)
        self.assertEqual([r.code for r in template.grid.rows], ["qingshi"])
        self.assertEqual(template.grid.meta["owner"], "self")
        self.assertEqual(template.filename, f"{DEMO_YEAR}年1-{DEMO_MONTH}月_青石镇_数据填报模板.xlsx")
        self.assertTrue(all(c.code in {"dwzj", "qyxm", "qyje", "qyzh", "kgxm"} for c in template.grid.columns))

    def test_file_name_is_chinese_with_an_ascii_fallback(self) -> None:
        template = templates_xlsx.values_template(user=user("tongjiju"), year=DEMO_YEAR, month=DEMO_MONTH)
        self.assertEqual(template.filename, f"{DEMO_YEAR}年1-{DEMO_MONTH}月_统计局_数据填报模板.xlsx")
        header = template.content_disposition
        self.assertTrue(header.startswith(f'attachment; filename="kaohe-values-{DEMO_YEAR}-{DEMO_MONTH}-tongji.xlsx"'))
        self.assertEqual(unquote(header.split("filename*=UTF-8''")[1]), template.filename)

    def test_text_that_looks_like_a_formula_is_exported_as_text(self) -> None:
        names = {"qingshi": '=HYPERLINK("http://x")', "baisha": "+1+2", "longquan": "-3", "jinqiao": "@SUM(A1)"}
        for code, name in names.items():
            Unit.objects.filter(code=code).update(name=name)
        content = download("tongjiju")
        book = openpyxl.load_workbook(io.BytesIO(content))
        ws = book[VALUES_SHEET]
        rows, columns = positions(ws)
        for code, name in names.items():
            cell = ws.cell(rows[code], 3)
            self.assertEqual((cell.data_type, cell.value), ("s", "'" + name), code)
        self.assertEqual(ws.cell(rows["qingshi"], columns["gyzcz"]).data_type, "n")  # numbers stay numbers
        # The escaped names still import: codes are what the importer matches on.
        self.assertTrue(run(content, "tongjiju").ok)


class ValuesImportTests(WorldTestCase):
    """An open month (November, nothing saved yet) and the demo's October in its workflow states."""

    month = DEMO_MONTH + 1

    def blank(self, username: str = "tongjiju") -> bytes:
        return download(username, month=self.month)

    def test_a_valid_file_is_written_with_its_change_log(self) -> None:
        content = edit(self.blank(), {("qingshi", "gyzcz"): Decimal("400000.12"), ("baisha", "gyzjz"): Decimal("-2.5"),
                                      ("qingshi", "xrg"): 3})  # fmt: skip
        logged = ChangeLog.objects.count()
        report = run(content, "tongjiju", name="十一月.xlsx")
        self.assertTrue(report.ok, report.lines())
        self.assertEqual((report.created, report.updated, report.deleted, report.groups), (3, 0, 0, 2))
        self.assertEqual(report.summary, "已导入 3 个数据，涉及 2 份报送。")
        self.assertEqual(amount("qingshi", "gyzcz", self.month), Decimal("400000.12"))
        self.assertEqual(amount("baisha", "gyzjz", self.month), Decimal("-2.5"))
        submission = Submission.objects.get(scheme__year=DEMO_YEAR, month=self.month, unit__code="qingshi",
                                            owner__code="tongji")  # fmt: skip
        self.assertEqual((submission.status, submission.version), (SubmissionStatus.DRAFT, 1))
        rows = ChangeLog.objects.filter(pk__gt=ChangeLog.objects.order_by("pk")[logged - 1].pk)
        self.assertEqual(rows.count(), 4)
        value_rows = rows.filter(object_type="collection.value", action="create")
        self.assertEqual(value_rows.count(), 3)
        first = value_rows.get(after__amount="400000.12")
        self.assertEqual((first.actor_username, first.actor_scope, first.before), ("tongjiju", "tongji", None))
        self.assertEqual(first.reason, "Excel 导入：十一月.xlsx")
        imported = rows.get(action="import")
        self.assertIn("十一月.xlsx", imported.object_repr)
        self.assertEqual(imported.after["created"], 3)  # type: ignore[index]

        # Re-importing the same file changes nothing; a figure changed since is an update with its before.
        again = run(content, "tongjiju")
        self.assertEqual((again.ok, again.written), (True, 0))
        fresh = edit(self.blank(), {("qingshi", "gyzcz"): Decimal("400001")})
        report = run(fresh, "tongjiju")
        self.assertEqual((report.created, report.updated), (0, 1), report.lines())
        row = ChangeLog.objects.filter(object_type="collection.value", action="update").latest("pk")
        self.assertEqual((row.before["amount"], row.after["amount"]), ("400000.1200", "400001"))  # type: ignore[index]
        submission.refresh_from_db()
        self.assertEqual(submission.version, 2)

    def test_a_blank_cell_deletes_the_saved_figure(self) -> None:
        self.assertTrue(run(edit(self.blank(), {("qingshi", "gyzcz"): 5}), "tongjiju").ok)
        report = run(edit(self.blank(), {("qingshi", "gyzcz"): None}), "tongjiju")
        self.assertEqual((report.ok, report.deleted), (True, 1), report.lines())
        self.assertIsNone(amount("qingshi", "gyzcz", self.month))
        row = ChangeLog.objects.filter(object_type="collection.value").latest("pk")
        self.assertEqual((row.action, row.before["amount"], row.after), ("delete", "5.0000", None))  # type: ignore[index]

    def assertRefused(self, report: importers.ImportReport, expected: list[tuple[int, int, str]]) -> None:
        self.assertFalse(report.ok)
        got = [(p.row, p.column, p.message) for p in report.problems]
        self.assertEqual(len(got), len(expected), report.lines())
        for (row, column, message), (p_row, p_column, p_message) in zip(expected, got, strict=True):
            self.assertEqual((p_row, p_column), (row, column), p_message)
            self.assertIn(message, p_message)

    def test_every_bad_cell_is_reported_and_nothing_is_written(self) -> None:
        blank = self.blank()
        edits = {
            ("qingshi", "gyzcz"): "abc",
            ("baisha", "gyzcz"): "123",  # a number typed as text
            ("longquan", "gyzcz"): Decimal("-1"),
            ("jinqiao", "gyzcz"): Decimal("1.234"),
            ("shimen", "xrg"): Decimal("1.5"),  # a count: no decimals
            ("qinghe", "gyzcz"): True,
            ("songlin", "gyzcz"): Decimal("12"),  # fine, but the file is refused as a whole
        }
        content = edit(blank, edits)
        before = snapshot()
        report = run(content, "tongjiju")
        where = {unit: cell_of(blank, unit, ind) for unit, ind in edits}
        self.assertRefused(report, [
            (*where["qingshi"], "“abc”不是数字"),
            (*where["baisha"], "数字“123”以文本格式保存"),
            (*where["longquan"], "为累计量，不能为负数（-1）"),
            (*where["jinqiao"], "小数位数超过该指标允许的 2 位（1.234），系统不会自动四舍五入"),
            (*where["shimen"], "小数位数超过该指标允许的 0 位（1.5）"),
            (*where["qinghe"], "不是数字（为逻辑值 TRUE）"),
        ])  # fmt: skip
        self.assertEqual(report.message, "文件有 6 处错误，未导入任何数据。请逐一修正后重新上传。")
        self.assertEqual(report.problems[0].sheet, VALUES_SHEET)
        self.assertEqual(report.problems[0].column_letter, "D")
        self.assertEqual(snapshot(), before)

    def test_a_submitted_or_approved_month_cannot_be_changed(self) -> None:
        cases = [(SubmissionStatus.SUBMITTED, importers.SUBMITTED), (SubmissionStatus.APPROVED, importers.APPROVED)]
        for status, message in cases:
            # A township's self-report in that state (the demo's October has both), changed by its own clerk.
            submission = Submission.objects.filter(
                scheme__year=DEMO_YEAR, scheme__scenario="", month=DEMO_MONTH, owner=None, status=status
            ).exclude(unit__code="qingshi")[0]
            unit, clerk = submission.unit.code, f"{submission.unit.code}_tb"
            content = edit(download(clerk), {(unit, "qyje"): Decimal("0.5")})
            before = snapshot()
            report = run(content, clerk)
            self.assertRefused(report, [(*cell_of(content, unit, "qyje"), message)])
            self.assertEqual(snapshot(), before)
        self.assertEqual(importers.SUBMITTED, "该乡镇本期数据已提交，不能导入")

    def test_a_returned_self_report_can_be_corrected(self) -> None:
        content = edit(download("baisha_tb"), {("baisha", "qyje"): Decimal("98765.43")})
        report = run(content, "baisha_tb")
        self.assertEqual((report.ok, report.updated), (True, 1), report.lines())
        self.assertEqual(amount("baisha", "qyje", DEMO_MONTH), Decimal("98765.43"))

    def test_a_file_older_than_the_data_is_refused_where_it_would_overwrite(self) -> None:
        old = self.blank()
        self.assertTrue(run(edit(old, {("qingshi", "gyzcz"): 7}), "tongjiju").ok)
        report = run(edit(old, {("qingshi", "gdzc"): 9}), "tongjiju")
        # The old file's blank 规上工业总产值 would delete the figure saved since: refused as well.
        self.assertRefused(report, [
            (*cell_of(old, "qingshi", "gyzcz"), "模板下载后已被修改（版本 0 → 1）"),
            (*cell_of(old, "qingshi", "gdzc"), "模板下载后已被修改（版本 0 → 1）"),
        ])  # fmt: skip
        # Where the old file agrees with the data, and in other townships, it still goes in.
        report = run(edit(old, {("qingshi", "gyzcz"): 7, ("baisha", "gdzc"): 9}), "tongjiju")
        self.assertEqual((report.ok, report.created, report.unchanged), (True, 1, 1), report.lines())

    def test_a_township_user_cannot_import_into_another_township(self) -> None:
        content = download("nanyuan_tb")
        book = openpyxl.load_workbook(io.BytesIO(content))
        ws = book[VALUES_SHEET]
        ws.cell(FIRST_DATA_ROW, 1).value = "qingshi"  # the hidden code column, pointed at another township
        out = io.BytesIO()
        book.save(out)
        before = snapshot()
        report = run(out.getvalue(), "nanyuan_tb")
        self.assertRefused(report, [(FIRST_DATA_ROW, 3, "不在您的填报范围内，只能导入本乡镇的数据")])
        self.assertEqual(snapshot(), before)

    def test_unknown_codes_and_foreign_indicators_are_reported(self) -> None:
        book = openpyxl.load_workbook(io.BytesIO(self.blank()))
        ws = book[VALUES_SHEET]
        ws.cell(3, 4).value = "ybgg"  # the finance bureau's indicator in the statistics bureau's file
        ws.cell(3, 5).value = "nosuch"
        ws.cell(FIRST_DATA_ROW + 1, 1).value = "nowhere"
        ws.cell(FIRST_DATA_ROW + 2, 1).value = "qingshi-01"  # a village
        out = io.BytesIO()
        book.save(out)
        report = run(out.getvalue(), "tongjiju")
        self.assertRefused(report, [
            (1, 4, "指标“一般公共预算收入”不是统计局填报的指标"),
            (1, 5, "指标编码“nosuch”不在"),
            (FIRST_DATA_ROW + 1, 3, "乡镇编码“nowhere”不存在"),
            (FIRST_DATA_ROW + 2, 3, "不是参加考核的乡镇（街道）"),
        ])  # fmt: skip

    def test_a_no_task_cell_is_refused(self) -> None:
        content = edit(download("tongjiju", month=12), {("chengguan", "nlmy"): 100, ("qingshi", "nlmy"): 100})
        report = run(content, "tongjiju")
        self.assertRefused(report, [(*cell_of(content, "chengguan", "nlmy"), "无目标任务（无任务）")])

    def test_the_wrong_owner_is_refused_as_a_whole(self) -> None:
        report = run(self.blank("qingshi_tb"), "tongjiju")
        self.assertEqual((report.ok, report.message), (False, importers.NOT_OWNER_SELF))
        report = run(self.blank(), "caizhengju")
        self.assertEqual((report.ok, report.message), (False, "本模板是统计局的数据，只有统计局的数据员可以导入。"))
        report = run(self.blank(), "shenhe")
        self.assertEqual((report.ok, report.message), (False, importers.NO_VALUES_ROLE))

    def test_a_figure_beyond_its_indicator_s_bounds_is_refused_at_its_cell(self) -> None:
        # A count of new enterprises with a digit too many, a growth rate below −100 %: typing slips, not results.
        content = edit(self.blank(), {("qingshi", "xrg"): 1000001, ("baisha", "gyzjz"): Decimal("-150")})
        before = snapshot()
        report = run(content, "tongjiju")
        self.assertRefused(report, [
            (*cell_of(content, "qingshi", "xrg"),
             "“新增规上工业企业”的数值 1,000,001 超出合理范围（不超过 100,000 个），请核对是否多输了位数或单位"),
            (*cell_of(content, "baisha", "gyzjz"),
             "“规上工业增加值增速”的数值 -150% 超出合理范围（不低于 -100%），请核对"),
        ])  # fmt: skip
        self.assertEqual(snapshot(), before)

    def test_a_values_template_cannot_be_sent_to_another_year(self) -> None:
        content = edit(self.blank(), {("qingshi", "gyzcz"): 1})
        before = snapshot()
        user = User.objects.get(username="tongjiju")
        report = importers.import_file(data=content, filename="x.xlsx", by=user, year=DEMO_YEAR + 1)
        self.assertEqual((report.ok, report.message), (False, importers.VALUES_YEAR_FIXED.format(year=DEMO_YEAR)))
        self.assertEqual(snapshot(), before)

    def test_a_file_without_meta_is_refused_in_chinese(self) -> None:
        plain = xlsx.write_workbook([xlsx.Sheet("Sheet1", [xlsx.Column("乡镇")], [["青石镇"]])])
        report = run(plain, "tongjiju")
        self.assertEqual((report.ok, report.message), (False, importers.NO_META))
        self.assertIn("请先在系统中下载导入模板", report.message)

    def test_a_dry_run_reports_and_writes_nothing(self) -> None:
        content = edit(self.blank(), {("qingshi", "gyzcz"): 1, ("baisha", "gyzcz"): 2})
        before = snapshot()
        report = run(content, "tongjiju", dry_run=True)
        self.assertEqual((report.ok, report.created, report.groups), (True, 2, 2))
        self.assertEqual(report.summary, "试导入：将写入 2 个数据，涉及 2 份报送（本次未写入任何数据）。")
        self.assertEqual(snapshot(), before)

    def test_a_database_failure_midway_leaves_nothing_written(self) -> None:
        content = edit(self.blank(), {("qingshi", "gyzcz"): 1, ("baisha", "gyzcz"): 2})
        before = snapshot()
        with mock.patch.object(ChangeLog.objects, "bulk_create", side_effect=DatabaseError("disk full")):
            report = run(content, "tongjiju")
        self.assertEqual((report.ok, report.message), (False, importers.DB_FAILED))
        self.assertEqual(snapshot(), before)
        self.assertIsNone(amount("qingshi", "gyzcz", self.month))
        self.assertTrue(run(content, "tongjiju").ok)  # and the same file goes in once the database is well

    def test_a_failing_statement_midway_leaves_nothing_written(self) -> None:
        self.assertTrue(run(edit(self.blank(), {("qingshi", "gyzcz"): 1}), "tongjiju").ok)
        content = edit(self.blank(), {("qingshi", "gyzcz"): 2, ("baisha", "gyzcz"): 3})  # an update, then a create
        before = snapshot()
        broken = {**importers.PG_SQL, "create": "INSERT INTO no_such_table VALUES (1)"}
        with mock.patch.object(importers, "PG_SQL", broken):
            report = run(content, "tongjiju")
        self.assertEqual((report.ok, report.message), (False, importers.DB_FAILED))
        self.assertEqual(snapshot(), before)
        self.assertEqual(amount("qingshi", "gyzcz", self.month), Decimal(1))

    def test_both_writers_write_the_same_rows(self) -> None:
        """The PostgreSQL writer (COPY and set-based SQL) and the portable one (bulk_create) agree row for row."""

        class Rollback(Exception):
            pass

        results = []
        for vendors in (frozenset(), importers.FAST_VENDORS):
            with mock.patch.object(importers, "FAST_VENDORS", vendors):
                try:
                    with transaction.atomic():
                        start = ChangeLog.objects.order_by("-pk").values_list("pk", flat=True)[0]
                        first = {("qingshi", "gyzcz"): Decimal("1.5"), ("qingshi", "gdzc"): 2, ("baisha", "xrg"): 3}
                        self.assertTrue(run(edit(self.blank(), first), "tongjiju").ok)
                        second = {("qingshi", "gyzcz"): Decimal("1.75"), ("qingshi", "gdzc"): None,
                                  ("baisha", "xrg"): 3, ("baisha", "gdzc"): Decimal("0.01")}  # fmt: skip
                        report = run(edit(self.blank(), second), "tongjiju")
                        self.assertEqual((report.created, report.updated, report.deleted), (1, 1, 1))
                        values = sorted(
                            Value.objects.filter(submission__scheme__year=DEMO_YEAR, submission__month=self.month)
                            .values_list("submission__unit__code", "indicator__code", "amount", "entered_by__username",
                                         "is_revision", "note", "evidence", "submission__version")
                        )  # fmt: skip
                        rows = list(ChangeLog.objects.filter(pk__gt=start))
                        logs = sorted(
                            (row.action, row.object_type, row.object_repr, str(row.before), str(row.after),
                             row.actor_username, row.actor_role, row.actor_scope, row.reason, row.success)
                            for row in rows
                        )  # fmt: skip
                        # Each surviving figure's rows name it by its id.
                        for row in rows:
                            if row.action == "update":
                                self.assertEqual(Value.objects.get(pk=row.object_id).amount, Decimal("1.75"))
                        results.append((values, logs))
                        raise Rollback
                except Rollback:
                    pass
        self.assertEqual(len(results[0][1]), 8)  # 3 creates and the import row; a create, an update, a deletion, import
        self.assertEqual(results[0], results[1])

    def test_formula_and_error_cells_are_refused(self) -> None:
        content = edit(self.blank(), {("qingshi", "gyzcz"): "=1+1"})
        report = run(content, "tongjiju")
        self.assertFalse(report.ok)
        self.assertIn("公式", report.message)
        self.assertEqual([(p.row, p.column) for p in report.problems], [cell_of(content, "qingshi", "gyzcz")])


class TenThousandCellsTests(WorldTestCase):
    """A year of 250 more townships × 40 indicators: one bad cell among 10,000 writes nothing."""

    YEAR = 2031
    scheme: ClassVar[Scheme]
    units: ClassVar[list[Unit]]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        admin = cls.users["district_admin"]
        cls.scheme = scheme_services.scheme_create(year=cls.YEAR, name=f"{cls.YEAR}年测试方案", by=admin)
        category = scheme_services.category_create(scheme=cls.scheme, code="economy", name="经济发展", by=admin)
        tongji = Department.objects.get(code="tongji")
        Indicator.objects.bulk_create(
            Indicator(
                scheme=cls.scheme, category=category, code=f"i{k:02d}", name=f"测试指标{k:02d}", unit="万元",
                kind="cumulative", owner=tongji, source="statistics", weight=Decimal("2.5"), decimal_places=2,
                sort_order=k,
            )
            for k in range(40)
        )  # fmt: skip
        district = Unit.objects.get(kind=UnitKind.DISTRICT)
        Unit.objects.bulk_create(
            Unit(code=f"zt{k:03d}", name=f"测试镇{k:03d}", kind=UnitKind.TOWN, parent=district, sort_order=100 + k)
            for k in range(250)
        )
        cls.units = list(Unit.objects.filter(code__startswith="zt", parent=district).order_by("sort_order"))
        scheme_services.scheme_publish(scheme=cls.scheme, by=admin)

    def file(self, bad: tuple[int, int] | None = None, bad_rows: int = 0) -> bytes:
        grid = templates_xlsx.values_grid(user=user("tongjiju"), year=self.YEAR, month=1)
        codes = {u.code for u in self.units}
        rows = []
        for r, row in enumerate(r for r in grid.rows if r.code in codes):
            values: list[Any] = [Decimal(r * 100 + c) + Decimal("0.25") for c in range(len(grid.columns))]
            if bad is not None and bad[0] == r:
                values[bad[1]] = "abc"
            if r < bad_rows:
                values = ["abc"] * len(values)
            rows.append(replace(row, values=values))
        return templates_xlsx.render(replace(grid, rows=rows))

    def test_a_file_full_of_errors_lists_the_first_500(self) -> None:
        report = run(self.file(bad_rows=15), "tongjiju")
        self.assertEqual((report.ok, report.total_problems, len(report.problems)), (False, 600, 500))
        self.assertEqual(report.message, "文件有 600 处错误，未导入任何数据。请逐一修正后重新上传。")
        self.assertEqual(report.lines()[-2:], ["……另有 100 处错误未列出。", report.message])

    def count(self) -> int:
        return Value.objects.filter(submission__scheme=self.scheme).count()

    def test_one_bad_cell_among_ten_thousand(self) -> None:
        before = snapshot()
        report = run(self.file(bad=(137, 29)), "tongjiju")
        self.assertFalse(report.ok)
        self.assertEqual(report.total_problems, 1)
        (problem,) = report.problems
        self.assertEqual((problem.sheet, problem.row, problem.column), (VALUES_SHEET, FIRST_DATA_ROW + 137, 4 + 29))
        self.assertEqual(problem.column_letter, "AG")
        self.assertEqual(problem.message, "“abc”不是数字")
        self.assertEqual(str(problem), "工作表“数据填报”第 141 行第 33 列（AG 列）：“abc”不是数字")
        self.assertEqual(snapshot(), before)

        logged = ChangeLog.objects.count()
        with CaptureQueriesContext(connection) as queries:
            report = run(self.file(), "tongjiju", name="2031年1月.xlsx")
        self.assertTrue(report.ok, report.lines())
        self.assertEqual((report.created, report.groups), (10_000, 250))
        self.assertEqual(self.count(), 10_000)
        self.assertEqual(
            Value.objects.get(
                submission__scheme=self.scheme, submission__unit__code="zt137", indicator__code="i29"
            ).amount,
            Decimal("13729.25"),
        )
        self.assertEqual(ChangeLog.objects.count() - logged, 10_001)
        self.assertEqual(ChangeLog.objects.filter(action="import", object_repr__contains="2031年1月.xlsx").count(), 1)
        # Bulk statements: a bounded number of queries whatever the size of the file (no per-cell ORM call).
        self.assertLess(len(queries), 40, [q["sql"][:80] for q in queries.captured_queries])
        self.assertEqual(set(Submission.objects.filter(scheme=self.scheme).values_list("version", flat=True)), {1})
