"""驾驶舱: rankings, heat map, trends and the bulletin's figures equal the engine's; every chart has its table;
township users see their own township only; query counts are pinned and do not grow with the district."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import Browser, expect

from kaohe.accounts.models import User
from kaohe.assessment import dashboard, selectors
from kaohe.assessment.inputs import Mode
from kaohe.browser import PHONE, Visit
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission, Value
from kaohe.org.models import Unit
from kaohe.schemes.models import Scheme, Target
from kaohe.scoring import Status, fmt_points
from kaohe.test import DEMO_MONTH, DEMO_YEAR, OTHER_UNIT, OWN_UNIT, WorldTestCase

URL = f"/scores/dashboard/{DEMO_YEAR}/{DEMO_MONTH}/"
BOARD_URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"
WARNINGS_URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/warnings/"

# Pinned query counts (district leader; a township user adds one, for his own township's code). Each request
# spends 5 on the session (read, user, savepoint + update + release); the rest is the page's own, where "load" is
# `inputs.load` (12 today), "stamp" `selectors.data_stamp` (1) and "months" `selectors.latest_month` (2):
# 成绩单: the page as it stands (its owner re-pins it with the page).
# 驾驶舱, cold: scheme, stamp + load for the board, stamp + load for the whole-year run, months; warm: the same
#   without the two loads.
# 预警, cold: scheme, stamp + load for the board, lower-is-better indicators, last year's figures, months; warm:
#   the same without the load.
# Each load asks the 报表及时率 (units, months handed in per township, the months of those with a gap, the late
# reports); the grid's load reads the period's reports, then their figures.
# The session is written once a minute, not on every request (accounts.middleware), so none of these writes it.
SCOREBOARD_COLD, SCOREBOARD_WARM = 24, 3
DASHBOARD_COLD, DASHBOARD_WARM = 35, 7
WARNINGS_COLD, WARNINGS_WARM = 22, 8


def client(test: WorldTestCase, role: str) -> Client:
    """A logged-in client whose session has been used once (so every counted request costs the same)."""
    c = test.client_for(role)
    c.get("/")
    return c


def charts(html: str) -> dict[str, tuple[str, dict]]:  # type: ignore[type-arg]
    """testid of the figure → (chart kind, its JSON)."""
    found = {}
    for section in re.findall(r'<section class="[^"]*kh-dash-figure[^"]*".*?</section>', html, re.S):
        testid = re.search(r'data-testid="([\w-]+)"', section)
        chart = re.search(r'data-chart="(\w+)".*?<script type="application/json">(.*?)</script>', section, re.S)
        assert testid and chart, section[:200]
        found[testid.group(1)] = (chart.group(1), json.loads(chart.group(2)))
    return found


def table_rows(html: str, testid: str) -> list[list[str]]:
    """The body rows of one table, each cell's text (links and tags dropped)."""
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S)
    assert table, testid
    body = table.group(0).split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def add_townships(n: int, like: str = "meiling") -> None:
    """n more townships, each a copy of `like`: its targets and its approved figures of the demo month."""
    model = Unit.objects.get(code=like)
    scheme = Scheme.objects.official().get(year=DEMO_YEAR)
    clerk = User.objects.get(username="kaoheban")
    targets = list(Target.objects.filter(indicator__scheme=scheme, unit=model))
    values = list(
        Value.objects.filter(
            submission__scheme=scheme, submission__unit=model, submission__month=DEMO_MONTH,
            submission__status=SubmissionStatus.APPROVED,
        )
    )  # fmt: skip
    for i in range(n):
        unit = Unit.objects.create(code=f"extra{i}", name=f"新增{i}镇", kind=model.kind, parent=model.parent,
                                   group=model.group, sort_order=100 + i)  # fmt: skip
        Target.objects.bulk_create(
            Target(indicator_id=t.indicator_id, unit=unit, amount=t.amount, stages=t.stages) for t in targets
        )
        submission = Submission.objects.create(
            scheme=scheme, unit=unit, month=DEMO_MONTH, status=SubmissionStatus.APPROVED
        )
        Value.objects.bulk_create(
            Value(submission=submission, indicator_id=v.indicator_id, amount=v.amount, entered_by=clerk) for v in values
        )


def cold_count(c: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = c.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


class DashboardNumbersTests(WorldTestCase):
    def setUp(self) -> None:
        self.scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        self.board = selectors.scoreboard(scheme=self.scheme, month=DEMO_MONTH)
        self.html = client(self, "district_leader").get(URL).content.decode()

    def test_the_index_redirects_to_the_latest_period(self) -> None:
        response = self.client_for("district_leader").get("/scores/dashboard/")
        self.assertRedirects(response, URL, fetch_redirect_response=False)

    def test_rankings_are_the_scoreboards_totals_in_rank_order(self) -> None:
        kind, data = charts(self.html)["fig-ranking"]
        self.assertEqual(kind, "bar")
        self.assertEqual(data["x"], [r.name for r in self.board.rows])
        ranks = [r.result.rank for r in self.board.rows]
        self.assertEqual(ranks, sorted(ranks))
        totals, paced = data["series"][0]["data"], data["series"][1]["data"]
        self.assertEqual(
            [Decimal(str(t)) for t in totals], [Decimal(fmt_points(r.result.total)) for r in self.board.rows]
        )
        self.assertEqual([Decimal(str(p)) for p in paced],
                         [Decimal(fmt_points(r.result.paced_total)) for r in self.board.rows])  # fmt: skip
        self.assertEqual(data["links"][0], f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/{self.board.rows[0].code}/")
        # Concrete: the demo's leaders and laggards.
        self.assertEqual(self.board.rows[0].result.rank, 1)
        self.assertEqual(len(data["x"]), 14)

    def test_the_heat_map_is_every_townships_status_on_every_indicator_judged_this_month(self) -> None:
        kind, data = charts(self.html)["fig-heatmap"]
        self.assertEqual(kind, "heatmap")
        columns = [c for c in self.board.columns if c.evaluated]
        self.assertEqual(data["x"], [c.name for c in columns])
        self.assertNotIn("农林牧渔业总产值", data["x"])  # quarterly: not judged in October
        self.assertEqual(len(data["cells"]), len(columns) * len(self.board.rows))
        for x, y, level in data["cells"]:
            status = self.board.rows[y].cells[columns[x].code].status
            self.assertEqual(
                data["levels"][level]["name"], "无任务" if status is Status.NOT_EVALUATED else status.label
            )
        meiling = data["y"].index("梅岭镇")
        dwzj = data["x"].index("招商引资实际到位资金")
        self.assertIn([dwzj, meiling, 2], data["cells"])  # 欠序时
        self.assertTrue(data["xLinks"][dwzj].endswith("/indicator/dwzj/"))

    def test_trends_come_from_one_whole_year_run_shared_with_the_unit_pages(self) -> None:
        _, ranks = charts(self.html)["fig-rank-trend"]
        _, totals = charts(self.html)["fig-total-trend"]
        self.assertEqual(ranks["x"], [f"{m}月" for m in range(1, DEMO_MONTH + 1)])
        with self.assertNumQueries(1):  # the data stamp: the run is the dashboard's, from the cache
            trend = selectors.unit_trend(scheme=self.scheme, month=DEMO_MONTH, mode=Mode.OFFICIAL, unit="meiling")
        series = {s["name"]: s["data"] for s in ranks["series"]}
        self.assertEqual(series["梅岭镇"], [p.rank for p in trend])
        series = {s["name"]: s["data"] for s in totals["series"]}
        self.assertEqual([Decimal(str(v)) for v in series["梅岭镇"]], [p.total for p in trend])
        self.assertEqual(series[self.board.rows[0].name][-1], float(fmt_points(self.board.rows[0].result.total)))

    def test_every_chart_has_a_table_with_the_same_numbers(self) -> None:
        found = charts(self.html)
        self.assertEqual(set(found), {"fig-ranking", "fig-heatmap", "fig-rank-trend", "fig-total-trend"})
        self.assertEqual(self.html.count('class="kh-chart'), 4)
        ranking = table_rows(self.html, "table-ranking")
        data = found["fig-ranking"][1]
        self.assertEqual([r[1] for r in ranking], data["x"])
        self.assertEqual([Decimal(r[2]) for r in ranking], [Decimal(str(v)) for v in data["series"][0]["data"]])
        self.assertEqual([Decimal(r[3]) for r in ranking], [Decimal(str(v)) for v in data["series"][1]["data"]])
        heat = table_rows(self.html, "table-heatmap")
        data = found["fig-heatmap"][1]
        self.assertEqual([r[0] for r in heat], data["y"])
        for x, y, level in data["cells"]:
            shown = heat[y][x + 1]
            self.assertEqual(shown if shown != "本期不考核" else "无任务", data["levels"][level]["name"])
        for testid, figure in (("table-rank-trend", "fig-rank-trend"), ("table-total-trend", "fig-total-trend")):
            rows = table_rows(self.html, testid)
            series = found[figure][1]["series"]
            self.assertEqual([r[0] for r in rows], [s["name"] for s in series])
            for row, s in zip(rows, series, strict=True):
                self.assertEqual([Decimal(v) for v in row[1:]], [Decimal(str(v)) for v in s["data"]])
        # The tables are in the page for screen readers and paper; the print stylesheet shows them.
        self.assertEqual(self.html.count('class="table-responsive kh-fallback"'), 3)  # hidden once drawn
        self.assertIn("@media print", self.html)

    def test_drill_down_links_reach_the_unit_and_indicator_pages(self) -> None:
        self.assertIn(f'href="/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/meiling/"', self.html)
        self.assertIn(f'href="/scores/{DEMO_YEAR}/{DEMO_MONTH}/indicator/dwzj/"', self.html)
        c = self.client_for("district_leader")
        self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/meiling/").status_code, 200)
        self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/indicator/dwzj/").status_code, 200)

    def test_the_menu_has_the_dashboard(self) -> None:
        self.assertIn('href="/scores/dashboard/"', self.html)
        self.assertIn("驾驶舱", self.html)
        security = self.client_for("security_admin").get("/").content.decode()
        self.assertNotIn("/scores/dashboard/", security)
        self.assertEqual(self.client_for("security_admin").get(URL).status_code, 404)


class SummaryTests(WorldTestCase):
    def setUp(self) -> None:
        self.board = selectors.scoreboard(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)

    def page(self, query: str = "") -> str:
        return self.client_for("district_leader").get(URL + query).content.decode()

    def test_the_bulletin_figures_are_the_selectors_summary(self) -> None:
        expected = selectors.summary(self.board)
        html = self.page()
        self.assertEqual(expected.indicator_count, 22)  # 26 indicators: 3 quarterly, 1 combo not counted
        self.assertEqual(expected.k, 11)  # default: half the indicators
        self.assertIn(f'data-testid="card-score-on">{len(expected.score_on_schedule)}<', html)
        self.assertIn(
            f"得分达序时的 {len(expected.score_on_schedule)} 个：{'、'.join(expected.score_on_schedule)}。", html
        )
        self.assertIn(f"达序时指标超过 11 项的 {len(expected.above_k)} 个：{'、'.join(expected.above_k)}。", html)
        completed = sum(len(v) for v in expected.completed.values())
        self.assertIn(f'data-testid="card-completed">{completed}<', html)
        for name, indicators in expected.completed.items():
            self.assertIn(f"<li>{name}：{'、'.join(indicators)}</li>", html)
        # Concrete facts of the demo: 梅岭镇 has 新开工亿元以上项目 done; 石门镇 is on schedule only in keeping its
        # 生产安全事故死亡人数 (one death) within the control figure.
        self.assertIn("新开工亿元以上项目", expected.completed["梅岭镇"])
        self.assertEqual(expected.on_schedule["石门镇"], 1)
        self.assertNotIn("石门镇", expected.score_on_schedule)

    def test_k_changes_the_more_than_k_list(self) -> None:
        everyone = selectors.summary(self.board, 0).above_k
        few = selectors.summary(self.board, 15).above_k
        self.assertGreater(len(everyone), len(few))
        low, high = self.page("?k=0"), self.page("?k=15")
        self.assertIn(f"达序时指标超过 0 项的 {len(everyone)} 个：{'、'.join(everyone)}。", low)
        self.assertIn(f"达序时指标超过 15 项的 {len(few)} 个：{'、'.join(few)}。", high)
        self.assertIn('<option value="15" selected>', high)
        names = {r.name: r.result.on_schedule_count for r in self.board.rows}
        self.assertEqual(set(few), {n for n, count in names.items() if count > 15})

    def test_a_k_out_of_range_or_not_a_number_means_the_default(self) -> None:
        default = selectors.summary(self.board)
        for query in ("?k=abc", "?k=99", "?k=-1", "?k=", "?k=١"):
            self.assertIn(f"达序时指标超过 {default.k} 项的 {len(default.above_k)} 个", self.page(query), query)


class DashboardScopeTests(WorldTestCase):
    def test_a_township_clerk_sees_only_his_own_township(self) -> None:
        for role in ("township_clerk", "township_leader"):
            c = self.client_for(role)
            html = c.get(URL).content.decode()
            self.assertEqual(set(re.findall(r'data-unit="([\w-]+)"', html)), {OWN_UNIT}, role)
            for _, data in charts(html).values():
                names = data.get("y") or (data["x"] if "links" in data else [s["name"] for s in data["series"]])
                self.assertEqual(names, ["青石镇"], role)
            self.assertNotIn('data-testid="dash-summary"', html)
            self.assertNotIn("白沙镇", html)
            self.assertNotIn("得分达序时的", html)
            self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/{OTHER_UNIT}/").status_code, 404)
            self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/{OWN_UNIT}/").status_code, 200)

    def test_preview_and_bad_periods(self) -> None:
        c = self.client_for("district_leader")
        html = c.get(URL + "?mode=preview").content.decode()
        self.assertIn("预览：含待审核数据", html)
        self.assertIn(f'"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/', html)
        self.assertIn("?mode=preview", html)
        self.assertEqual(c.get(f"/scores/dashboard/{DEMO_YEAR}/13/").status_code, 404)
        self.assertEqual(c.get(f"/scores/dashboard/{DEMO_YEAR}/0/").status_code, 404)
        self.assertEqual(c.get("/scores/dashboard/1999/1/").status_code, 404)

    def test_the_selector_limits_to_one_township(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        dash = dashboard.dashboard(scheme=scheme, month=DEMO_MONTH, unit="meiling")
        self.assertEqual([r.code for r in dash.rows], ["meiling"])
        self.assertIsNone(dash.summary)
        self.assertEqual(dash.charts["heatmap"]["y"], ["梅岭镇"])


class QueryCountTests(WorldTestCase):
    """Exact query counts, cold and warm, and the same count with more townships (no N+1)."""

    def test_scoreboard_cold_and_warm(self) -> None:
        c = client(self, "district_leader")
        cache.clear()
        with self.assertNumQueries(SCOREBOARD_COLD):
            self.assertEqual(c.get(BOARD_URL).status_code, 200)
        with self.assertNumQueries(SCOREBOARD_WARM):
            self.assertEqual(c.get(BOARD_URL).status_code, 200)

    def test_dashboard_cold_and_warm(self) -> None:
        c = client(self, "district_leader")
        cache.clear()
        with self.assertNumQueries(DASHBOARD_COLD):
            self.assertEqual(c.get(URL).status_code, 200)
        with self.assertNumQueries(DASHBOARD_WARM):
            self.assertEqual(c.get(URL).status_code, 200)
        clerk = client(self, "township_clerk")
        cache.clear()
        with self.assertNumQueries(DASHBOARD_COLD + 1):
            self.assertEqual(clerk.get(URL).status_code, 200)

    def test_warnings_cold_and_warm(self) -> None:
        c = client(self, "district_leader")
        cache.clear()
        with self.assertNumQueries(WARNINGS_COLD):
            self.assertEqual(c.get(WARNINGS_URL).status_code, 200)
        with self.assertNumQueries(WARNINGS_WARM):
            self.assertEqual(c.get(WARNINGS_URL).status_code, 200)

    def test_the_counts_do_not_grow_with_the_number_of_townships(self) -> None:
        c = client(self, "district_leader")
        before = {url: cold_count(c, url) for url in (URL, WARNINGS_URL, BOARD_URL)}
        add_townships(3)
        board = selectors.scoreboard(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH)
        self.assertEqual(len(board.rows), 17)
        after = {url: cold_count(c, url) for url in (URL, WARNINGS_URL, BOARD_URL)}
        self.assertEqual(after, before)
        html = c.get(URL).content.decode()
        self.assertIn("新增2镇", html)
        self.assertIn("新增2镇", c.get(WARNINGS_URL).content.decode())


@pytest.mark.browser
def test_the_dashboard_and_warnings_draw_in_a_browser(browser: Browser, site: str, output_dir: Path) -> None:
    """Every chart draws (no CSP or script error), its table stays for screen readers and paper, a phone does not
    scroll sideways, and the printed 预警清单 leaves the menu off."""
    visit = Visit(browser, site)
    errors: list[str] = []
    visit.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    visit.page.on("pageerror", lambda e: errors.append(str(e)))
    visit.login("lingdao")
    visit.page.goto(site + URL)
    for testid in ("fig-ranking", "fig-heatmap", "fig-rank-trend", "fig-total-trend"):
        figure = visit.page.get_by_test_id(testid)
        expect(figure).to_have_class(re.compile(r"\bkh-charted\b"))
        expect(figure.locator(".kh-chart canvas").first).to_be_visible()
    heat = visit.page.get_by_test_id("table-heatmap")
    assert heat.evaluate("t => t.closest('.kh-fallback').getBoundingClientRect().width") <= 1  # hidden on screen …
    expect(heat.get_by_role("rowheader").first).to_have_text("金桥镇")  # … but read by screen readers
    visit.page.get_by_test_id("fig-heatmap").get_by_role("button", name="显示数据表").click()
    expect(heat).to_be_visible()
    visit.page.screenshot(path=str(output_dir / "dashboard.png"), full_page=True)
    visit.page.emulate_media(media="print")
    expect(visit.page.get_by_test_id("table-rank-trend")).to_be_visible()
    expect(visit.page.locator("nav.kh-sidebar")).to_be_hidden()
    visit.page.emulate_media(media="screen")
    visit.page.goto(site + WARNINGS_URL)
    expect(visit.page.get_by_test_id("township-meiling")).to_contain_text("招商引资实际到位资金")
    visit.page.screenshot(path=str(output_dir / "warnings.png"), full_page=True)
    visit.page.emulate_media(media="print")
    visit.page.screenshot(path=str(output_dir / "warnings-print.png"), full_page=True)
    visit.page.get_by_test_id("township-meiling").screenshot(path=str(output_dir / "warnings-meiling-print.png"))
    expect(visit.page.locator("nav.kh-sidebar")).to_be_hidden()
    breaks = visit.page.eval_on_selector("[data-testid=township-meiling]", "s => getComputedStyle(s).breakBefore")
    assert breaks == "page"
    visit.page.pdf(path=str(output_dir / "warnings.pdf"), landscape=True)
    assert errors == [] and visit.foreign == []
    visit.close()
    phone = Visit(browser, site, **PHONE)
    phone.login("qingshi_tb")
    for url in (URL, WARNINGS_URL):
        phone.page.goto(site + url)
        assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), url
    phone.page.goto(site + URL)
    phone.page.screenshot(path=str(output_dir / "dashboard-phone.png"), full_page=True)
    phone.close()
