"""The year's scheme as one workbook: export, import into an empty year, and every refusal at its cell."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import openpyxl
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.core.choices import ChangeAction
from kaohe.core.ledger_views import XLSX
from kaohe.core.models import ChangeLog
from kaohe.demo.services import WORKBOOKS
from kaohe.lib.tests.sheets import read_back
from kaohe.lib.xlsx import column_letter
from kaohe.org.models import Department, UnitGroup
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory, UnitGroupFactory
from kaohe.schemes import services, workbook
from kaohe.schemes.models import Scheme
from kaohe.schemes.workbook import scheme_export, scheme_import
from kaohe.scoring import FAMILIES, Basis, RatioRule, rule_from_dict
from kaohe.test import DEMO_YEAR, WorldTestCase

from .factories import CategoryFactory, IndicatorFactory, SchemeFactory, scheme_fields

YEAR, EMPTY = 2090, 2091
CURVE = ["0.05", "0.1", "0.18", "0.26", "0.34", "0.45", "0.53", "0.61", "0.7", "0.8", "0.9", "1"]


def edited(data: bytes, sheet: str, changes: dict[tuple[str, str], Any]) -> bytes:
    """The workbook with cells changed: (row's code in column A, column header) → new value."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet]
    headers = {str(c.value).rstrip("*"): c.column for c in ws[1] if c.value}
    for (code, header), value in changes.items():
        row = next(r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == code)
        ws.cell(row=row, column=headers[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_of(data: bytes, sheet: str, code: str, header: str, nth: int = 0) -> tuple[int, int]:
    """(row, column) of the nth row of `code` under `header`, as Excel numbers them."""
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    column = next(c.column for c in ws[1] if str(c.value).rstrip("*") == header)
    rows = [r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == code]
    return rows[nth], column


class SchemeWorkbookTests(TestCase):
    """A small explicit world: two groups, two townships, one department, a scheme with one indicator of each
    kind of rule the workbook lays out differently (scalars only, bands, segments, combo parts, rank points)."""

    admin: ClassVar[User]
    industry: ClassVar[UnitGroup]
    farm: ClassVar[UnitGroup]
    dept: ClassVar[Department]
    scheme: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.industry = UnitGroupFactory.create(code="gy", name="工业型")
        cls.farm = UnitGroupFactory.create(code="ny", name="农业型")
        UnitFactory.create(code="t1", group=cls.industry)
        UnitFactory.create(code="t2", group=cls.farm)
        cls.dept = DepartmentFactory.create(code="tj", name="统计局")
        scheme = SchemeFactory.create(
            year=YEAR, name="2090年度考核方案",
            grade_rule={"method": "bands", "bands": [{"min": "90", "grade": "优秀"}, {"min": "80", "grade": "良好"}],
                        "else": "一般"},
        )  # fmt: skip
        services.scheme_update(scheme=scheme, data={"report_deadline_day": 8, "outlier_z": Decimal("2.5")}, by=None)
        jj = CategoryFactory.create(scheme=scheme, code="jjfz", name="经济发展", sort_order=1)
        xm = CategoryFactory.create(scheme=scheme, code="xmjs", name="项目建设", sort_order=2)

        def ind(code: str, **kw: Any) -> Any:
            kw.setdefault("category", jj)
            return IndicatorFactory.create(scheme=scheme, code=code, name=f"指标{code}", owner=cls.dept, **kw)

        total = ind(
            "tzze", weight=Decimal(30), plan_curve=CURVE, rule={"family": "ratio", "cap": "1.2", "basis": "schedule"}
        )
        ind(
            "gytz", weight=Decimal("17.5"), part_of=total, decimal_places=1, sort_order=2,
            rule={"family": "bands", "else": "2",
                  "bands": [{"min": "1", "points": "17.5"}, {"min": "0.8", "points": "10"}]},
        )  # fmt: skip
        ind("qys", unit="个", kind="count", rule=None, counts_for_schedule=False)
        ind("zj", rule=None, requires_evidence=True)
        ind(
            "hz", weight=Decimal(20), category=xm,
            rule={"family": "combo",
                  "parts": [{"indicator": "qys", "share": "0.4"}, {"indicator": "zj", "share": "0.6"}]},
        )  # fmt: skip
        ind(
            "zdgc", weight=Decimal(20), category=xm, interpolate_stages=True,
            rule={"family": "piecewise_pp", "base": "20", "limit": "10", "segments": [
                {"from": "0", "to": "1", "per_pp": "-0.1"}, {"from": "1", "to": "1.3", "per_pp": "0.2"},
                {"from": "1.3", "per_pp": "0.1"}]},
        )  # fmt: skip
        ind(
            "pm",
            unit="%",
            kind="ratio",
            weight=Decimal("12.5"),
            rule={"family": "rank_points", "points": ["12.5", "10"], "pool": "all"},
        )
        ind(
            "gdp", unit="%", kind="growth", frequency="quarterly", weight=Decimal(0),
            rule={"family": "growth_vs_target", "over_points": "0.5", "under_points": "1", "max_bonus": "5"},
        )  # fmt: skip
        gytz = scheme.indicators.get(code="gytz")
        services.group_weight_set(indicator=gytz, group_id=cls.farm.pk, weight=Decimal("27.5"), by=None)
        services.item_type_create(
            scheme=scheme, by=None, kind="bonus", code="zs", name="招商加分", points=Decimal(1), cap=Decimal(3),
            owner=cls.dept,
        )  # fmt: skip
        services.item_type_create(
            scheme=scheme, by=None, kind="veto", code="aq", name="安全生产", veto_effect="zero_total"
        )
        services.item_type_create(
            scheme=scheme, by=None, kind="deduction", code="bb", name="报表", points=Decimal("0.5"),
            from_timeliness=True,
        )  # fmt: skip
        cls.scheme = scheme

    def test_an_export_imported_into_an_empty_year_is_the_same_scheme(self) -> None:
        data = scheme_export(self.scheme)
        report = scheme_import(data=data, filename="方案.xlsx", year=EMPTY, by=self.admin)
        self.assertTrue(report.ok, report.lines())
        self.assertTrue(report.created)
        copy = Scheme.objects.official().get(year=EMPTY)
        self.assertEqual(scheme_fields(copy), scheme_fields(self.scheme))
        self.assertFalse(copy.is_published)
        self.assertEqual(report.counts["指标"]["added"], 8)

    def test_importing_its_own_export_changes_nothing(self) -> None:
        data = scheme_export(self.scheme)
        report = scheme_import(data=data, filename="方案.xlsx", year=YEAR, by=self.admin)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.written, 0, report.by_sheet())
        self.assertIn("一致", report.summary)

    def test_a_changed_parameter_changes_only_that_rule(self) -> None:
        data = edited(scheme_export(self.scheme), "计分·完成率×分值", {("tzze", "封顶（%）"): 150})
        report = scheme_import(data=data, filename="方案.xlsx", year=YEAR, by=self.admin)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual((report.count("changed"), report.count("added")), (1, 0), report.by_sheet())
        self.assertEqual(
            rule_from_dict(self.scheme.indicators.get(code="tzze").rule),
            RatioRule(basis=Basis.SCHEDULE, cap=Decimal("1.5")),
        )

    def test_a_workbook_imported_into_a_scenario_changes_the_scenario_only(self) -> None:
        scenario = services.scenario_create(source=self.scheme, name="封顶放宽", by=self.admin)
        data = edited(scheme_export(scenario), "计分·完成率×分值", {("tzze", "封顶（%）"): 150})
        report = scheme_import(data=data, filename="方案.xlsx", year=YEAR, by=self.admin, scenario="封顶放宽")
        self.assertTrue(report.ok, report.lines())
        self.assertEqual((report.count("changed"), report.count("added")), (1, 0), report.by_sheet())
        self.assertIn("模拟方案“封顶放宽”", report.summary)
        self.assertEqual(rule_from_dict(scenario.indicators.get(code="tzze").rule).cap, Decimal("1.5"))  # type: ignore[union-attr]
        self.assertEqual(rule_from_dict(self.scheme.indicators.get(code="tzze").rule).cap, Decimal("1.2"))  # type: ignore[union-attr]
        missing = scheme_import(data=data, filename="方案.xlsx", year=YEAR, by=self.admin, scenario="不存在")
        self.assertFalse(missing.ok)
        self.assertEqual(missing.message, f"{YEAR}年没有名为“不存在”的模拟方案。请先在考核方案页建立模拟方案，再导入。")

    def test_overlapping_bands_refuse_the_whole_file_at_their_cell(self) -> None:
        data = scheme_export(self.scheme)
        book = openpyxl.load_workbook(io.BytesIO(data))
        row, column = cell_of(data, "计分·分档计分", "gytz", "完成率（%）", nth=1)
        book["计分·分档计分"].cell(row=row, column=column, value=120)  # above the band before it
        out = io.BytesIO()
        book.save(out)
        report = scheme_import(data=out.getvalue(), filename="方案.xlsx", year=EMPTY, by=self.admin)
        self.assertFalse(report.ok)
        self.assertEqual([(p.sheet, p.row, p.column) for p in report.problems], [("计分·分档计分", row, column)])
        self.assertIn("由高到低", report.problems[0].message)
        self.assertIn("整份文件未导入", report.message)
        self.assertFalse(Scheme.objects.filter(year=EMPTY).exists())

    def test_a_combo_rule_on_a_ratio_indicator_is_refused_by_the_engine_at_its_row(self) -> None:
        data = edited(scheme_export(self.scheme), "指标", {("hz", "类型"): "比率/水平"})
        report = scheme_import(data=data, filename="方案.xlsx", year=EMPTY, by=self.admin)
        self.assertFalse(report.ok)
        [problem] = report.problems
        self.assertEqual(
            (problem.sheet, problem.row, problem.column), ("指标", *cell_of(data, "指标", "hz", "计分方法"))
        )
        self.assertIn("组合完成率", problem.message)
        self.assertFalse(Scheme.objects.filter(year=EMPTY).exists())

    def test_every_bad_cell_is_listed_at_once(self) -> None:
        data = edited(scheme_export(self.scheme), "指标", {("tzze", "类型"): "总量", ("gdp", "责任部门编码"): "nobody"})
        data = edited(data, "计分·增速对比目标", {("gdp", "加分步长（个百分点）"): 0})
        report = scheme_import(data=data, filename="方案.xlsx", year=EMPTY, by=self.admin)
        self.assertFalse(report.ok)
        where = {(p.sheet, p.row, p.column): p.message for p in report.problems}
        self.assertEqual(len(where), 3, report.lines())
        self.assertIn("累计量", where["指标", *cell_of(data, "指标", "tzze", "类型")])
        self.assertIn("没有编码为“nobody”的部门", where["指标", *cell_of(data, "指标", "gdp", "责任部门编码")])
        self.assertIn(
            "须大于0", where["计分·增速对比目标", *cell_of(data, "计分·增速对比目标", "gdp", "加分步长（个百分点）")]
        )

    def test_a_dry_run_reports_and_writes_nothing(self) -> None:
        report = scheme_import(
            data=scheme_export(self.scheme), filename="方案.xlsx", year=EMPTY, by=self.admin, dry_run=True
        )
        self.assertTrue(report.ok, report.lines())
        self.assertIn("试导入", report.summary)
        self.assertFalse(Scheme.objects.filter(year=EMPTY).exists())

    def test_a_published_year_and_a_user_without_the_permission_are_refused(self) -> None:
        data = scheme_export(self.scheme)
        clerk = UserFactory.create(role=Role.DISTRICT_LEADER)
        report = scheme_import(data=data, filename="方案.xlsx", year=EMPTY, by=clerk)
        self.assertFalse(report.ok)
        self.assertIn("没有导入考核方案的权限", report.message)
        Scheme.objects.filter(pk=self.scheme.pk).update(status="published")
        report = scheme_import(data=data, filename="方案.xlsx", year=YEAR, by=self.admin)
        self.assertIn("已发布", report.message)

    def test_an_unknown_group_column_is_named(self) -> None:
        book = openpyxl.load_workbook(io.BytesIO(scheme_export(self.scheme)))
        ws = book["指标"]
        header = next(c for c in ws[1] if c.value == "分值：农业型")
        header.value = "分值：渔业型"
        out = io.BytesIO()
        book.save(out)
        report = scheme_import(data=out.getvalue(), filename="方案.xlsx", year=EMPTY, by=self.admin)
        self.assertFalse(report.ok)
        self.assertEqual([(p.sheet, p.row, p.column) for p in report.problems], [("指标", 1, header.column)])
        self.assertIn("渔业型", report.problems[0].message)


class DemoSchemeWorkbookTests(WorldTestCase):
    def test_the_demo_scheme_survives_the_round_trip(self) -> None:
        demo = Scheme.objects.official().get(year=DEMO_YEAR)
        report = scheme_import(
            data=scheme_export(demo), filename="方案.xlsx", year=2044, by=self.users[Role.DISTRICT_ADMIN]
        )
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(scheme_fields(Scheme.objects.official().get(year=2044)), scheme_fields(demo))


class SchemeCommandTests(TestCase):
    """`kaohe scheme export|import`: the same workbook and checks from the command line."""

    def test_export_then_import_into_an_empty_year(self) -> None:
        admin = UserFactory.create(role=Role.DISTRICT_ADMIN, username="kh")
        dept = DepartmentFactory.create(code="tj")
        scheme = SchemeFactory.create(year=YEAR, name="方案甲")
        IndicatorFactory.create(scheme=scheme, code="gdp", owner=dept, weight=Decimal(100))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "方案.xlsx"
            out = io.StringIO()
            call_command("scheme", "export", "--year", str(YEAR), str(path), stdout=out)
            self.assertIn("已写入", out.getvalue())
            call_command("scheme", "import", str(path), "--year", str(EMPTY), "--as", "kh", "--dry-run", stdout=out)
            self.assertIn("试导入", out.getvalue())
            self.assertFalse(Scheme.objects.filter(year=EMPTY).exists())
            call_command("scheme", "import", str(path), "--year", str(EMPTY), "--as", admin.username, stdout=out)
            self.assertIn(f"已导入新建{EMPTY}年考核方案（草稿）", out.getvalue())
            self.assertEqual(scheme_fields(Scheme.objects.official().get(year=EMPTY)), scheme_fields(scheme))
            path.write_bytes(edited(path.read_bytes(), "指标", {("gdp", "分值"): -1}))
            err = io.StringIO()
            with self.assertRaises(SystemExit) as exit_code:
                call_command("scheme", "import", str(path), "--year", str(EMPTY), "--as", "kh", stdout=out, stderr=err)
            self.assertEqual(exit_code.exception.code, 1)
            self.assertIn("工作表“指标”第 2 行", err.getvalue())
            with self.assertRaisesMessage(CommandError, "2099年还没有考核方案"):
                call_command("scheme", "export", "--year", "2099", str(path))


class SchemeWorkbookPageTests(WorldTestCase):
    """The scheme page's 导出方案工作簿 and the 导入方案工作簿 page, on the demo district."""

    def upload(self, data: bytes, year: int, action: str) -> Any:
        client = self.client_for(Role.DISTRICT_ADMIN)
        file = SimpleUploadedFile("方案.xlsx", data, content_type=XLSX)
        return client.post(reverse("schemes:workbook_import"), {"year": year, "file": file, "action": action})

    def test_export_preview_and_import_on_the_web(self) -> None:
        client = self.client_for(Role.DISTRICT_ADMIN)
        detail = client.get(reverse("schemes:detail", args=[DEMO_YEAR]))
        self.assertContains(detail, reverse("schemes:workbook_export", args=[DEMO_YEAR]))
        response = client.get(reverse("schemes:workbook_export", args=[DEMO_YEAR]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], XLSX)
        self.assertTrue(
            ChangeLog.objects.filter(action=ChangeAction.EXPORT, object_repr__contains="考核方案工作簿").exists()
        )
        data = response.content
        preview = self.upload(data, 2043, "preview")
        self.assertContains(preview, "试导入：新建2043年考核方案（草稿）将新增")
        self.assertFalse(Scheme.objects.filter(year=2043).exists())
        done = self.upload(data, 2043, "import")
        self.assertContains(done, "已导入新建2043年考核方案（草稿）")
        self.assertContains(done, reverse("schemes:detail", args=[2043]))
        copy, demo = (Scheme.objects.official().get(year=y) for y in (2043, DEMO_YEAR))
        self.assertEqual(scheme_fields(copy), scheme_fields(demo))

    def test_a_bad_workbook_lists_its_cells_and_writes_nothing(self) -> None:
        data = scheme_export(Scheme.objects.official().get(year=DEMO_YEAR))
        code = Scheme.objects.official().get(year=DEMO_YEAR).indicators.order_by("sort_order", "code")[0].code
        response = self.upload(edited(data, "指标", {(code, "分值"): "很多"}), 2043, "import")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "整份文件未导入", status_code=400)
        row, column = cell_of(data, "指标", code, "分值")
        self.assertContains(response, f'data-cell="{column_letter(column)}{row}"', status_code=400)
        self.assertFalse(Scheme.objects.filter(year=2043).exists())

    def test_only_the_district_office_imports(self) -> None:
        client = self.client_for(Role.TOWNSHIP_CLERK)
        self.assertIn(client.get(reverse("schemes:workbook_import")).status_code, (403, 404))


class DocumentedWorkbookTests(WorldTestCase):
    """The example the docs point to (the demo's shipped scheme workbook) imports as it is, and
    docs/scheme-workbook.md names every sheet and column."""

    def test_the_example_in_the_docs_imports_cleanly(self) -> None:
        data = (WORKBOOKS / "scheme.xlsx").read_bytes()
        report = scheme_import(data=data, filename="scheme.xlsx", year=2042, by=self.users[Role.DISTRICT_ADMIN])
        self.assertTrue(report.ok, report.lines())
        self.assertTrue(Scheme.objects.official().get(year=2042).indicators.exists())

    def test_the_docs_describe_every_sheet_and_column(self) -> None:
        text = (Path(settings.BASE_DIR) / "docs" / "scheme-workbook.md").read_text(encoding="utf-8")
        sheets = [
            ("方案", workbook.SETTINGS), ("等次", workbook.GRADE_COLUMNS), ("类别", workbook.CATEGORY_COLUMNS),
            ("指标", workbook.INDICATOR_COLUMNS), ("分月计划", workbook.CURVE_COLUMNS[:2]),
            ("加扣分项", workbook.ITEM_COLUMNS),
            *((workbook.rule_sheet_name(f), workbook.rule_columns(f)) for f in FAMILIES),
        ]  # fmt: skip
        for name, columns in sheets:
            section = text.split(f"### {name}\n", 1)
            self.assertEqual(len(section), 2, f"docs/scheme-workbook.md has no section for {name}")
            body = section[1].split("\n### ", 1)[0]
            for column in columns:
                self.assertIn(f"| {column.header} |", body, f"{name}: {column.header}")


class FromAnotherDatabase(TestCase):
    """The acceptance as a district does it, each database a SQLite file of its own: the demo's 2026 scheme is
    exported from one, and a second, set up with `kaohe migrate`, `kaohe createadmin` and the first's org ledger,
    imports it into its empty 2026; the second's export equals the first's, cell for cell, on every sheet."""

    def kaohe(self, var: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KAOHE_VAR_DIR": str(var), "KAOHE_ADMIN_PASSWORD": "Kaohe-Workbook-2026!"}
        for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"):
            env.pop(name, None)
        done = subprocess.run(
            [sys.executable, "-m", "kaohe.cli", *args], env=env, capture_output=True, text=True, timeout=300
        )
        self.assertEqual(done.returncode, 0, f"kaohe {' '.join(args)}: {done.stderr}")
        return done

    def test_the_demo_scheme_moves_to_an_empty_database(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            a, b = base / "a", base / "b"
            self.kaohe(a, "migrate", "-v0")
            self.kaohe(a, "demo")
            self.kaohe(a, "ledger", "export", "org", str(base / "org.xlsx"))
            self.kaohe(a, "scheme", "export", "--year", str(DEMO_YEAR), str(base / "scheme.xlsx"))
            self.kaohe(b, "migrate", "-v0")
            self.kaohe(b, "createadmin", "kb", "--role", "district_admin")
            self.kaohe(b, "ledger", "import", "org", str(base / "org.xlsx"), "--as", "kb")
            done = self.kaohe(b, "scheme", "import", str(base / "scheme.xlsx"), "--year", str(DEMO_YEAR), "--as", "kb")
            self.kaohe(b, "scheme", "export", "--year", str(DEMO_YEAR), str(base / "again.xlsx"))
            first, second = (read_back((base / name).read_bytes()) for name in ("scheme.xlsx", "again.xlsx"))
        self.assertIn(f"已导入新建{DEMO_YEAR}年考核方案（草稿）", done.stdout)
        self.assertEqual(second, first)
        self.assertGreater(len(first["指标"]), 10)
