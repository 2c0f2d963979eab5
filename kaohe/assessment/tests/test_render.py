"""The fast 成绩单: the grid equals the reference engine number for number, the Python-rendered HTML equals what the
filters show, the page is one cached fragment, and the explanation of a point is fetched on its own."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import Browser, expect

from kaohe.assessment import render, selectors
from kaohe.assessment.inputs import Mode, load
from kaohe.assessment.templatetags import kaohe_format
from kaohe.browser import Visit
from kaohe.org.models import Unit
from kaohe.schemes.models import Indicator, ItemRecord, ItemType, Scheme, Target
from kaohe.scoring import Status, fmt_points, round_half_up, score_period, score_year, to_arrays
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"
SCALE = Decimal(10**4)


class NumbersTests(WorldTestCase):
    """The integer rounding and formatting the grid and the renderer use are the engine's and the filters'."""

    def test_half_up_is_round_half_up(self) -> None:
        rng = random.Random(7)
        cases = [(n, d) for n in range(-30, 31) for d in (1, 2, 3, 4, 8, 10, 12, 200)]
        cases += [(rng.randrange(-(10**22), 10**22), rng.randrange(1, 10**12)) for _ in range(5000)]
        for n, d in cases:
            self.assertEqual(selectors.half_up(n, d), int(round_half_up(Fraction(n, d), 0)), (n, d))

    def test_half_up_on_arrays_is_half_up(self) -> None:
        rng = random.Random(8)
        cases = [(n, d) for n in range(-30, 31) for d in (1, 2, 3, 4, 8, 10, 12, 200)]
        cases += [(rng.randrange(-(10**17), 10**17), rng.randrange(1, 10**12)) for _ in range(5000)]
        numerators, denominators = (np.array(column, np.int64) for column in zip(*cases, strict=True))
        found = selectors._half_up_array(numerators, denominators).tolist()
        self.assertEqual(found, [selectors.half_up(n, d) for n, d in cases])

    def test_numbers_read_as_the_filters_show_them(self) -> None:
        rng = random.Random(11)
        scaled = [0, 1, 49, 50, 51, 149, 150, -50, -51, -149, -150, 10**4, 123_456_789, -123_456_789, 10**16]
        scaled += [rng.randrange(-(10**15), 10**15) for _ in range(3000)]
        for x in scaled:
            exact = Decimal(x) / SCALE
            for places in range(5):  # an indicator's 0–4 display decimals
                self.assertEqual(render.fmt_amount(x, places), kaohe_format.figure(exact, places), (x, places))
        self.assertEqual(render.fmt_amount(None), kaohe_format.figure(None))
        self.assertEqual(
            (render.fmt_amount(840_000_000, 0), render.fmt_amount(840_000_000, 2)), ("84,000", "84,000.00")
        )
        samples = rng.sample(range(-(10**6), 10**6), 500)
        for n in [0, 1, 5, 99, 100, 6522, -1, -99, -100, -1522, 1522, 10**9, *samples]:
            self.assertEqual(render.hundredths(n), fmt_points(Fraction(n, 100)), n)
            for places in range(5):
                self.assertEqual(render.fmt_pp(n, places), kaohe_format.pp(Fraction(n, 10**places), places), n)
                if n >= 0:
                    shown = kaohe_format.pct(Fraction(n, 10 ** (2 + places)), places)
                    self.assertEqual(render.fmt_pct(n, places), shown, (n, places))
        self.assertEqual((render.fmt_pct(None), render.fmt_pp(None)), ("-", "-"))


class GridTests(WorldTestCase):
    """The grid (whole-year arrays) equals the reference engine's period, cell by cell, as shown."""

    def setUp(self) -> None:
        cache.clear()
        self.scheme = Scheme.objects.official().get(year=DEMO_YEAR)

    def assert_grid_is_the_engines(self, mode: Mode) -> None:
        grid = selectors.compute_grid(self.scheme, DEMO_MONTH, mode)
        inputs = load(self.scheme, mode=mode, through=DEMO_MONTH)
        engine = score_period(inputs.engine_scheme, inputs.data, DEMO_MONTH)
        year = score_year(inputs.engine_scheme, inputs.data, through=DEMO_MONTH)
        # The 小计 and 全区合计 rows: the grid's equal the reference board's (what kaohe score --json prints).
        self.assertEqual(grid.totals, selectors.compute_board(inputs, DEMO_MONTH).totals)
        self.assertTrue(any(s is not None and s.completion for t in grid.totals for s in t.sums.values()))
        order = sorted(engine.units, key=lambda r: (r.rank, grid.line(r.unit).sort_order))
        self.assertEqual([line.code for line in grid.lines], [r.unit for r in order])
        for line in grid.lines:
            result = engine.unit(line.code)
            self.assertEqual(line.total, int(round_half_up(result.total, 2).scaleb(2)), line.code)
            self.assertEqual(line.bonus, int(round_half_up(result.bonus, 2).scaleb(2)), line.code)
            self.assertEqual(line.deduction, int(round_half_up(result.deduction, 2).scaleb(2)), line.code)
            self.assertEqual(
                (line.rank, line.group_rank, line.vetoes, line.grade, line.score_on_schedule),
                (result.rank, result.group_rank, result.vetoes, result.grade, result.score_on_schedule),
                line.code,
            )
            self.assertEqual((line.on_schedule_count, line.evaluated_count),
                             (result.on_schedule_count, result.evaluated_count))  # fmt: skip
            self.assertEqual(line.rank_change, year.rank_change(line.code, DEMO_MONTH), line.code)
            for cell in result.indicators:
                f, u, where = grid.figures[cell.indicator], line.index, (line.code, cell.indicator)
                self.assertIs(f.status[u], cell.status, where)
                self.assertEqual(f.points[u], int(round_half_up(cell.points, 2).scaleb(2)), where)
                self.assertEqual(f.rank[u], cell.rank or 0, where)
                if cell.status in (Status.NOT_EVALUATED, Status.NO_TARGET):
                    continue
                self.assertEqual(f.target[u], None if cell.target is None else int(cell.target * SCALE), where)
                self.assertEqual(f.actual[u], None if cell.actual is None else int(cell.actual * SCALE), where)
                completion = None if cell.completion is None else int(round_half_up(cell.completion * 100, 2) * 100)
                self.assertEqual(f.completion[u], completion, where)
                gap = None if cell.gap_pp is None else int(round_half_up(cell.gap_pp, 2) * 100)
                self.assertEqual(f.gap[u], gap, where)

    def test_official_and_preview_equal_the_engine(self) -> None:
        self.assert_grid_is_the_engines(Mode.OFFICIAL)
        self.assert_grid_is_the_engines(Mode.PREVIEW)

    def test_figures_too_large_for_int64_arithmetic_equal_the_engine(self) -> None:
        # A volume's gap is computed in int64 unless the numbers could overflow: a figure and its target of
        # a hundred billion (万元; 15 digits, which SQLite holds exactly too) take the exact Python path.
        from kaohe.collection.models import Value

        value = Value.objects.filter(submission__scheme=self.scheme, submission__month=DEMO_MONTH,
                                     submission__unit__code="qingshi", indicator__code="gdzc").get()  # fmt: skip
        value.amount = Decimal("98765432109.8765")
        value.save(update_fields=["amount"])
        Target.objects.filter(indicator__scheme=self.scheme, indicator__code="gdzc", unit__code="qingshi").update(
            amount=Decimal("99999999999.9999")
        )
        self.assert_grid_is_the_engines(Mode.OFFICIAL)
        grid = selectors.compute_grid(self.scheme, DEMO_MONTH, Mode.OFFICIAL)
        self.assertEqual(grid.figures["gdzc"].completion[grid.line("qingshi").index], 9877)  # 98.77 %

    def test_staged_targets_and_vetoes_equal_the_engine(self) -> None:
        # 分期目标 on a cumulative indicator for two townships, and an approved veto (total 0) for a third.
        for target in Target.objects.filter(indicator__scheme=self.scheme, indicator__code="gdzc",
                                            unit__code__in=("qingshi", "taoyuan")):  # fmt: skip
            stage = {m: str((target.amount * Decimal(share)).quantize(Decimal("0.0001")))
                     for m, share in (("3", "0.2"), ("6", "0.45"), ("9", "0.8"))}  # fmt: skip
            target.stages = stage
            target.save(update_fields=["stages"])
        veto = ItemType.objects.create(scheme=self.scheme, kind="veto", code="t_veto", name="测试否决",
                                       veto_effect="zero_total")  # fmt: skip
        ItemRecord.objects.create(item_type=veto, unit=self.other_unit, month=DEMO_MONTH, reason="测试",
                                  status="approved", proposed_by=self.users["district_admin"])  # fmt: skip
        self.assert_grid_is_the_engines(Mode.OFFICIAL)
        line = selectors.compute_grid(self.scheme, DEMO_MONTH, Mode.OFFICIAL).line(self.other_unit.code)
        self.assertEqual((line.total, len(line.vetoes)), (0, 1))

    def test_the_arrays_are_the_reference_loaders_for_the_months_read(self) -> None:
        months = (DEMO_MONTH - 1, DEMO_MONTH)
        loaded = selectors.load_arrays(self.scheme, mode=Mode.PREVIEW, month=DEMO_MONTH, months=months)
        inputs = load(self.scheme, mode=Mode.PREVIEW, through=DEMO_MONTH)
        reference = to_arrays(inputs.engine_scheme, inputs.data, DEMO_MONTH)
        a = loaded.arrays
        self.assertEqual((a.units, a.groups, a.indicators), (reference.units, reference.groups, reference.indicators))
        np.testing.assert_array_equal(a.targets, reference.targets)
        np.testing.assert_array_equal(a.has_target, reference.has_target)
        self.assertEqual(dict(a.stages), dict(reference.stages))
        self.assertEqual(dict(a.changes), dict(reference.changes))
        self.assertTrue(a.changes, "the demo has a target adjustment")
        self.assertEqual(a.scored_months, months)  # earlier figures are never read, nor scored
        for k, m in enumerate(months):
            np.testing.assert_array_equal(a.values[:, k], reference.values[:, m - 1])
            np.testing.assert_array_equal(a.reported[:, k], reference.reported[:, m - 1])
        self.assertEqual(sorted(map(repr, a.adjustments)), sorted(map(repr, inputs.data.adjustments)))
        self.assertEqual(a.vetoes, inputs.data.vetoes)

    def test_the_summary_is_the_reference_boards(self) -> None:
        grid = selectors.grid(scheme=self.scheme, month=DEMO_MONTH)
        board = selectors.scoreboard(scheme=self.scheme, month=DEMO_MONTH)
        self.assertEqual(selectors.summary(grid), selectors.summary(board))
        self.assertEqual(selectors.summary(grid, 3), selectors.summary(board, 3))

    def test_one_indicators_explanations_are_the_reference_engines(self) -> None:
        board = selectors.scoreboard(scheme=self.scheme, month=DEMO_MONTH)
        for code in ("ybgg", "qyzh", "sjzj", "gyzjz"):  # ratio, combo, efficacy (pooled), growth
            cells = selectors.explanations(scheme=self.scheme, month=DEMO_MONTH, mode=Mode.OFFICIAL, indicator=code)
            self.assertEqual(len(cells), 14)
            for row in board.rows:
                self.assertEqual(cells[row.code], row.cells[code], (row.code, code))
        self.assertEqual(
            selectors.explanations(scheme=self.scheme, month=DEMO_MONTH, mode=Mode.OFFICIAL, indicator="nope"), {}
        )


class PageTests(WorldTestCase):
    def setUp(self) -> None:
        cache.clear()

    def test_a_cached_page_reads_no_figure_and_no_target(self) -> None:
        client = self.client_for("district_leader")
        token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked afresh on every page
        first = token.sub("", client.get(URL).content.decode())
        with CaptureQueriesContext(connection) as queries:
            second = token.sub("", client.get(URL).content.decode())
        self.assertEqual(first, second)
        read = " ".join(q["sql"] for q in queries.captured_queries)
        for table in ("collection_value", "schemes_target", "schemes_indicator", "schemes_scheme"):
            self.assertNotIn(table, read)
        self.assertLessEqual(len(queries.captured_queries), 8)  # session, user, data stamp, session save

    def test_scope_and_filters_have_their_own_pages(self) -> None:
        leader = self.client_for("district_leader").get(URL + "?group=industry").content.decode()
        self.assertIn('data-unit="qingshi"', leader)
        self.assertNotIn('data-unit="taoyuan"', leader)
        unknown = self.client_for("district_leader").get(URL + "?group=nonsense").content.decode()
        self.assertIn('data-unit="taoyuan"', unknown)  # an unknown group is no filter
        clerk = self.client_for("township_clerk").get(URL).content.decode()
        self.assertEqual(re.findall(r'<tr data-unit="([\w-]+)"', clerk), ["qingshi"])
        self.assertEqual(re.findall(r'<div class="kh-card" data-unit="([\w-]+)"', clerk), ["qingshi"])
        self.assertNotIn('data-testid="summary"', clerk)
        self.assertIn('data-testid="summary"', leader)

    def test_names_are_escaped(self) -> None:
        Unit.objects.filter(code="baisha").update(name="<b>白沙</b>镇")
        Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="", code="ybgg").update(name='预算"收入"<i>')
        cache.clear()  # renamed outside the services: no data stamp moves
        html = self.client_for("district_leader").get(URL).content.decode()
        self.assertNotIn("<b>白沙</b>", html)
        self.assertIn("&lt;b&gt;白沙&lt;/b&gt;镇", html)
        self.assertIn("预算&quot;收入&quot;&lt;i&gt;", html)

    def test_one_delegated_handler_opens_the_explanations(self) -> None:
        html = self.client_for("district_leader").get(URL).content.decode()
        self.assertNotIn("hx-get", html)
        self.assertIn("kaohe/scores.js", html)
        self.assertIn('data-kh-explain-target="#kh-detail"', html)
        self.assertIn(f'<a class="kh-pts" href="{URL}explain/qingshi/ybgg/" data-testid="pts-qingshi-ybgg">', html)
        preview = self.client_for("district_leader").get(URL + "?mode=preview").content.decode()
        self.assertIn(f'href="{URL}explain/qingshi/ybgg/?mode=preview" data-testid="pts-qingshi-ybgg"', preview)
        self.assertIn(f'href="{URL}export.xlsx?mode=preview"', preview)
        partial = self.client_for("district_leader").get(URL + "explain/qingshi/qyzh/", HTTP_HX_REQUEST="true")
        self.assertContains(partial, 'data-testid="explanation"')
        self.assertNotContains(partial, "<html")
        self.assertEqual(self.client_for("district_leader").get(URL + "explain/qingshi-01/ybgg/").status_code, 404)

    def test_the_table_keeps_its_columns_for_sorting(self) -> None:
        html = self.client_for("district_leader").get(URL).content.decode()
        grid = selectors.grid(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)
        row = re.search(r'<tr data-unit="qingshi">(.*?)</tr>', html)
        assert row is not None
        cells = re.findall(r"<t[hd][ >]", row.group(1))
        # the header's data-col indexes hold: 5 cells per indicator and each category's 小计
        self.assertEqual(len(cells), 1 + 5 * len(grid.columns) + len(grid.blocks()) + 9)
        self.assertEqual(len(grid.blocks()), 8)  # the eight categories, economic and not
        line = grid.line("qingshi")
        f = grid.figures["ybgg"]
        points = render.hundredths(f.points[line.index])
        self.assertIn(f'<td class="text-end" data-sort="{points}"><a class="kh-pts"', row.group(1))


@pytest.mark.browser
def test_a_click_on_a_point_shows_its_explanation_in_place(browser: Browser, site: str, output_dir: Path) -> None:
    visit = Visit(browser, site)
    visit.login("lingdao")
    visit.page.goto(site + URL)
    visit.page.get_by_test_id("pts-qingshi-ybgg").click()
    detail = visit.page.locator("#kh-detail")
    expect(detail.get_by_test_id("explanation")).to_contain_text("青石镇")
    assert visit.page.url == site + URL  # fetched into the page, not followed
    visit.page.screenshot(path=str(output_dir / "scoreboard-explanation.png"))
    assert visit.foreign == []
    visit.close()
