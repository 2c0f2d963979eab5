"""A large 成绩单 is paged and sorted on the server: `?page=`, `?sort=`, `?order=` (render.PAGE_SIZE lines a page).

The demo district has 14 townships; `render.PAGE_SIZE` is patched to 5 to page it (3 pages: 5, 5 and 4 rows). Every
expected order is computed here from the grid, independently of `render.sort_lines`.
"""

from __future__ import annotations

import html as html_lib
import io
import re
from itertools import pairwise
from pathlib import Path
from unittest.mock import patch

import openpyxl
import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Browser, expect

from kaohe.assessment import render, selectors
from kaohe.assessment.inputs import Mode
from kaohe.assessment.selectors import Grid, Line
from kaohe.browser import PHONE, Visit
from kaohe.schemes.models import Scheme, Target
from kaohe.scoring import Status
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"
SIZE = 5
FIELDS = {"rank": "rank", "unit": "sort_order", "total": "total", "bonus": "bonus", "deduction": "deduction",
          "group_rank": "group_rank"}  # fmt: skip


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-unit="([\w-]+)"', html)


def cards(html: str) -> list[str]:
    return re.findall(r'<div class="kh-card" data-unit="([\w-]+)"', html)


def totals(html: str) -> list[str]:
    return re.findall(r'data-testid="total-([\w-]+)"', html)


def pager(html: str, where: str = "top") -> str:
    found = re.search(rf'<nav class="kh-pager"[^>]*data-testid="pager-{where}">(.*?)</nav>', html)
    assert found is not None, f"no pager-{where}"
    return found.group(1)


def pager_labels(html: str) -> list[str]:
    return re.findall(r'class="page-link"[^>]*>([^<]+)<', pager(html))


def pager_links(html: str) -> dict[str, str]:
    """The pager's label → its link (unescaped); the current page and disabled items have none."""
    found = re.findall(r'<a class="page-link" href="([^"]*)"[^>]*>([^<]+)</a>', pager(html))
    return {label: html_lib.unescape(url) for url, label in found}


def summary(html: str) -> str:
    found = re.search(r'<div class="kh-card small" data-testid="summary">(.*?)</div>', html, re.S)
    assert found is not None
    return found.group(1)


def expected(grid: Grid, sort: str, order: str, lines: list[Line] | None = None) -> list[str]:
    """The order a sort key gives: by the key (asc or desc), ties by rank then the units' order, and cells that
    show no points (本期不考核, 无任务) last, by rank, in either order."""

    def value(line: Line) -> int | None:
        if sort.startswith("pts-"):
            f = grid.figures[sort[4:]]
            unscored = f.status[line.index] in (Status.NOT_EVALUATED, Status.NO_TARGET)
            return None if unscored else f.points[line.index]
        return int(getattr(line, FIELDS[sort]))

    sign = -1 if order == "desc" else 1
    pool = grid.lines if lines is None else lines
    scored = [line for line in pool if value(line) is not None]
    scored.sort(key=lambda line: (sign * (value(line) or 0), line.rank, line.sort_order))
    unscored = sorted((line for line in pool if value(line) is None), key=lambda line: (line.rank, line.sort_order))
    return [line.code for line in scored + unscored]


class PagedTestCase(WorldTestCase):
    size: int | None = SIZE  # None: the real PAGE_SIZE

    def setUp(self) -> None:
        cache.clear()
        self.scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        self.grid = selectors.grid(scheme=self.scheme, month=DEMO_MONTH)
        self.order = [line.code for line in self.grid.lines]
        if self.size is not None:
            patcher = patch.object(render, "PAGE_SIZE", self.size)
            patcher.start()
            self.addCleanup(patcher.stop)
        self.leader = self.client_for("district_leader")

    def get(self, query: str = "", client: Client | None = None) -> str:
        response = (client or self.leader).get(URL + query)
        self.assertEqual(response.status_code, 200, query)
        return str(response.content.decode())

    def all_pages(self, query: str) -> list[str]:
        """Every page's rows, first to last."""
        return [code for n in (1, 2, 3) for code in rows(self.get(f"{query}&page={n}"))]


class PagingTests(PagedTestCase):
    def test_a_page_shows_its_slice_of_the_grid_order(self) -> None:
        first = self.get()
        self.assertEqual(rows(first), self.order[:SIZE])
        self.assertEqual(cards(first), self.order[:SIZE])
        self.assertEqual(totals(first), self.order[:SIZE])
        self.assertEqual(rows(self.get("?page=1")), self.order[:SIZE])
        second = self.get("?page=2")
        self.assertEqual(rows(second), self.order[SIZE : 2 * SIZE])
        third = self.get("?page=3")
        self.assertEqual(rows(third), self.order[2 * SIZE :])
        self.assertEqual(cards(third), self.order[2 * SIZE :])
        self.assertEqual(totals(third), self.order[2 * SIZE :])
        for line in self.grid.lines[2 * SIZE :]:  # a row of a later page carries its own numbers
            self.assertIn(f'data-testid="total-{line.code}">{render.hundredths(line.total)}<', third)
            self.assertIn(f'data-testid="rank-{line.code}">{line.rank}<', third)

    def test_the_pager_says_which_rows_and_keeps_mode_group_and_order(self) -> None:
        html = self.get("?mode=preview&sort=total&order=desc&page=2")
        for where in ("top", "bottom"):
            self.assertIn(f'data-testid="pager-{where}-range">第 6–10 行，共 14 个单位</span>', pager(html, where))
        self.assertIn('aria-label="成绩单分页（上方）"', html)
        self.assertIn('class="pagination pagination-sm', html)
        self.assertEqual(pager_labels(html), ["上一页", "1", "2", "3", "下一页"])
        self.assertIn('<li class="page-item active" aria-current="page"><span class="page-link">2</span>', html)
        links = pager_links(html)
        self.assertEqual(links["上一页"], "?mode=preview&sort=total&order=desc")  # page 1: no page=
        self.assertEqual(links["1"], "?mode=preview&sort=total&order=desc")
        self.assertEqual(links["3"], "?mode=preview&sort=total&order=desc&page=3")
        self.assertEqual(links["下一页"], "?mode=preview&sort=total&order=desc&page=3")
        self.assertNotIn("2", links)  # the current page is no link
        # A link of the pager leads to the page it names (of the preview's grid).
        preview = selectors.grid(scheme=self.scheme, month=DEMO_MONTH, mode=Mode.PREVIEW)
        self.assertEqual(rows(self.get(links["下一页"])), expected(preview, "total", "desc")[2 * SIZE :])
        # The first and last pages have no page before / after.
        first, last = self.get(), self.get("?page=3")
        self.assertIn('<li class="page-item disabled"><span class="page-link">上一页</span>', pager(first))
        self.assertEqual(pager_links(first)["下一页"], "?mode=official&page=2")
        self.assertIn('<li class="page-item disabled"><span class="page-link">下一页</span>', pager(last, "bottom"))
        self.assertIn("第 11–14 行，共 14 个单位", pager(last))

    def test_a_groups_pages_keep_the_group(self) -> None:
        industry = [line.code for line in self.grid.lines if line.group == "industry"]
        self.assertGreater(len(industry), SIZE)
        html = self.get("?group=industry&page=2")
        self.assertEqual(rows(html), industry[SIZE : 2 * SIZE])
        self.assertIn(f"第 6–{len(industry)} 行，共 {len(industry)} 个单位", pager(html))
        self.assertEqual(pager_links(html)["上一页"], "?mode=official&group=industry")
        header = re.search(r'<a class="kh-sort" href="([^"]+)">总分</a>', html)
        assert header is not None
        self.assertEqual(html_lib.unescape(header.group(1)), "?mode=official&group=industry&sort=total&order=asc")

    def test_the_page_numbers_are_windowed(self) -> None:
        with patch.object(render, "PAGE_SIZE", 1):  # 14 pages
            self.assertEqual(pager_labels(self.get("?page=7")),
                             ["上一页", "1", "…", "5", "6", "7", "8", "9", "…", "14", "下一页"])  # fmt: skip
            self.assertEqual(pager_labels(self.get()), ["上一页", "1", "2", "3", "…", "14", "下一页"])
            self.assertEqual(pager_labels(self.get("?page=14")), ["上一页", "1", "…", "12", "13", "14", "下一页"])
            # A gap of one page shows that page rather than "…".
            self.assertEqual(pager_labels(self.get("?page=5")),
                             ["上一页", "1", "2", "3", "4", "5", "6", "7", "…", "14", "下一页"])  # fmt: skip
            self.assertIn("第 7–7 行，共 14 个单位", self.get("?page=7"))
        self.assertEqual(render.window(1, 1), [1])
        self.assertEqual(render.window(50, 100), [1, None, 48, 49, 50, 51, 52, None, 100])

    def test_an_invalid_or_out_of_range_page_is_clamped(self) -> None:
        for query, page in (("?page=0", 1), ("?page=-3", 1), ("?page=abc", 1), ("?page=", 1), ("?page=2.5", 1),
                            ("?page=99", 3), ("?page=" + "9" * 40, 3), ("?page=3", 3)):  # fmt: skip
            html = self.get(query)
            self.assertEqual(rows(html), self.order[(page - 1) * SIZE : page * SIZE], query)
            self.assertIn(f'aria-current="page"><span class="page-link">{page}</span>', html, query)

    def test_the_summary_is_the_whole_boards(self) -> None:
        whole = summary(self.get("?page=1"))
        self.assertEqual(summary(self.get("?page=3")), whole)
        with patch.object(render, "PAGE_SIZE", 100):
            cache.clear()
            self.assertEqual(summary(self.get()), whole)
        paced = selectors.summary(self.grid).score_on_schedule
        self.assertIn(f"{len(paced)} 个乡镇（街道）得分达序时", whole)

    def test_the_export_keeps_every_row(self) -> None:
        response = self.leader.get(URL + "export.xlsx?page=2&sort=total&order=desc")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["成绩单"]
        first = 5  # title, the categories, the indicators, their parts
        names = [sheet.cell(row, 1).value for row in range(first, first + len(self.order))]
        self.assertEqual(names, [line.name for line in self.grid.lines])


class SortTests(PagedTestCase):
    def test_every_sort_key_orders_all_the_lines_before_paging(self) -> None:
        keys = [*FIELDS, *(f"pts-{c.code}" for c in self.grid.columns)]
        for key in keys:
            for order in ("asc", "desc"):
                with self.subTest(sort=key, order=order):
                    self.assertEqual(self.all_pages(f"?sort={key}&order={order}"), expected(self.grid, key, order))
        for key in ("unit", "total", "group_rank", "pts-ybgg"):  # none of them is the default order by chance
            self.assertNotEqual(expected(self.grid, key, "asc"), self.order, key)

    def test_cells_without_points_sort_last_in_either_order(self) -> None:
        # 无任务 for two townships on ybgg; nlmy is not evaluated this month (本期不考核) for anyone.
        gone = ("jinqiao", "xishan")
        Target.objects.filter(indicator__scheme=self.scheme, indicator__code="ybgg", unit__code__in=gone).delete()
        cache.clear()  # deleted outside the services: no data stamp moves
        grid = selectors.grid(scheme=self.scheme, month=DEMO_MONTH)
        f = grid.figures["ybgg"]
        self.assertEqual({line.code for line in grid.lines if f.status[line.index] is Status.NO_TARGET}, set(gone))
        last = [line.code for line in grid.lines if line.code in gone]  # by rank
        for order in ("asc", "desc"):
            shown = self.all_pages(f"?sort=pts-ybgg&order={order}")
            self.assertEqual(shown, expected(grid, "pts-ybgg", order))
            self.assertEqual(shown[-2:], last, order)
            points = [f.points[grid.line(code).index] for code in shown[:-2]]
            self.assertEqual(points, sorted(points, reverse=order == "desc"), order)
        self.assertTrue(all(s is Status.NOT_EVALUATED for s in grid.figures["nlmy"].status))
        for order in ("asc", "desc"):  # nobody has points: the grid's order
            self.assertEqual(self.all_pages(f"?sort=pts-nlmy&order={order}"), [line.code for line in grid.lines])

    def test_ties_are_broken_by_rank_then_the_units_order(self) -> None:
        bonus = {line.code: line.bonus for line in self.grid.lines}
        self.assertGreater(len(bonus), len(set(bonus.values())) + 5)  # mostly ties
        for order in ("asc", "desc"):
            shown = self.all_pages(f"?sort=bonus&order={order}")
            for a, b in pairwise(shown):
                if bonus[a] == bonus[b]:
                    self.assertLess(self.grid.line(a).rank, self.grid.line(b).rank, (a, b, order))
        by_group_rank = self.all_pages("?sort=group_rank&order=asc")
        self.assertEqual(by_group_rank[:2], [line.code for line in self.grid.lines if line.group_rank == 1])

    def test_an_unknown_sort_key_or_order_is_the_default_order(self) -> None:
        for query in ("?sort=nonsense&order=desc", "?sort=pts-nope", "?sort=pts-<b>", "?sort=total&order=up",
                      "?sort=", "?sort=rank"):  # fmt: skip
            html = self.get(query + "&page=1")
            self.assertEqual(rows(html), self.order[:SIZE], query)
            self.assertIn('aria-sort="ascending"><a class="kh-sort" href="?mode=official&amp;sort=rank&amp;order=desc"'
                          ">位次</a>", html, query)  # fmt: skip
        self.assertEqual(self.all_pages("?sort=rank&order=desc"), self.order[::-1])
        self.assertEqual(self.all_pages("?order=desc"), self.order[::-1])  # no key: the default key, reversed

    def test_a_paged_boards_headers_link_to_the_servers_sort(self) -> None:
        html = self.get("?sort=total&order=asc")
        self.assertNotIn("data-sortable", html)
        self.assertNotIn("data-sort-key", html)
        self.assertIn('<th rowspan="3" aria-sort="ascending"><a class="kh-sort" '
                      'href="?mode=official&amp;sort=total&amp;order=desc">总分</a></th>', html)  # fmt: skip
        self.assertEqual(html.count("aria-sort="), 1)
        heads = dict((label, html_lib.unescape(url)) for url, label in
                     re.findall(r'<a class="kh-sort" href="([^"]+)">([^<]+)</a>', html))  # fmt: skip
        self.assertEqual(heads["位次"], "?mode=official")  # the default order has the shortest URL
        self.assertEqual(heads["单位"], "?mode=official&sort=unit&order=asc")
        self.assertEqual(heads["加分"], "?mode=official&sort=bonus&order=asc")
        self.assertEqual(heads["经济发展小计"], "?mode=official&sort=cat-economy&order=asc")
        self.assertEqual(heads["扣分"], "?mode=official&sort=deduction&order=asc")
        self.assertEqual(heads["组内位次"], "?mode=official&sort=group_rank&order=asc")
        points = re.findall(r'<a class="kh-sort" href="([^"]+)">得分\(名\)</a>', html)
        self.assertEqual([html_lib.unescape(u) for u in points],
                         [f"?mode=official&sort=pts-{c.code}&order=asc" for c in self.grid.columns])  # fmt: skip
        # Sorted descending by an indicator: its header says so and reverses it; the pager keeps it.
        desc = self.get("?mode=preview&sort=pts-ybgg&order=desc&page=2")
        self.assertIn('<th aria-sort="descending"><a class="kh-sort" '
                      'href="?mode=preview&amp;sort=pts-ybgg&amp;order=asc">得分(名)</a></th>', desc)  # fmt: skip
        self.assertEqual(pager_links(desc)["1"], "?mode=preview&sort=pts-ybgg&order=desc")
        # The filter form keeps the order when the mode or group changes.
        self.assertIn('<input type="hidden" name="sort" value="pts-ybgg">', desc)
        self.assertNotIn('type="hidden" name="sort"', self.get())


class UnpagedTests(PagedTestCase):
    size = None  # render.PAGE_SIZE as it is: the demo's 14 townships are one page

    def test_an_unpaged_board_keeps_the_browsers_sort_and_its_markup(self) -> None:
        self.assertEqual(render.PAGE_SIZE, 100)
        html = self.get()
        self.assertIn('data-sortable data-testid="scoreboard"', html)
        self.assertIn('<th rowspan="3" class="kh-sticky-col" data-sort-key data-col="0">单位</th>', html)
        self.assertNotIn("kh-pager", html)
        self.assertNotIn("kh-sort", html)
        self.assertNotIn("aria-sort", html)
        self.assertEqual(rows(html), self.order)
        self.assertEqual(cards(html), self.order)
        self.assertEqual(rows(self.get("?page=3")), self.order)  # no page beyond the one
        # The server's order is honoured on one page too (the browser may sort it again).
        sorted_html = self.get("?sort=total&order=asc")
        self.assertEqual(rows(sorted_html), expected(self.grid, "total", "asc"))
        self.assertIn("data-sortable", sorted_html)
        self.assertNotIn("kh-pager", sorted_html)


class CacheTests(PagedTestCase):
    def test_each_page_and_order_is_cached_apart(self) -> None:
        first = rows(self.get("?page=1"))
        second = rows(self.get("?page=2"))  # the cache is warm: page 1's fragment must not answer
        self.assertEqual((first, second), (self.order[:SIZE], self.order[SIZE : 2 * SIZE]))
        self.assertEqual(rows(self.get("?page=1")), first)
        by_total = rows(self.get("?sort=total&order=asc"))
        self.assertEqual(by_total, expected(self.grid, "total", "asc")[:SIZE])
        self.assertEqual(rows(self.get("?sort=total&order=desc")), expected(self.grid, "total", "desc")[:SIZE])
        self.assertEqual(rows(self.get("?mode=preview&page=2")), rows(self.get("?mode=preview&page=2")))

    def test_equivalent_requests_share_one_fragment(self) -> None:
        with patch.object(render, "board_html", wraps=render.board_html) as board:
            self.get()
            for query in ("?page=1", "?page=1&sort=rank&order=asc", "?sort=rank", "?order=asc", "?page=abc",
                          "?page=0", "?sort=nonsense&order=desc"):  # fmt: skip
                self.get(query)
            self.assertEqual(board.call_count, 1)
            self.get("?page=3")
            self.get("?page=99")  # the board's size is known by now: the last page's fragment
            self.get("?sort=pts-nope")  # no such indicator: the default order's
            self.assertEqual(board.call_count, 2)
            self.get("?page=3&sort=total")  # order=asc is the default order
            self.get("?page=3&sort=total&order=asc")
            self.assertEqual(board.call_count, 3)

    def test_the_keys_are_normalised(self) -> None:
        user = self.users["district_leader"]

        def key(**params: str) -> str:
            view = render.View.of(params)
            return render.page_key(year=DEMO_YEAR, month=DEMO_MONTH, mode=Mode.OFFICIAL, user=user, view=view)

        self.assertEqual(key(), key(page="1", sort="rank", order="asc"))
        self.assertEqual(key(), render.page_key(year=DEMO_YEAR, month=DEMO_MONTH, mode=Mode.OFFICIAL, user=user))
        self.assertNotEqual(key(), key(page="2"))
        self.assertNotEqual(key(), key(sort="rank", order="desc"))
        self.assertNotEqual(key(sort="total"), key(sort="bonus"))
        self.assertNotEqual(key(sort="pts-ybgg"), key(sort="pts-gdzc"))
        self.get()  # records the board's size and indicators
        self.assertEqual(key(page="99"), key(page="3"))
        self.assertEqual(key(sort="pts-nope"), key())
        self.assertNotEqual(key(sort="pts-ybgg"), key())
        second = key(page="2")
        with patch.object(render, "PAGE_SIZE", 7):  # what a page number shows depends on the page size
            self.assertNotEqual(key(page="2"), second)

    def test_no_page_leaks_across_viewers(self) -> None:
        clerk = self.client_for("township_clerk")
        for query in ("", "?page=2", "?sort=total&order=desc"):
            leader = self.get(query)
            self.assertEqual(len(rows(leader)), SIZE, query)
            own = self.get(query, clerk)  # the leader's fragment is warm under the same URL
            self.assertEqual(rows(own), ["qingshi"], query)
            self.assertEqual(cards(own), ["qingshi"], query)
            self.assertNotIn("kh-pager", own, query)
            self.assertEqual(rows(self.get(query)), rows(leader), query)  # and the clerk's never answers the leader
        cache.clear()
        self.assertEqual(rows(self.get("?page=2", clerk)), ["qingshi"])
        self.assertEqual(rows(self.get("?page=2")), self.order[SIZE : 2 * SIZE])

    def test_a_township_clerk_sees_his_one_row_and_no_pager(self) -> None:
        clerk = self.client_for("township_clerk")
        for query in ("", "?page=3", "?page=abc", "?sort=total&order=desc", "?group=industry&page=2"):
            html = self.get(query, clerk)
            self.assertEqual(rows(html), ["qingshi"], query)
            self.assertNotIn("kh-pager", html, query)
            self.assertNotIn("kh-sort", html, query)
            self.assertIn("data-sortable", html, query)
            self.assertNotIn("白沙镇", html, query)


@pytest.mark.browser
def test_a_paged_board_in_a_browser(browser: Browser, site: str, output_dir: Path) -> None:
    """On a paged board a click on a header sorts every line on the server and the pager turns the pages; on a
    phone the cards show one page between the two pagers. No error on the console (CSP: no inline handler)."""
    grid = selectors.grid(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)
    with patch.object(render, "PAGE_SIZE", SIZE):  # the live server runs in this process
        cache.clear()
        visit = Visit(browser, site, viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        visit.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        visit.login("lingdao")
        visit.page.goto(site + URL)
        body = visit.page.locator('[data-testid="scoreboard"] tbody tr')
        expect(body).to_have_count(SIZE)
        expect(visit.page.get_by_test_id("pager-top-range")).to_have_text("第 1–5 行，共 14 个单位")
        visit.page.locator("th a.kh-sort", has_text="总分").click()
        visit.page.wait_for_url(re.compile(r"sort=total&order=asc"))
        expect(visit.page.locator('th[aria-sort="ascending"]')).to_have_text("总分")
        ascending = expected(grid, "total", "asc")
        expect(body.first).to_have_attribute("data-unit", ascending[0])
        visit.page.get_by_test_id("pager-bottom").get_by_role("link", name="下一页").click()
        visit.page.wait_for_url(re.compile(r"sort=total&order=asc&page=2"))
        expect(body).to_have_count(SIZE)
        assert [body.nth(k).get_attribute("data-unit") for k in range(SIZE)] == ascending[SIZE : 2 * SIZE]
        visit.page.screenshot(path=str(output_dir / "scoreboard-paged.png"))
        visit.close()
        phone = Visit(browser, site, **PHONE)
        phone.login("lingdao")
        phone.page.goto(site + URL + "?page=3")
        cards_shown = phone.page.locator('[data-testid="cards"] .kh-card:not(.kh-total)')
        expect(cards_shown).to_have_count(len(grid.lines) - 2 * SIZE)
        expect(phone.page.get_by_test_id("pager-top")).to_be_visible()
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["viewport"]["width"], width  # the pager wraps rather than scroll sideways
        phone.page.screenshot(path=str(output_dir / "scoreboard-paged-phone.png"), full_page=True)
        phone.close()
    assert errors == []
    assert visit.foreign == [] and phone.foreign == []
