"""The 成绩单 export: the page's layout in Excel, numbers as numbers rounded as shown, colours, scope, escaping."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import openpyxl
from django.core.cache import cache

from kaohe.assessment import selectors
from kaohe.assessment.inputs import Mode, load
from kaohe.core.models import ChangeLog
from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme
from kaohe.scoring import Status, round_half_up, score_period
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/export.xlsx"
FIRST_ROW = 5  # title, the categories, the indicators, their parts, then the units


def number(cell: Any) -> Decimal:
    """A numeric cell's value as the decimal Excel shows (the file stores a double)."""
    assert isinstance(cell.value, int | float), (cell.coordinate, cell.value)
    return Decimal(repr(cell.value))


class ExportTests(WorldTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        self.grid = selectors.grid(scheme=self.scheme, month=DEMO_MONTH)
        # Five columns per indicator, six where some township is measured against a 分期目标 stage (完成阶段目标%),
        # and one for each category's 小计 after its indicators: the first column (1-based) of each.
        self.starts: dict[str, int] = {}
        self.staged = {c.code for c in self.grid.columns if self.grid.figures[c.code].staged}
        at = 2
        for slot in self.grid.slots():
            self.starts[slot.code] = at
            at += 1 if isinstance(slot, selectors.Block) else 6 if slot.code in self.staged else 5
        self.tail = at  # first column after the indicators: 加分

    def export(self, role: str = "district_leader", query: str = "") -> tuple[Any, Any]:
        response = self.client_for(role).get(URL + query)
        self.assertEqual(response.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return response, book["成绩单"]

    def rows(self, sheet: Any) -> dict[str, int]:
        """Unit name → its row, for the unit rows (down to the 小计 and 全区合计 rows, bold, before the legend)."""
        found = {}
        for row in range(FIRST_ROW, sheet.max_row + 1):
            name = sheet.cell(row, 1).value
            if name is None or sheet.cell(row, 1).font.b:
                break
            found[name] = row
        return found

    def column(self, indicator: str, part: int) -> int:
        """1-based column of an indicator's part: 0 目标, 1 1-N月累计, 2 完成%, 3 序时差, 4 得分(名次) (a staged
        indicator has 完成阶段目标% after 完成%)."""
        return self.starts[indicator] + part + (1 if indicator in self.staged and part >= 3 else 0)

    def test_the_layout_is_the_pages(self) -> None:
        response, sheet = self.export()
        last = self.tail + 8
        merged = {str(r) for r in sheet.merged_cells.ranges}
        letter = openpyxl.utils.get_column_letter
        self.assertIn(f"A1:{letter(last)}1", merged)  # the title
        self.assertIn("A2:A4", merged)  # 单位 over the three header rows
        economy = self.starts["economy"]  # 经济发展小计, after the category's nine indicators
        self.assertEqual(economy, 2 + 5 * 9)
        self.assertIn(f"B2:{letter(economy)}2", merged)  # 经济发展 over its indicators and its 小计
        self.assertEqual((sheet["B2"].value, sheet.cell(3, economy).value), ("经济发展", "经济发展小计"))
        self.assertIn("B3:F3", merged)  # the first indicator over its five columns
        self.assertIn(f"{letter(self.tail)}2:{letter(self.tail)}4", merged)  # 加分
        first = self.grid.columns[0]
        self.assertEqual(sheet["B3"].value, f"{first.name}\n{first.unit} · 8分")
        self.assertEqual([sheet.cell(4, c).value for c in range(2, 7)],
                         ["目标", f"1-{DEMO_MONTH}月累计", "完成%", "序时差", "得分(名次)"])  # fmt: skip
        tail = [sheet.cell(2, self.tail + k).value for k in range(9)]
        self.assertEqual(tail, ["加分", "扣分", "否决", "总分", "位次", "组内位次", "位次变化", "达序时指标", "等级"])
        self.assertEqual(sheet.freeze_panes, "B5")
        self.assertIn(f"{DEMO_YEAR}年1-{DEMO_MONTH}月", sheet["A1"].value)
        self.assertIn("正式（仅已审核数据）", sheet["A1"].value)
        self.assertEqual(len(self.rows(sheet)), 14)
        below = [sheet.cell(FIRST_ROW + 14 + k, 1).value for k in range(len(self.grid.groups) + 1)]
        self.assertEqual(below, [f"{name}小计" for name in self.grid.groups.values()] + ["全区合计"])
        legend = next(r for r in range(FIRST_ROW, sheet.max_row + 1) if sheet.cell(r, 1).value == "图例")
        self.assertEqual([sheet.cell(legend, c).value for c in range(2, 7)],
                         ["达序时", "欠序时", "已完成全年", "未报", "无任务 -"])  # fmt: skip
        self.assertTrue(sheet.cell(legend, 2).fill.fgColor.rgb.endswith("E6F4EA"))
        self.assertIn("口径：正式（仅已审核数据）", sheet.cell(legend + 1, 1).value)
        name = f"{DEMO_YEAR}年1-{DEMO_MONTH}月成绩单.xlsx"
        self.assertEqual(
            response["Content-Disposition"],
            f'attachment; filename="kaohe-scoreboard-{DEMO_YEAR}-{DEMO_MONTH:02d}.xlsx"; '
            f"filename*=UTF-8''{quote(name, safe='')}",
        )
        self.assertEqual(response["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def test_numbers_are_the_engines_rounded_as_shown_and_ranks_are_numbers(self) -> None:
        _, sheet = self.export()
        inputs = load(self.scheme, mode=Mode.OFFICIAL, through=DEMO_MONTH)
        engine = score_period(inputs.engine_scheme, inputs.data, DEMO_MONTH)
        rows = self.rows(sheet)
        for line in self.grid.lines:
            result, row = engine.unit(line.code), rows[line.name]
            self.assertEqual(number(sheet.cell(row, self.tail + 3)), round_half_up(result.total, 2), line.code)
            self.assertEqual(sheet.cell(row, self.tail + 4).value, result.rank, line.code)  # 位次
            self.assertEqual(sheet.cell(row, self.tail + 5).value, result.group_rank, line.code)
            self.assertEqual(number(sheet.cell(row, self.tail)), round_half_up(result.bonus, 2), line.code)
            self.assertEqual(number(sheet.cell(row, self.tail + 1)), round_half_up(result.deduction, 2), line.code)
            for block in self.grid.blocks():  # each category's 小计: its points' exact sum, rounded once
                exact = sum(result.indicator(c.code).points for c in block.columns)
                subtotal = sheet.cell(row, self.starts[block.code])
                if self.grid.block_evaluated(block, line.index):
                    self.assertEqual(number(subtotal), round_half_up(exact, 2), (line.code, block.code))
                else:
                    self.assertIsNone(subtotal.value)
            for cell in result.indicators:
                if cell.status in (Status.NOT_EVALUATED, Status.NO_TARGET):
                    continue
                points = sheet.cell(row, self.column(cell.indicator, 4))
                self.assertEqual(number(points), round_half_up(cell.points, 2), (line.code, cell.indicator))
                expected_format = f'0.00"({cell.rank})"' if cell.rank else "0.00"
                self.assertEqual(points.number_format, expected_format)
                if cell.target is not None:
                    target = sheet.cell(row, self.column(cell.indicator, 0))
                    self.assertEqual(number(target), round_half_up(cell.target, 2))
                if cell.completion is not None and cell.kind.value in ("cumulative", "count", "annual"):
                    completion = sheet.cell(row, self.column(cell.indicator, 2))
                    self.assertEqual(number(completion), round_half_up(cell.completion * 100, 2).scaleb(-2))
                    self.assertEqual(completion.number_format, "0.00%")
                if cell.gap_pp is not None:
                    gap = sheet.cell(row, self.column(cell.indicator, 3))
                    self.assertEqual(number(gap), round_half_up(cell.gap_pp, 2))

    def test_statuses_have_the_pages_colours(self) -> None:
        _, sheet = self.export()
        rows = self.rows(sheet)
        colours = {Status.ON_SCHEDULE: "E6F4EA", Status.BEHIND: "FDECEA", Status.COMPLETED: "E3EFFF",
                   Status.NOT_REPORTED: "ECECEC"}  # fmt: skip
        seen = set()
        for line in self.grid.lines:
            for code, figures in self.grid.figures.items():
                status = figures.status[line.index]
                if status in colours:
                    cell = sheet.cell(rows[line.name], self.column(code, 2))
                    self.assertTrue(cell.fill.fgColor.rgb.endswith(colours[status]), (line.code, code, status))
                    seen.add(status)
                elif status is Status.NO_TARGET:
                    self.assertEqual(sheet.cell(rows[line.name], self.column(code, 0)).value, "-")
                    self.assertEqual(sheet.cell(rows[line.name], self.column(code, 4)).value, "无任务")
                elif status is Status.NOT_EVALUATED:
                    self.assertEqual(sheet.cell(rows[line.name], self.column(code, 0)).value, "本期不考核")
        self.assertGreaterEqual(seen, {Status.ON_SCHEDULE, Status.BEHIND})

    def test_a_township_user_gets_his_own_row_only(self) -> None:
        _, sheet = self.export("township_clerk")
        self.assertEqual(list(self.rows(sheet)), [self.own_unit.name])
        names = {cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
        self.assertNotIn(self.other_unit.name, names)

    def test_a_name_that_looks_like_a_formula_is_escaped(self) -> None:
        Unit.objects.filter(code="baisha").update(name='=HYPERLINK("http://evil.example","点击")')
        cache.clear()  # a rename outside the services moves no data stamp
        response = self.client_for("district_leader").get(URL)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["成绩单"]
        cell = next(row[0] for row in sheet.iter_rows(min_row=FIRST_ROW) if "HYPERLINK" in str(row[0].value))
        self.assertEqual(cell.data_type, "s")
        self.assertEqual(cell.value, '\'=HYPERLINK("http://evil.example","点击")')

    def test_preview_and_group_are_the_pages(self) -> None:
        response, sheet = self.export(query="?mode=preview&group=industry")
        self.assertIn("预览（含待审核数据）", sheet["A1"].value)
        self.assertIn("工业主导型", sheet["A1"].value)
        self.assertIn(quote("成绩单（预览）.xlsx", safe=""), response["Content-Disposition"])
        industry = set(Unit.objects.filter(group__code="industry").values_list("name", flat=True))
        self.assertEqual(set(self.rows(sheet)), industry)

    def test_each_export_is_audited_and_keeps_the_caches(self) -> None:
        stamp = selectors.data_stamp()
        exports = ChangeLog.objects.filter(action="export").count()
        self.export()
        self.assertEqual(ChangeLog.objects.filter(action="export").count(), exports + 1)
        row = ChangeLog.objects.filter(action="export").latest("id")
        self.assertEqual(row.actor_username, self.users["district_leader"].username)
        self.assertIn("成绩单", row.object_repr)
        self.assertEqual(selectors.data_stamp(), stamp)  # an export changes no figure: the boards stay cached

    def test_outside_the_year_or_month_answers_404(self) -> None:
        client = self.client_for("district_leader")
        self.assertEqual(client.get(f"/scores/{DEMO_YEAR}/13/export.xlsx").status_code, 404)
        self.assertEqual(client.get(f"/scores/{DEMO_YEAR + 5}/1/export.xlsx").status_code, 404)


class StagedExportTests(WorldTestCase):
    """The demo's 固定资产投资 is handed down by 上半年 and 前三季度: its export has 完成阶段目标% beside 全年完成%."""

    def test_the_demos_staged_indicator_has_its_stage_column(self) -> None:
        cache.clear()
        grid = selectors.grid(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)
        staged = [c.code for c in grid.columns if grid.figures[c.code].staged]
        self.assertEqual(staged, ["gdzc", "gytz"])
        response = self.client_for("district_leader").get(URL)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["成绩单"]
        headers = [sheet.cell(FIRST_ROW - 1, c).value for c in range(1, sheet.max_column + 1)]
        self.assertEqual(headers.count("完成阶段目标%"), 2)
        at = headers.index("完成阶段目标%")
        self.assertEqual(headers[at - 1 : at + 2], ["全年完成%", "完成阶段目标%", "序时差"])
