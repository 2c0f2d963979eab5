"""The targets workbook: per township and indicator the annual, stretch and staged targets, in one table."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment.inputs import Mode, load
from kaohe.collection import importers, templates_xlsx
from kaohe.core.models import ChangeLog
from kaohe.lib.xlsx import CellProblem
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory
from kaohe.schemes.models import Target
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory
from kaohe.scoring import Stage

YEAR = 2085


class TargetsWorkbookTests(TestCase):
    def setUp(self) -> None:
        self.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        self.t1 = UnitFactory.create(code="t1", name="一镇")
        self.t2 = UnitFactory.create(code="t2", name="二镇")
        dept = DepartmentFactory.create()
        self.scheme = SchemeFactory.create(year=YEAR)
        category = CategoryFactory.create(scheme=self.scheme)
        self.tax = IndicatorFactory.create(
            scheme=self.scheme, category=category, code="tax", name="税收收入", owner=dept, weight=Decimal(60),
            stage_months=[3, 6, 9], sort_order=1,
        )  # fmt: skip
        self.gdp = IndicatorFactory.create(
            scheme=self.scheme, category=category, code="gdp", name="GDP增速", owner=dept, weight=Decimal(40),
            unit="%", kind="growth", rule={"family": "growth_vs_target", "over_points": "1"}, sort_order=2,
        )  # fmt: skip

    def template(self) -> openpyxl.Workbook:
        data = templates_xlsx.targets_template(year=YEAR).content
        return openpyxl.load_workbook(io.BytesIO(data))

    def fill(self, book: openpyxl.Workbook, cells: dict[tuple[str, str], Any]) -> bytes:
        """(township code, code-row text such as "tax@6") → value, placed by the hidden code row and column."""
        ws = book[templates_xlsx.TARGETS_SHEET]
        for (unit, code), value in cells.items():
            # .value, not cell(value=…): openpyxl's cell() ignores a None value, and None is how a cell is cleared.
            ws.cell(row=self.row_of(ws, unit), column=self.column_of(ws, code)).value = value
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    @staticmethod
    def column_of(ws: Any, code: str) -> int:
        return int(next(c.column for c in ws[templates_xlsx.CODE_ROW] if c.value == code))

    @staticmethod
    def row_of(ws: Any, unit: str) -> int:
        return int(next(r[0].row for r in ws.iter_rows(min_row=templates_xlsx.FIRST_DATA_ROW) if r[0].value == unit))

    def run_import(self, data: bytes) -> importers.ImportReport:
        return importers.import_file(data=data, filename="目标.xlsx", by=self.admin)

    def test_each_indicator_has_annual_stretch_and_a_column_per_stage(self) -> None:
        ws = self.template()[templates_xlsx.TARGETS_SHEET]
        codes = [c.value for c in ws[templates_xlsx.CODE_ROW]][2:]
        self.assertEqual(codes, ["tax", "tax@stretch", "tax@3", "tax@6", "tax@9", "gdp", "gdp@stretch"])
        labels = [c.value for c in ws[2]][2:]
        self.assertEqual(
            labels[:5], ["年度目标（万元）", "奋斗目标（万元）", "一季度（万元）", "上半年（万元）", "前三季度（万元）"]
        )
        self.assertIn("C1:G1", [str(r) for r in ws.merged_cells.ranges])  # 税收收入 over its five columns

    def test_stretch_and_staged_targets_import_and_are_what_the_engine_receives(self) -> None:
        data = self.fill(self.template(), {
            ("t1", "tax"): 1000, ("t1", "tax@stretch"): 1100, ("t1", "tax@3"): 200, ("t1", "tax@6"): 450,
            ("t1", "tax@9"): Decimal("720.5"), ("t1", "gdp"): Decimal("6.5"),
            ("t2", "tax"): 800, ("t2", "gdp"): -1,
        })  # fmt: skip
        report = self.run_import(data)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.created, 4)
        t1 = Target.objects.get(indicator=self.tax, unit=self.t1)
        self.assertEqual((t1.amount, t1.stretch, t1.stages), (1000, 1100, {"3": "200", "6": "450", "9": "720.5"}))
        engine = load(self.scheme, mode=Mode.ENTERED).data.targets
        self.assertEqual(
            engine["t1", "tax"].stages, (Stage(3, Decimal(200)), Stage(6, Decimal(450)), Stage(9, Decimal("720.5")))
        )
        self.assertEqual((engine["t2", "tax"].annual, engine["t2", "tax"].stages), (800, ()))
        self.assertEqual(engine["t2", "gdp"].annual, -1)

    def test_a_stage_above_the_annual_target_is_refused_at_its_cell(self) -> None:
        book = self.template()
        ws = book[templates_xlsx.TARGETS_SHEET]
        cell = (self.row_of(ws, "t1"), self.column_of(ws, "tax@6"))
        stretch = (self.row_of(ws, "t2"), self.column_of(ws, "tax@stretch"))
        data = self.fill(book, {
            ("t1", "tax"): 1000, ("t1", "tax@6"): 1200, ("t2", "tax"): 800, ("t2", "tax@stretch"): 700,
        })  # fmt: skip
        report = self.run_import(data)
        self.assertFalse(report.ok)
        self.assertEqual(
            list(report.problems),
            [
                CellProblem("目标任务", *cell, "6月的分期目标 1200 超过年度目标 1000"),
                CellProblem("目标任务", *stretch, "奋斗目标 700 低于年度目标 800"),
            ],
        )
        self.assertFalse(Target.objects.filter(indicator__scheme=self.scheme).exists())

    def test_decreasing_stages_and_a_stage_without_an_annual_target_are_named(self) -> None:
        book = self.template()
        ws = book[templates_xlsx.TARGETS_SHEET]
        later = (self.row_of(ws, "t1"), self.column_of(ws, "tax@9"))
        annual = (self.row_of(ws, "t2"), self.column_of(ws, "tax"))
        data = self.fill(book, {("t1", "tax"): 1000, ("t1", "tax@6"): 500, ("t1", "tax@9"): 400, ("t2", "tax@3"): 50})
        report = self.run_import(data)
        self.assertEqual([(p.row, p.column) for p in report.problems], [later, annual], report.lines())
        self.assertIn("逐期不减", report.problems[0].message)
        self.assertIn("须同时填年度目标", report.problems[1].message)

    def test_an_export_imports_back_unchanged_and_clearing_a_row_cancels_the_task(self) -> None:
        TargetFactory.create(indicator=self.tax, unit=self.t1, amount=Decimal(1000), stretch=Decimal(1200),
                             stages={"3": "250", "6": "500"})  # fmt: skip
        TargetFactory.create(indicator=self.tax, unit=self.t2, amount=Decimal(900))
        book = self.template()
        again = self.run_import(self.fill(book, {}))
        self.assertTrue(again.ok, again.lines())
        self.assertEqual((again.written, again.unchanged), (0, 2))
        cleared = self.fill(self.template(), {("t1", c): None for c in ("tax", "tax@stretch", "tax@3", "tax@6")})
        report = self.run_import(cleared)
        self.assertEqual((report.ok, report.deleted), (True, 1), (report.lines(), report.detail))
        self.assertFalse(Target.objects.filter(indicator=self.tax, unit=self.t1).exists())

    def test_a_table_is_carried_into_another_year_s_scheme_when_the_year_is_named(self) -> None:
        # Next year's scheme has the same indicator codes; this year's table goes into it, logged with its file.
        data = self.fill(self.template(), {("t1", "tax"): 1000, ("t1", "tax@6"): 450, ("t2", "gdp"): Decimal("6.5")})
        following = SchemeFactory.create(year=YEAR + 1)
        category = CategoryFactory.create(scheme=following)
        tax = IndicatorFactory.create(scheme=following, category=category, code="tax", owner=self.tax.owner,
                                      weight=Decimal(60), stage_months=[6])  # fmt: skip
        IndicatorFactory.create(scheme=following, category=category, code="gdp", owner=self.tax.owner,
                                weight=Decimal(40), unit="%", kind="growth",
                                rule={"family": "growth_vs_target", "over_points": "1"})  # fmt: skip
        report = importers.import_file(data=data, filename="上年目标.xlsx", by=self.admin, year=YEAR + 1)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.period, f"{YEAR + 1}年目标任务")
        carried = Target.objects.get(indicator=tax, unit=self.t1)
        self.assertEqual((carried.amount, carried.stages), (1000, {"6": "450"}))
        self.assertFalse(Target.objects.filter(indicator__scheme=self.scheme).exists())  # its own year untouched
        self.assertTrue(ChangeLog.objects.filter(object_type="schemes.target", object_id=str(carried.pk),
                                                 reason="Excel 导入：上年目标.xlsx").exists())  # fmt: skip

    def test_without_a_year_the_table_goes_to_its_own_year(self) -> None:
        data = self.fill(self.template(), {("t1", "tax"): 1000})
        report = importers.import_file(data=data, filename="目标.xlsx", by=self.admin, year=YEAR)
        self.assertTrue(report.ok, report.lines())
        self.assertTrue(Target.objects.filter(indicator=self.tax, unit=self.t1).exists())
