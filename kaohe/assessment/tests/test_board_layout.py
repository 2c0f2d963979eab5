"""The 成绩单 as districts print it, on a small explicit world: three townships in two groups, an investment
indicator shown with 0 decimals and its rates with 1, a growth rate, and a per-item count without targets.

    甲镇, 乙镇 (平原组), 丙镇 (山区组); figures for 3月 (the first month with data) and 4月.
    inv 固定资产投资 (万元, 50 分, ratio): targets 10,000 / 20,000 / 84,000; 4月 4,000 / 9,000.5 / 76,313.16
    zz  规上工业增加值增速 (%, 20 分, 功效系数 among all): targets 8 / 8 / none; 4月 8.4 / 9.0 / 6.5
    xm  亿元以上项目 (个, 30 分, per_item 10 分一项, 封顶 30): no targets; 4月 2 / 0 / 3
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

import openpyxl
from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment import exports, render, selectors
from kaohe.assessment.inputs import Mode
from kaohe.collection import services as collection
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory, owner_of
from kaohe.lib.xlsx import Cell
from kaohe.org.models import Unit
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory, UnitGroupFactory
from kaohe.schemes.models import Scheme
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published
from kaohe.scoring import Status, round_half_up

YEAR = 2087
HEAD = 4  # the export's last header row: title, categories, indicators, their cells
FIGURES = {
    3: {"inv": ("2000", "5000", "20000"), "zz": ("7.5", "9.1", "6.2"), "xm": ("1", "0", "2")},
    4: {"inv": ("4000", "9000.5", "76313.16"), "zz": ("8.4", "9.0", "6.5"), "xm": ("2", "0", "3")},
}


class BoardLayoutWorld(TestCase):
    admin: ClassVar[User]
    scheme: ClassVar[Scheme]
    towns: ClassVar[list[Unit]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        plain = UnitGroupFactory.create(code="plain", name="平原组")
        hill = UnitGroupFactory.create(code="hill", name="山区组")
        cls.towns = [
            UnitFactory.create(code="jia", name="甲镇", group=plain),
            UnitFactory.create(code="yi", name="乙镇", group=plain),
            UnitFactory.create(code="bing", name="丙镇", group=hill),
        ]
        scheme = SchemeFactory.create(year=YEAR)
        economy = CategoryFactory.create(scheme=scheme, code="jj", name="经济发展", sort_order=1)
        projects = CategoryFactory.create(scheme=scheme, code="xmjs", name="项目建设", sort_order=2)
        dept = DepartmentFactory.create()

        def indicator(code: str, **fields: object) -> object:
            return IndicatorFactory.create(scheme=scheme, code=code, owner=dept, source="self", **fields)

        inv = indicator(
            "inv", name="固定资产投资", category=economy, weight=Decimal(50), decimal_places=0, rate_places=1,
            sort_order=1,
        )  # fmt: skip
        zz = indicator(
            "zz", name="规上工业增加值增速", category=economy, unit="%", kind="growth", weight=Decimal(20),
            rule={"family": "efficacy"}, decimal_places=1, sort_order=2,
        )  # fmt: skip
        indicator(
            "xm", name="亿元以上项目", category=projects, unit="个", kind="count", weight=Decimal(30),
            rule={"family": "per_item", "points": "10", "cap": "30"}, decimal_places=0, sort_order=3,
        )  # fmt: skip
        for town, amount in zip(cls.towns, (10000, 20000, 84000), strict=True):
            TargetFactory.create(indicator=inv, unit=town, amount=Decimal(amount))
        for town in cls.towns[:2]:
            TargetFactory.create(indicator=zz, unit=town, amount=Decimal(8))
        cls.scheme = published(scheme)
        reviewer = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        indicators = {ind.code: ind for ind in cls.scheme.indicators.all()}
        for month, figures in FIGURES.items():
            for u, town in enumerate(cls.towns):
                submission = SubmissionFactory.create(scheme=cls.scheme, unit=town, month=month)
                by = owner_of(submission)
                for code, amounts in figures.items():
                    ValueFactory.create(
                        submission=submission, indicator=indicators[code], amount=Decimal(amounts[u]), by=by
                    )
                collection.submission_submit(submission=submission, by=by)
                collection.submission_approve(submission=submission, by=reviewer)

    def setUp(self) -> None:
        cache.clear()
        self.client.force_login(self.admin)

    def grid(self, month: int = 4) -> selectors.Grid:
        return selectors.grid(scheme=self.scheme, month=month, mode=Mode.OFFICIAL)

    def page(self, month: int = 4, query: str = "") -> str:
        return self.client.get(reverse("assessment:scoreboard", args=[YEAR, month]) + query).content.decode()

    def export(self, month: int = 4) -> openpyxl.worksheet.worksheet.Worksheet:
        response = self.client.get(reverse("assessment:export", args=[YEAR, month]))
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        return sheet

    def score_json(self, month: int = 4) -> dict[str, object]:
        out = io.StringIO()
        call_command("score", "--period", f"{YEAR}-{month:02d}", "--json", stdout=out)
        found: dict[str, object] = json.loads(out.getvalue())
        return found


class NothingScoredIsHidden(BoardLayoutWorld):
    def test_a_per_item_cell_without_a_target_shows_its_count_and_points(self) -> None:
        grid = self.grid()
        f, bing = grid.figures["xm"], grid.line("bing").index
        self.assertEqual((f.actual[bing], f.points[bing], f.has_points(bing)), (3 * 10**4, 3000, True))
        page = self.page()
        row = re.search(r'<tr data-unit="bing">.*?</tr>', page, re.S)
        assert row is not None
        self.assertIn('data-testid="pts-bing-xm">30.00</a>', row.group())
        self.assertNotIn(">无任务</td>", row.group())  # every cell of 丙镇 carries its points
        sheet = self.export()
        headers = [c.value for c in sheet[HEAD]]
        first = headers.index("1-4月累计", 1 + 5 * 2 + 1)  # xm is the third indicator, after 经济发展小计
        bing_row = next(r for r in sheet.iter_rows(min_row=HEAD + 1) if r[0].value == "丙镇")
        self.assertEqual(bing_row[first].value, 3)
        self.assertEqual(bing_row[first + 3].value, 30)

    def test_a_growth_rate_scored_without_a_target_shows_its_figure_and_points(self) -> None:
        page = self.page()
        row = re.search(r'<tr data-unit="bing">.*?</tr>', page, re.S)
        assert row is not None
        self.assertIn(">6.5</a>", row.group())  # 丙镇's 增速, at the indicator's 1 decimal
        self.assertIn('data-testid="pts-bing-zz">20.00</a>', row.group())  # alone in its group: the full 20

    def test_sorting_by_a_per_item_column_orders_by_its_points(self) -> None:
        view = render.View(sort="pts-xm", order="desc")
        grid = self.grid()
        ordered = render.sort_lines(grid, grid.lines, view)
        # The demo's townships, assessed too, have no figure for this year: no points, last either way.
        self.assertEqual([line.code for line in ordered][:3], ["bing", "jia", "yi"])  # 30, 20, 0
        ascending = render.sort_lines(grid, grid.lines, render.View(sort="pts-xm", order="asc"))
        self.assertEqual([line.code for line in ascending][:3], ["yi", "jia", "bing"])


class RankChange(BoardLayoutWorld):
    def test_the_first_month_with_figures_shows_no_rank_change(self) -> None:
        self.assertEqual({line.rank_change for line in self.grid(3).lines}, {None})
        units = self.score_json(3)["units"]
        assert isinstance(units, list)
        self.assertEqual({u["rank_change"] for u in units}, {None})
        page = self.page(3)
        self.assertNotIn("↓", page)
        self.assertNotIn("↑", page)

    def test_the_next_month_compares_with_it(self) -> None:
        changes = {line.code: line.rank_change for line in self.grid(4).lines}
        self.assertNotIn(None, changes.values())
        three = {line.code: line.rank for line in self.grid(3).lines}
        self.assertEqual(changes, {line.code: three[line.code] - line.rank for line in self.grid(4).lines})


class DisplayDecimals(BoardLayoutWorld):
    """固定资产投资 is shown with 0 decimals and its rates with 1: 丙镇's exact completion 76,313.16 ÷ 84,000 =
    90.849 % reads 90.8 % (rounded once; through 90.85 it would read 90.9), its gap 90.849 − 33.333… = +57.5."""

    def test_the_grid_rounds_once_to_the_indicators_decimals(self) -> None:
        grid = self.grid()
        f, bing = grid.figures["inv"], grid.line("bing").index
        self.assertEqual((f.completion[bing], f.gap[bing]), (908, 575))
        column = next(c for c in grid.columns if c.code == "inv")
        self.assertEqual((column.places, column.rate_places, column.rate_scale), (0, 1, 1000))

    def test_the_page_shows_them(self) -> None:
        row = re.search(r'<tr data-unit="bing">.*?</tr>', self.page(), re.S)
        assert row is not None
        cells = row.group()
        self.assertIn('<td class="text-end">84,000</td>', cells)
        self.assertIn(">76,313</a>", cells)
        self.assertIn(">90.8%</td>", cells)
        self.assertIn(">+57.5</td>", cells)

    def test_the_unit_and_indicator_pages_show_them(self) -> None:
        unit = self.client.get(reverse("assessment:unit", args=[YEAR, 4, "bing"])).content.decode()
        self.assertIn('<td class="text-end">84,000</td><td class="text-end">76,313</td>', unit)
        self.assertIn(">90.8%</td>", unit)
        indicator = self.client.get(reverse("assessment:indicator", args=[YEAR, 4, "inv"])).content.decode()
        self.assertIn(">76,313<", indicator)
        self.assertIn(">90.8%</td>", indicator)
        self.assertIn(">+57.5</td>", indicator)

    def test_the_export_carries_them_as_number_formats(self) -> None:
        sheet = self.export()
        row = next(r for r in sheet.iter_rows(min_row=HEAD + 1) if r[0].value == "丙镇")
        target, actual, completion, gap = row[1:5]
        self.assertEqual((target.value, target.number_format), (84000, "#,##0"))
        self.assertEqual((actual.value, actual.number_format), (76313, "#,##0"))
        self.assertEqual((completion.value, completion.number_format), (0.908, "0.0%"))
        self.assertEqual((gap.value, gap.number_format), (57.5, "+0.0;-0.0;0.0"))

    def test_the_json_carries_the_decimals_beside_the_exact_values(self) -> None:
        units = self.score_json()["units"]
        assert isinstance(units, list)
        bing = next(u for u in units if u["code"] == "bing")
        cell = next(c for c in bing["indicators"] if c["code"] == "inv")
        self.assertEqual((cell["decimals"], cell["rate_decimals"]), (0, 1))
        self.assertEqual((cell["actual"], cell["completion"]), ("76313.16", "0.90849"))


class Totals(BoardLayoutWorld):
    """Hand-computed for 4月 (s = 4/12). 固定资产投资, 0 decimals, rates at 1:
    平原组: 10,000 + 20,000 = 30,000; 4,000 + 9,000.5 = 13,000.5 → 13,001; 13,000.5 ÷ 30,000 = 43.335 % → 43.3 %
    山区组: 84,000; 76,313.16 → 76,313; 90.849 % → 90.8 %; +57.5
    全区合计: 114,000; 89,313.66 → 89,314; 89,313.66 ÷ 114,000 = 78.3453… % → 78.3 %; 78.345… − 33.333… → +45.0
    亿元以上项目 (no targets): 2 + 0 = 2, 3, 5; no completion. 增速: "-" everywhere."""

    SUMS: ClassVar[dict[str | None, tuple[int, int, int, int]]] = {
        "plain": (300_000_000, 130_005_000, 433, 100),  # 43.335 − 33.333… = +10.0
        "hill": (840_000_000, 763_131_600, 908, 575),
        None: (1_140_000_000, 893_136_600, 783, 450),
    }

    def test_the_grid_sums_every_unit_and_completes_the_sums(self) -> None:
        totals = {t.group: t for t in self.grid().totals}
        self.assertEqual(totals[None].name, "全区合计")
        self.assertEqual(totals["plain"].name, "平原组小计")
        for group, (target, actual, completion, gap) in self.SUMS.items():
            found = totals[group].sums["inv"]
            assert found is not None
            shown = (found.target, found.actual, found.shown_completion(1), found.shown_gap(1))
            self.assertEqual(shown, (target, actual, completion, gap), group)
            self.assertIsNone(totals[group].sums["zz"], group)  # a rate has no sum
        projects = {g: totals[g].sums["xm"] for g in ("plain", "hill", None)}
        expected = {"plain": (None, 20_000, None), "hill": (None, 30_000, None), None: (None, 50_000, None)}
        self.assertEqual({g: (s.target, s.actual, s.completion) for g, s in projects.items() if s}, expected)

    def test_page_export_and_json_say_the_same(self) -> None:
        page = self.page()
        self.assertIn('data-testid="sum-all-inv">89,314</td>', page)
        self.assertIn('data-testid="sum-pct-all-inv">78.3%</td>', page)
        self.assertIn('data-testid="sum-plain-inv">13,001</td>', page)
        self.assertIn('data-testid="sum-pct-plain-inv">43.3%</td>', page)
        self.assertIn('data-testid="sum-all-xm">5</td>', page)
        footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
        self.assertIn(">+45.0</td>", footer)
        self.assertIn(">+10.0</td>", footer)  # 平原组
        # One row per group (the demo's townships are assessed this year too, in their own groups), then 全区合计.
        self.assertEqual(re.findall(r'data-total="(\w+)"', footer)[-1], "all")
        self.assertEqual(footer.count("<tr"), len(self.grid().groups) + 1)

        sheet = self.export()
        rows = {r[0].value: r for r in sheet.iter_rows(min_row=HEAD + 1) if r[0].value in ("全区合计", "平原组小计")}
        district = rows["全区合计"]
        self.assertEqual([c.value for c in district[1:5]], [114000, 89314, 0.783, 45])
        self.assertEqual([c.value for c in district[6:10]], ["-", "-", "-", "-"])  # 增速
        self.assertEqual(district[11].value, "-")  # 经济发展小计: points are not summed
        self.assertEqual(district[13].value, 5)  # 亿元以上项目
        self.assertEqual(rows["平原组小计"][3].value, 0.433)

        totals = self.score_json()["totals"]
        assert isinstance(totals, list)
        whole = next(t for t in totals if t["group"] is None)
        inv = next(c for c in whole["indicators"] if c["code"] == "inv")
        self.assertEqual((inv["target"], inv["actual"]), ("114000", "89313.66"))
        self.assertTrue(inv["completion"].startswith("0.78345315"))
        zz = next(c for c in whole["indicators"] if c["code"] == "zz")
        self.assertEqual((zz["target"], zz["completion"]), (None, None))

    def test_a_paged_boards_totals_are_the_unpaged_ones(self) -> None:
        whole = self.page().split("<tfoot>")[1].split("</tfoot>")[0]
        original = render.PAGE_SIZE
        render.PAGE_SIZE = 2
        try:
            cache.clear()
            first = self.page().split("<tfoot>")[1].split("</tfoot>")[0]
            cache.clear()
            second = self.page(query="?page=2").split("<tfoot>")[1].split("</tfoot>")[0]
        finally:
            render.PAGE_SIZE = original
        self.assertEqual(first, whole)
        self.assertEqual(second, whole)

    def test_a_township_sees_no_sums_of_other_townships(self) -> None:
        clerk = UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=self.towns[0])
        self.client.force_login(clerk)
        page = self.page()
        self.assertNotIn("<tfoot>", page)
        self.assertNotIn("全区合计", page)


class CategorySubtotals(BoardLayoutWorld):
    def test_the_grid_holds_each_categorys_points_summed_exactly(self) -> None:
        grid = self.grid()
        self.assertEqual(grid.categories, {"jj": ("经济发展", ("inv", "zz")), "xmjs": ("项目建设", ("xm",))})
        bing = grid.line("bing").index
        # 固定资产投资 76,313.16 ÷ 84,000 × 50 = 45.4245 and 增速 alone in its group 20: 65.4245 → 65.42
        self.assertEqual((grid.category_points["jj"][bing], grid.category_points["xmjs"][bing]), (6542, 3000))
        board = selectors.scoreboard(scheme=self.scheme, month=4, mode=Mode.OFFICIAL)
        for row in board.rows:
            for code, (_, codes) in grid.categories.items():
                exact = sum((Fraction(row.cells[c].points) for c in codes), Fraction(0))
                shown = int(round_half_up(exact, 2).scaleb(2))
                self.assertEqual(grid.category_points[code][grid.line(row.code).index], shown, (row.code, code))

    def test_the_board_shows_each_category_over_its_indicators_with_its_subtotal(self) -> None:
        page = self.page()
        head = page.split("<thead>")[1].split("</thead>")[0]
        self.assertEqual(head.count("<tr>"), 3)
        self.assertIn('<th colspan="11" class="kh-category"><span>经济发展</span></th>', head)  # 5 + 5 cells + 小计
        self.assertIn('<th colspan="6" class="kh-category"><span>项目建设</span></th>', head)
        self.assertIn('data-testid="cat-bing-jj">65.42</td>', page)
        self.assertIn('data-testid="cat-bing-xmjs">30.00</td>', page)
        # The browser sorts by the body column a header names: count 丙镇's cells up to each one.
        row = re.search(r'<tr data-unit="bing">(.*?)</tr>', page, re.S)
        assert row is not None
        cells = re.findall(r"<t[dh][ >].*?</t[dh]>", row.group(1), re.S)
        at = {name: next(i for i, c in enumerate(cells) if f'data-testid="{name}"' in c) for name in
              ("cat-bing-jj", "cat-bing-xmjs", "total-bing")}  # fmt: skip
        self.assertEqual(at, {"cat-bing-jj": 11, "cat-bing-xmjs": 17, "total-bing": 21})
        self.assertIn('class="kh-subtotal" data-sort-key data-col="11">经济发展小计</th>', head)
        self.assertIn('data-sort-key data-col="17">项目建设小计</th>', head)
        self.assertIn('data-sort-key data-col="21">总分</th>', head)
        self.assertIn('data-sort-key data-col="16">得分(名)</th>', head)  # xm's points
        footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
        district = re.search(r'<tr class="kh-total" data-total="all">(.*?)</tr>', footer, re.S)
        assert district is not None
        self.assertEqual(len(re.findall(r"<t[dh][ >]", district.group(1))), len(cells))
        self.assertIn('<span class="me-auto">经济发展小计</span><span>65.42分</span>', page)  # the phone card

    def test_a_paged_board_sorts_by_a_subtotal_on_the_server(self) -> None:
        original = render.PAGE_SIZE
        render.PAGE_SIZE = 2
        try:
            cache.clear()
            page = self.page(query="?sort=cat-jj&order=desc")
        finally:
            render.PAGE_SIZE = original
        grid = self.grid()
        subtotals = sorted((grid.category_points["jj"][line.index] for line in grid.lines), reverse=True)
        shown = [int(points.replace(".", "")) for points in re.findall(r'data-testid="cat-\w+-jj">([\d.]+)</td>', page)]
        self.assertEqual(shown, subtotals[:2])  # the first page: the two best 经济发展小计 of every unit
        self.assertIn('aria-sort="descending"><a class="kh-sort"', page)

    def test_the_export_merges_each_category_over_its_indicators_and_its_subtotal(self) -> None:
        sheet = self.export()
        merged = {str(r) for r in sheet.merged_cells.ranges}
        self.assertIn("B2:L2", merged)  # 经济发展: inv, zz and its 小计
        self.assertIn("M2:R2", merged)  # 项目建设
        self.assertIn("L3:L4", merged)  # 经济发展小计 over two rows
        self.assertEqual([sheet[at].value for at in ("B2", "M2", "L3")], ["经济发展", "项目建设", "经济发展小计"])
        bing = next(r for r in sheet.iter_rows(min_row=HEAD + 1) if r[0].value == "丙镇")
        self.assertEqual((bing[11].value, bing[11].number_format), (65.42, "0.00"))
        self.assertEqual(bing[17].value, 30)
        self.assertEqual(bing[21].value, 95.42)  # 总分 after both subtotals

    def test_categories_not_side_by_side_or_only_one_make_no_column_groups(self) -> None:
        grid = self.grid()
        interleaved = dataclasses.replace(
            grid, categories={"jj": ("经济发展", ("inv", "xm")), "xmjs": ("项目建设", ("zz",))}
        )
        one = dataclasses.replace(grid, categories={"jj": ("经济发展", ("inv", "zz", "xm"))})
        self.assertEqual((len(grid.blocks()), interleaved.blocks(), one.blocks()), (2, [], []))
        self.assertEqual([c.code for c in one.slots()], ["inv", "zz", "xm"])
        table, _ = render.board_html(one, one.lines)
        self.assertNotIn("kh-grouped", table)
        self.assertNotIn("小计", table)

    def test_a_category_off_its_months_has_a_blank_subtotal(self) -> None:
        grid = self.grid()
        xm = grid.figures["xm"]
        quarterly = dataclasses.replace(xm, status=[Status.NOT_EVALUATED] * len(xm.status))
        off = dataclasses.replace(grid, figures={**grid.figures, "xm": quarterly})
        table, cards = render.board_html(off, off.lines)
        self.assertNotIn('data-testid="cat-bing-xmjs"', table)
        self.assertIn('data-testid="cat-bing-jj">65.42</td>', table)
        self.assertNotIn("项目建设小计</span>", cards)
        self.assertIn("项目建设小计</th>", table)  # the column stays, blank
        sheet = exports.scoreboard_sheet(off, [off.line("bing")])
        self.assertEqual(sheet.rows[0][17], Cell(None, exports.SUBTOTAL))
