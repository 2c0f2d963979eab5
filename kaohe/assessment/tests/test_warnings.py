"""预警: the items behind schedule, their projections (linear and by last year's profile), the monthly amount
still needed and the three-colour light, exact, on the demo district; the page is scoped and printable."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from django.test import SimpleTestCase

from kaohe.assessment import selectors, warnings
from kaohe.assessment.inputs import Mode
from kaohe.assessment.warnings import Light, Reason, light_for, linear_projection, needed_monthly, profile_projection
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Value
from kaohe.schemes.models import Scheme
from kaohe.scoring import Status
from kaohe.test import DEMO_MONTH, DEMO_YEAR, OTHER_UNIT, OWN_UNIT, WorldTestCase

URL = f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/warnings/"


class ArithmeticTests(SimpleTestCase):
    def test_linear_projection_is_the_ytd_pace_times_twelve(self) -> None:
        self.assertEqual(linear_projection(Fraction(50), Fraction(100), 6), Fraction(1))
        self.assertEqual(linear_projection(Fraction(1), Fraction(3), 10), Fraction(2, 5))

    def test_profile_projection_follows_last_years_share(self) -> None:
        # Last year 1–10月 was 60 of 100: this year's 45 of a 90 target projects to 45 ÷ 0.6 ÷ 90 = 5/6.
        self.assertEqual(profile_projection(Fraction(45), Fraction(90), Fraction(60), Fraction(100)), Fraction(5, 6))
        self.assertIsNone(profile_projection(Fraction(45), Fraction(90), Fraction(0), Fraction(100)))
        self.assertIsNone(profile_projection(Fraction(45), Fraction(90), Fraction(0), Fraction(0)))

    def test_needed_monthly_spreads_the_rest_over_the_remaining_months(self) -> None:
        self.assertEqual(needed_monthly(Fraction(0), Fraction(30000), 10), Fraction(15000))
        self.assertEqual(needed_monthly(Fraction(1), Fraction(2), 9), Fraction(1, 3))
        self.assertEqual(needed_monthly(Fraction(3), Fraction(2), 9), Fraction(0))
        self.assertIsNone(needed_monthly(Fraction(1), Fraction(2), 12))

    def test_the_light_rule(self) -> None:
        # Projection first: finishing is yellow however far behind; below 90 % is red however close.
        self.assertEqual(
            light_for(behind_pp=Fraction(40), projection=Fraction(1)), (Light.YELLOW, Reason.PROJECTED_FINISH)
        )
        self.assertEqual(light_for(behind_pp=Fraction(1), projection=Fraction(89, 100)),
                         (Light.RED, Reason.PROJECTED_SHORT))  # fmt: skip
        # 90 % up to 100 %, or no projection: the gap decides, 10 pp and more is red (exactly 10 is red).
        self.assertEqual(light_for(behind_pp=Fraction(10), projection=Fraction(9, 10)), (Light.RED, Reason.GAP))
        self.assertEqual(
            light_for(behind_pp=Fraction(999, 100), projection=Fraction(99, 100)), (Light.YELLOW, Reason.GAP)
        )
        self.assertEqual(light_for(behind_pp=Fraction(10), projection=None), (Light.RED, Reason.GAP))
        self.assertEqual(light_for(behind_pp=Fraction(3), projection=None), (Light.YELLOW, Reason.GAP))
        # The threshold is a parameter.
        self.assertEqual(light_for(behind_pp=Fraction(3), projection=None, red_gap_pp=Fraction(3))[0], Light.RED)
        # Lower is better: finishing is ≤ 100 %, red is above 110 %.
        self.assertEqual(light_for(behind_pp=Fraction(5), projection=Fraction(1), lower=True)[0], Light.YELLOW)
        self.assertEqual(light_for(behind_pp=Fraction(1), projection=Fraction(111, 100), lower=True)[0], Light.RED)
        self.assertEqual(light_for(behind_pp=Fraction(1), projection=Fraction(105, 100), lower=True),
                         (Light.YELLOW, Reason.GAP))  # fmt: skip


class DemoWarningsTests(WorldTestCase):
    def setUp(self) -> None:
        self.scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        self.board = selectors.scoreboard(scheme=self.scheme, month=DEMO_MONTH)
        self.report = warnings.early_warnings(self.board, scheme=self.scheme)
        self.items = {(i.unit, i.indicator): i for i in self.report.items}

    def last_year(self, unit: str, indicator: str) -> dict[int, Decimal]:
        rows = Value.objects.filter(
            submission__scheme__year=DEMO_YEAR - 1, submission__status=SubmissionStatus.APPROVED,
            submission__unit__code=unit, indicator__code=indicator,
        ).values_list("submission__month", "amount")  # fmt: skip
        return dict(rows)

    def test_every_cell_behind_schedule_is_listed_once_and_nothing_else(self) -> None:
        behind = {
            (r.code, code) for r in self.board.rows for code, cell in r.cells.items() if cell.status is Status.BEHIND
        }
        self.assertEqual(set(self.items), behind)
        self.assertEqual(len(self.report.items), len(behind))
        self.assertGreater(len(behind), 100)
        for township in self.report.townships:
            row = self.board.row(township.code)
            on = sum(1 for c in row.cells.values() if c.status in (Status.ON_SCHEDULE, Status.COMPLETED))
            self.assertEqual(township.green, on)
            missing = [c for c in row.cells.values() if c.status is Status.NOT_REPORTED]
            self.assertEqual(len(township.not_reported), len(missing))

    def test_sorted_by_light_then_gap(self) -> None:
        keys = [(i.light.order, -i.behind_pp) for i in self.report.items]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(self.report.items[0].light, Light.RED)
        self.assertEqual([t.code for t in self.report.townships], [r.code for r in self.board.rows])
        for township in self.report.townships:
            keys = [(i.light.order, -i.behind_pp) for i in township.items]
            self.assertEqual(keys, sorted(keys))

    def test_meiling_has_arrived_no_investment_red_and_needs_half_the_target_a_month(self) -> None:
        item = self.items[("meiling", "dwzj")]
        self.assertEqual(item.unit_name, "梅岭镇")
        self.assertEqual(item.actual, 0)
        self.assertEqual(item.light, Light.RED)
        self.assertEqual(item.linear, 0)
        self.assertEqual(DEMO_MONTH, 10)
        assert item.target is not None
        self.assertEqual(item.needed_monthly, Fraction(item.target) / 2)
        self.assertEqual(item.gap_pp, Fraction(-250, 3))  # 0 % against 10/12
        # Last year it arrived nothing either: there is no profile to project by.
        self.assertIsNotNone(item.last_year)
        self.assertIsNone(item.profile)

    def test_songlin_is_at_about_two_percent_projected_by_last_years_profile(self) -> None:
        item = self.items[("songlin", "dwzj")]
        assert item.completion is not None and item.target is not None and item.actual is not None
        self.assertTrue(Fraction(15, 1000) < item.completion < Fraction(25, 1000), item.completion)
        self.assertEqual(item.light, Light.RED)
        self.assertEqual(item.reason, Reason.PROJECTED_SHORT)
        last = self.last_year("songlin", "dwzj")
        expected = Fraction(item.actual) / (Fraction(last[DEMO_MONTH]) / Fraction(last[12])) / Fraction(item.target)
        self.assertEqual(item.profile, expected)
        self.assertEqual(item.linear, Fraction(item.actual) * 12 / DEMO_MONTH / Fraction(item.target))
        self.assertEqual(item.needed_monthly, (Fraction(item.target) - Fraction(item.actual)) / 2)

    def test_every_profile_projection_is_last_years_share_from_the_database(self) -> None:
        with_profile = [i for i in self.report.items if i.profile is not None]
        self.assertGreater(len(with_profile), 50)
        self.assertTrue(self.report.has_last_year)
        for item in with_profile[:40]:
            last = self.last_year(item.unit, item.indicator)
            assert item.actual is not None and item.target is not None
            share = Fraction(last[DEMO_MONTH]) / Fraction(last[12])
            self.assertEqual(item.profile, Fraction(item.actual) / share / Fraction(item.target))
            self.assertEqual(item.projection, item.profile)
            expected = light_for(behind_pp=item.behind_pp, projection=item.profile)
            self.assertEqual((item.light, item.reason), expected)

    def test_growth_indicators_have_a_gap_in_points_and_no_projection(self) -> None:
        growth = [i for i in self.report.items if i.kind == "growth"]
        self.assertTrue(growth)
        for item in growth:
            assert item.actual is not None and item.target is not None
            self.assertLess(item.actual, item.target)
            self.assertEqual(item.gap_pp, Fraction(item.actual) - Fraction(item.target))
            self.assertEqual(item.behind_pp, -item.gap_pp)
            self.assertIsNone(item.linear)
            self.assertIsNone(item.profile)
            self.assertIsNone(item.needed_monthly)
            self.assertEqual(item.reason, Reason.GAP)
            self.assertEqual(item.light, Light.RED if item.behind_pp >= 10 else Light.YELLOW)

    def test_the_combo_indicator_projects_linearly_from_its_mixed_completion(self) -> None:
        combos = [i for i in self.report.items if i.indicator == "qyzh"]
        self.assertTrue(combos)
        for item in combos:
            assert item.completion is not None
            self.assertIsNone(item.target)
            self.assertEqual(item.linear, item.completion * 12 / DEMO_MONTH)
            self.assertIsNone(item.profile)
            self.assertIsNone(item.needed_monthly)

    def test_without_last_years_figures_only_the_linear_projection(self) -> None:
        report = warnings.build(self.board, last_year={}, lower=set())
        self.assertFalse(report.has_last_year)
        for item in report.items:
            self.assertIsNone(item.profile)
            if item.linear is not None:
                self.assertEqual((item.light, item.reason), light_for(behind_pp=item.behind_pp, projection=item.linear))

    def test_a_lower_is_better_indicator_reads_the_other_way(self) -> None:
        cell = next(c for c in self.board.row("meiling").cells.values() if c.indicator == "dwzj")
        item = warnings.item_for(cell, unit_name="梅岭镇", indicator_name="x", measure="万元", lower=True, month=10,
                                 last=None)  # fmt: skip
        self.assertEqual(item.behind_pp, cell.gap_pp)
        self.assertIsNone(item.needed_monthly)


class WarningsPageTests(WorldTestCase):
    def test_the_page_lists_every_item_with_its_light_and_the_legend(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        report = warnings.early_warnings(selectors.scoreboard(scheme=scheme, month=DEMO_MONTH), scheme=scheme)
        html = self.client_for("district_leader").get(URL).content.decode()
        all_list = html.split('data-testid="warn-all"', 1)[1].split("</section>", 1)[0]
        rows = re.findall(r'<tr data-light="(\w+)" data-unit="([\w-]+)" data-indicator="(\w+)"', all_list)
        self.assertEqual(rows, [(i.light.value, i.unit, i.indicator) for i in report.items])
        self.assertIn(f'data-testid="count-red">{report.red}<', html)
        self.assertIn(f'data-testid="count-yellow">{report.yellow}<', html)
        # The rule is on the page.
        self.assertIn("落后序时 10 个百分点及以上", html)
        self.assertIn("低于 90%", html)
        # 梅岭镇's investment: 0 arrived, half the target each of the two remaining months.
        row = re.search(r'<tr data-light="red" data-unit="meiling" data-indicator="dwzj">.*?</tr>', all_list, re.S)
        assert row is not None
        item = next(i for i in report.items if (i.unit, i.indicator) == ("meiling", "dwzj"))
        assert item.target is not None
        self.assertIn(f"{item.target / 2:,.0f} <span", row.group(0))
        self.assertIn("上年同期为0，无法推算", row.group(0))

    def test_one_sheet_per_township_printable(self) -> None:
        html = self.client_for("district_leader").get(URL).content.decode()
        self.assertEqual(len(re.findall(r'<section class="kh-card kh-warn-township"', html)), 14)
        self.assertIn("@media print", html)
        self.assertIn(".kh-warn-township { break-before: page;", html)
        self.assertIn("nav.kh-sidebar", html)  # the menu is left off the paper
        self.assertIn("data-kh-print", html)

    def test_one_townships_list(self) -> None:
        html = self.client_for("district_leader").get(URL + "?unit=meiling").content.decode()
        self.assertEqual(set(re.findall(r'data-unit="([\w-]+)"', html)), {"meiling"})
        self.assertNotIn('data-testid="warn-all"', html)
        self.assertEqual(self.client_for("district_leader").get(URL + "?unit=nosuch").status_code, 404)
        self.assertEqual(self.client_for("district_leader").get(URL + "?unit=qingshi-01").status_code, 404)  # a village

    def test_a_township_clerk_sees_only_his_own_township(self) -> None:
        for role in ("township_clerk", "township_leader"):
            c = self.client_for(role)
            html = c.get(URL).content.decode()
            self.assertEqual(set(re.findall(r'data-unit="([\w-]+)"', html)), {OWN_UNIT}, role)
            self.assertNotIn("梅岭镇", html)
            self.assertNotIn('id="f-unit"', html)
            self.assertEqual(c.get(URL + f"?unit={OTHER_UNIT}").status_code, 404)
            self.assertEqual(c.get(URL + f"?unit={OWN_UNIT}").status_code, 200)
            self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/{DEMO_MONTH}/unit/{OTHER_UNIT}/").status_code, 404)

    def test_preview_and_bad_periods(self) -> None:
        c = self.client_for("district_leader")
        html = c.get(URL + "?mode=preview").content.decode()
        self.assertIn("预览：含待审核数据", html)
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        preview = selectors.scoreboard(scheme=scheme, month=DEMO_MONTH, mode=Mode.PREVIEW)
        report = warnings.early_warnings(preview, scheme=scheme)
        self.assertIn(f'data-testid="count-red">{report.red}<', html)
        self.assertEqual(c.get(f"/scores/{DEMO_YEAR}/13/warnings/").status_code, 404)
        self.assertEqual(c.get("/scores/1999/1/warnings/").status_code, 404)
        self.assertEqual(self.client_for("audit_admin").get(URL).status_code, 404)
