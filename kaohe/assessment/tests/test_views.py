"""The 成绩单: its numbers equal the engine's and `kaohe score --json`, it is live, and it respects scope."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command

from kaohe.assessment import selectors
from kaohe.assessment.inputs import Mode, load
from kaohe.collection import services as collection
from kaohe.collection.models import Submission
from kaohe.schemes.models import Scheme
from kaohe.scoring import Status, fmt_points, round_half_up, score_period
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/"


def cli_json(*args: str) -> dict:  # type: ignore[type-arg]
    out = StringIO()
    call_command("score", "--period", f"{DEMO_YEAR}-{DEMO_MONTH:02d}", "--json", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def page_points(html: str) -> dict[tuple[str, str], str]:
    return dict(((u, i), p) for u, i, p in re.findall(r'data-testid="pts-([\w-]+)-([\w-]+)"[^>]*>([^<]*)<', html))


class ThreeWayTests(WorldTestCase):
    """The page, the command line and the engine give the same numbers for every unit and indicator."""

    def test_page_cli_and_engine_agree_on_every_number(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        inputs = load(scheme, mode=Mode.OFFICIAL, through=DEMO_MONTH)
        engine = score_period(inputs.engine_scheme, inputs.data, DEMO_MONTH)
        data = cli_json()
        html = self.client_for("district_leader").get(URL).content.decode()
        shown = page_points(html)
        self.assertEqual(len(data["units"]), 14)
        self.assertEqual(data["period"], f"{DEMO_YEAR}-{DEMO_MONTH:02d}")
        self.assertEqual(Decimal(data["schedule"]).quantize(Decimal("0.0001")), Decimal("0.8333"))
        checked = 0
        for unit in data["units"]:
            result = engine.unit(unit["code"])
            self.assertEqual(round_half_up(Decimal(unit["total"]), 2), round_half_up(result.total, 2))
            self.assertEqual(unit["rank"], result.rank)
            self.assertEqual(unit["group_rank"], result.group_rank)
            self.assertEqual(unit["on_schedule_count"], result.on_schedule_count)
            self.assertEqual(unit["score_on_schedule"], result.score_on_schedule)
            self.assertIn(f'data-testid="total-{unit["code"]}">{fmt_points(result.total)}<', html)
            self.assertIn(f'data-testid="rank-{unit["code"]}">{result.rank}<', html)
            for cell in unit["indicators"]:
                exact = result.indicator(cell["code"])
                self.assertEqual(cell["status"], exact.status.value)
                self.assertEqual(round_half_up(Decimal(cell["points"]), 2), round_half_up(exact.points, 2))
                if exact.status not in (Status.NOT_EVALUATED, Status.NO_TARGET):
                    self.assertEqual(shown[(unit["code"], cell["code"])], fmt_points(exact.points))
                    checked += 1
        self.assertGreater(checked, 200)

    def test_the_json_carries_every_documented_field_as_exact_strings(self) -> None:
        unit = cli_json()["units"][0]
        for key in ("code", "name", "group", "total", "rank", "group_rank", "grade", "on_schedule_count",
                    "score_on_schedule", "veto", "indicators"):  # fmt: skip
            self.assertIn(key, unit)
        cell = unit["indicators"][0]
        for key in ("code", "kind", "target", "actual", "completion", "schedule", "gap_pp", "status", "status_label",
                    "points", "explanation"):  # fmt: skip
            self.assertIn(key, cell)
        self.assertIsInstance(unit["total"], str)
        self.assertEqual(cli_json()["units"][0]["indicators"][0]["schedule"], "0.8333333333333333333333333333")


class LiveTests(WorldTestCase):
    def test_a_value_approved_a_second_ago_shows_in_the_official_view_now(self) -> None:
        pending = Submission.objects.get(
            scheme__year=DEMO_YEAR, scheme__scenario="", unit__code="donghu", month=DEMO_MONTH, owner=None
        )
        client = self.client_for("district_leader")
        before = client.get(URL).content.decode()
        self.assertIn('data-testid="pts-donghu-dwzj"', before)
        self.assertEqual(page_points(before)[("donghu", "dwzj")], "0.00")  # 未报 in the official view
        collection.submission_approve(submission=pending, by=self.users["district_reviewer"])
        after = page_points(client.get(URL).content.decode())
        self.assertNotEqual(after[("donghu", "dwzj")], "0.00")

    def test_preview_includes_submitted_figures_and_says_so(self) -> None:
        client = self.client_for("district_leader")
        official = client.get(URL).content.decode()
        preview = client.get(URL + "?mode=preview").content.decode()
        self.assertIn("正式：仅含已审核数据", official)
        self.assertIn("预览：含待审核数据", preview)
        self.assertEqual(page_points(official)[("donghu", "dwzj")], "0.00")
        self.assertNotEqual(page_points(preview)[("donghu", "dwzj")], "0.00")

    def test_the_index_opens_the_latest_period_with_approved_data(self) -> None:
        response = self.client_for("district_leader").get("/scores/")
        self.assertRedirects(response, URL, fetch_redirect_response=False)


class ScopeTests(WorldTestCase):
    def test_a_township_clerk_sees_only_his_own_row(self) -> None:
        html = self.client_for("township_clerk").get(URL).content.decode()
        self.assertIn('data-unit="qingshi"', html)
        self.assertNotIn('data-unit="baisha"', html)
        self.assertNotIn("白沙镇", html)

    def test_another_townships_details_answer_404(self) -> None:
        client = self.client_for("township_clerk")
        for path in ("unit/baisha/", "explain/baisha/ybgg/", "history/baisha/ybgg/"):
            self.assertEqual(client.get(URL + path).status_code, 404, path)
        for path in ("unit/qingshi/", "explain/qingshi/ybgg/", "history/qingshi/ybgg/"):
            self.assertEqual(client.get(URL + path).status_code, 200, path)

    def test_an_explanation_shows_the_numbers_behind_the_points(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        board = selectors.scoreboard(scheme=scheme, month=DEMO_MONTH)
        cell = board.row("qingshi").cells["ybgg"]
        html = self.client_for("district_leader").get(URL + "explain/qingshi/ybgg/").content.decode()
        self.assertIn(cell.explanation.split("；")[-1], html)
        self.assertIn("×8=", cell.explanation)

    def test_the_history_names_who_entered_and_who_approved(self) -> None:
        html = self.client_for("district_leader").get(URL + "history/qingshi/dwzj/").content.decode()
        self.assertIn("王芳", html)  # the township clerk who entered October's figure
        self.assertIn("陈静", html)  # the district reviewer who approved it
        self.assertIn("审核通过", html)


class CacheTests(WorldTestCase):
    def test_the_board_is_computed_once_per_data_change(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        cache.clear()
        first = selectors.scoreboard(scheme=scheme, month=DEMO_MONTH)
        with self.assertNumQueries(1):  # the data stamp only
            second = selectors.scoreboard(scheme=scheme, month=DEMO_MONTH)
        self.assertEqual(first.row("qingshi").result.total, second.row("qingshi").result.total)


class WholeSchemeTests(WorldTestCase):
    """The demo's board scores the non-economic work too, and a vetoed township's row says why."""

    VETO = (
        "一票否决：等次不合格（9月，安全生产重大责任事故：桃源镇9月12日辖区一建材企业发生较大生产安全事故，造成3人死亡"
    )

    def test_the_board_shows_the_non_economic_categories_with_their_subtotals(self) -> None:
        html = self.client_for("district_leader").get(URL).content.decode()
        for category in ("民生保障", "安全生产", "社会稳定", "营商环境"):
            self.assertIn(f"{category}小计", html)
        for indicator in ("城镇新增就业", "生产安全事故死亡人数", "矛盾纠纷排查化解率", "12345热线工单按期办结率"):
            self.assertIn(indicator, html)

    def test_the_vetoed_township_is_marked_and_the_veto_explained(self) -> None:
        html = self.client_for("district_leader").get(URL).content.decode()
        row = re.search(r'<tr data-unit="taoyuan">(.*?)</tr>', html)
        assert row is not None
        self.assertIn("否决</span>", row.group(1))
        self.assertIn(f'title="{self.VETO}', row.group(1))
        self.assertIn("<td>不合格</td>", row.group(1))  # the grade the veto sets, whatever the score
        note = re.search(r'<li data-testid="veto-taoyuan">(.*?)</li>', html)
        assert note is not None
        self.assertIn(self.VETO, note.group(1))
        self.assertEqual(len(re.findall(r'data-testid="veto-', html)), 1)  # the one township vetoed
        # Without the veto its score would grade it higher: the veto, not the points, is why it is 不合格.
        line = selectors.grid(scheme=Scheme.objects.official().get(year=DEMO_YEAR), month=DEMO_MONTH).line("taoyuan")
        self.assertGreaterEqual(line.total, 6000)
        unit = self.client_for("district_leader").get(URL + "unit/taoyuan/").content.decode()
        self.assertIn(self.VETO, unit)

    def test_a_township_sees_no_other_township_s_veto(self) -> None:
        html = self.client_for("township_clerk").get(URL).content.decode()
        self.assertNotIn("veto-taoyuan", html)
        self.assertNotIn("桃源镇9月12日", html)


class JanuaryTests(WorldTestCase):
    def test_january_reads_1月_never_1_1月(self) -> None:
        client = self.client_for("district_leader")
        board = client.get(f"/scores/{DEMO_YEAR}/1/").content.decode()
        self.assertIn(f"{DEMO_YEAR}年1月 乡镇经济工作目标责任制考核成绩单", board)
        explanation = client.get(f"/scores/{DEMO_YEAR}/1/explain/qingshi/ybgg/").content.decode()
        self.assertIn("1月累计", explanation)
        for html in (board, explanation):
            self.assertNotIn("1-1月", html)
