"""The reference engine: statuses, schedule, staged targets, totals, vetoes, ranks, grades and bad input."""

from __future__ import annotations

import unittest
from decimal import Decimal
from fractions import Fraction

from kaohe.scoring import (
    ENGINE_VERSION,
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    Direction,
    Frequency,
    IndicatorResult,
    IndicatorSpec,
    InputError,
    Kind,
    PeriodResult,
    Promotion,
    RuleError,
    Scheme,
    Stage,
    Status,
    Target,
    TieBreak,
    Veto,
    VetoEffect,
    YearData,
    fmt_pct,
    fmt_points,
    grade_rule_from_dict,
    score_period,
    score_year,
    to_arrays,
    veto_note,
)
from kaohe.scoring.tests.builders import D, data, scheme, spec

F = Fraction
RATIO = {"family": "ratio"}


class TestStatus(unittest.TestCase):
    def status(self, s_spec: IndicatorSpec, target: str | Target | None, value: str | None, month: int) -> Status:
        s = scheme(s_spec)
        code = s.indicators[0].code
        d = data({} if target is None else {("a", code): target}, {} if value is None else {("a", code, month): value})
        return score_period(s, d, month).unit("a").indicators[0].status

    def test_behind_on_schedule_completed(self) -> None:
        self.assertIs(self.status(spec(), "12", "5.9999", 6), Status.BEHIND)
        self.assertIs(self.status(spec(), "12", "6", 6), Status.ON_SCHEDULE)
        self.assertIs(self.status(spec(), "12", "12", 6), Status.COMPLETED)

    def test_not_reported_is_not_behind(self) -> None:
        self.assertIs(self.status(spec(), "12", None, 6), Status.NOT_REPORTED)

    def test_no_target_is_never_behind(self) -> None:
        self.assertIs(self.status(spec(), None, "0", 6), Status.NO_TARGET)
        self.assertIs(self.status(spec(), None, None, 6), Status.NO_TARGET)

    def test_quarterly_only_at_quarter_ends(self) -> None:
        q = spec(frequency=Frequency.QUARTERLY)
        self.assertIs(self.status(q, "12", "1", 5), Status.NOT_EVALUATED)
        self.assertIs(self.status(q, "12", "1", 6), Status.BEHIND)

    def test_annual_indicators_only_in_december(self) -> None:
        a = spec(kind=Kind.ANNUAL, frequency=Frequency.ANNUAL)
        self.assertIs(self.status(a, "1", "0", 11), Status.NOT_EVALUATED)
        self.assertIs(self.status(a, "1", "1", 12), Status.COMPLETED)

    def test_lower_is_better_volume(self) -> None:
        deaths = spec(direction=Direction.LOWER, rule=None)
        self.assertIs(self.status(deaths, "12", "6", 6), Status.ON_SCHEDULE)
        self.assertIs(self.status(deaths, "12", "7", 6), Status.BEHIND)

    def test_growth_against_the_target_growth(self) -> None:
        g = spec(kind=Kind.GROWTH, rule=None)
        self.assertIs(self.status(g, "8", "8", 3), Status.ON_SCHEDULE)
        self.assertIs(self.status(g, "8", "7.9", 3), Status.BEHIND)
        self.assertIs(self.status(g, "-2", "-1", 3), Status.ON_SCHEDULE)  # growth targets may be negative

    def test_ratio_level_against_the_target(self) -> None:
        r = spec(kind=Kind.RATIO, rule=None)
        self.assertIs(self.status(r, "80", "80", 1), Status.ON_SCHEDULE)
        self.assertIs(self.status(r, "80", "79", 1), Status.BEHIND)

    def test_growth_can_also_be_held_to_the_group_average(self) -> None:
        s = scheme(spec(kind=Kind.GROWTH, rule=None, vs_group_average=True), units=("a", "b", "c"))
        d = data({(u, "x"): "8" for u in "abc"}, {("a", "x", 3): "8.5", ("b", "x", 3): "12", ("c", "x", 3): "6"})
        r = score_period(s, d, 3)
        self.assertEqual([u.indicators[0].status for u in r.units], [Status.BEHIND, Status.ON_SCHEDULE, Status.BEHIND])
        self.assertIn("低于本组平均", r.unit("a").indicators[0].explanation)

    def test_plan_curve_replaces_n_over_12(self) -> None:
        curve = tuple(
            D(x) for x in ["0.01", "0.02", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
        )
        r = score_period(scheme(spec(plan_curve=curve)), data({("a", "x"): "100"}, {("a", "x", 2): "2"}), 2)
        cell = r.unit("a").indicator("x")
        self.assertEqual((cell.status, cell.schedule), (Status.ON_SCHEDULE, F(1, 50)))


class TestStagedTargets(unittest.TestCase):
    STAGES = (Stage(3, D("200")), Stage(6, D("450")), Stage(9, D("704")))

    def cell(self, interpolate: bool, month: int, value: str) -> IndicatorResult:
        s = scheme(spec(rule=RATIO | {"basis": "schedule"}, interpolate_stages=interpolate))
        d = data({("a", "x"): Target(D("1000"), self.STAGES)}, {("a", "x", month): value})
        return score_period(s, d, month).unit("a").indicator("x")

    def test_the_stage_the_month_falls_in(self) -> None:
        cell = self.cell(False, 7, "553")
        self.assertEqual(cell.scheduled, 704)
        assert cell.completion is not None and cell.stage_completion is not None
        self.assertEqual(fmt_pct(cell.completion), "55.30%")
        self.assertEqual(fmt_pct(cell.stage_completion), "78.55%")
        self.assertIs(cell.status, Status.BEHIND)

    def test_interpolated_between_stage_ends(self) -> None:
        cell = self.cell(True, 7, "553")
        self.assertEqual(cell.scheduled, F(450) + F(254, 3))
        self.assertIs(cell.status, Status.ON_SCHEDULE)

    def test_after_the_last_stage_the_annual_target_applies(self) -> None:
        self.assertEqual(self.cell(False, 10, "800").scheduled, 1000)


class TestBadInput(unittest.TestCase):
    def assert_input_error(self, words: str, s: Scheme, d: YearData, month: int = 6) -> None:
        with self.assertRaises(InputError) as ctx:
            score_period(s, d, month)
        self.assertIn(words, ctx.exception.message)

    def test_zero_or_negative_target(self) -> None:
        for t in ("0", "-1"):
            with self.subTest(t):
                self.assert_input_error("须大于0", scheme(spec()), data({("a", "x"): t}))

    def test_staged_targets_that_decrease_or_exceed_the_annual(self) -> None:
        down = Target(D(100), (Stage(3, D(30)), Stage(6, D(20))))
        self.assert_input_error("不能下降", scheme(spec()), data({("a", "x"): down}))
        over = Target(D(100), (Stage(3, D(30)), Stage(6, D(120))))
        self.assert_input_error("超过全年目标", scheme(spec()), data({("a", "x"): over}))

    def test_a_value_after_the_scored_period(self) -> None:
        self.assert_input_error("晚于考核期6月", scheme(spec()), data({("a", "x"): "1"}, {("a", "x", 7): "1"}))

    def test_plan_curve_that_decreases_or_does_not_end_at_one(self) -> None:
        bad = tuple(D(x) for x in ["0.1"] * 5 + ["0.05"] + ["0.5"] * 5 + ["1"])
        with self.assertRaises(InputError) as ctx:
            scheme(spec(plan_curve=bad))
        self.assertIn("不能下降", ctx.exception.message)
        with self.assertRaises(InputError) as ctx:
            scheme(spec(plan_curve=(*(D("0.5") for _ in range(11)), D("0.9"))))
        self.assertIn("须为1", ctx.exception.message)

    def test_negative_weight(self) -> None:
        with self.assertRaises(InputError) as ctx:
            scheme(spec(weight="-1"))
        self.assertIn("权重不能小于0", ctx.exception.message)

    def test_bands_out_of_order_are_a_rule_error(self) -> None:
        with self.assertRaises(RuleError):
            spec(rule={"family": "bands", "bands": [{"min": "0.5", "points": 1}, {"min": "0.8", "points": 2}]})

    def test_negative_volume_and_too_many_decimals(self) -> None:
        self.assert_input_error("不能为负", scheme(spec()), data({("a", "x"): "1"}, {("a", "x", 1): "-1"}))
        self.assert_input_error("4 位小数", scheme(spec()), data({("a", "x"): "1.00001"}))

    def test_a_family_that_does_not_fit_the_kind_or_direction(self) -> None:
        with self.assertRaises(InputError):
            scheme(spec(kind=Kind.GROWTH, rule=RATIO))
        with self.assertRaises(InputError):
            scheme(spec(direction=Direction.LOWER, rule=RATIO))

    def test_combo_parts_must_exist(self) -> None:
        combo = {"family": "combo", "parts": [{"indicator": "nope", "share": "1"}]}
        with self.assertRaises(InputError) as ctx:
            scheme(spec(rule=combo))
        self.assertIn("nope", ctx.exception.message)

    def test_points_out_of_range_in_both_engines(self) -> None:
        s = scheme(spec(rule={"family": "base_per_pp", "over_points": "5"}))
        d = data({("a", "x"): "0.0001"}, {("a", "x", 6): "100"})  # a million times the target
        self.assert_input_error("超出范围", s, d)
        with self.assertRaises(InputError):
            score_year(s, d, through=6)
        self.assert_input_error("10^6倍", s, data({("a", "x"): "0.0001"}, {("a", "x", 6): "100.0001"}))

    def test_unknown_units_and_indicators(self) -> None:
        self.assert_input_error("未知", scheme(spec()), data({("zz", "x"): "1"}))


class TestTotals(unittest.TestCase):
    CATEGORIES = (
        AdjustmentCategory("proj", AdjustmentKind.BONUS, D("6")),
        AdjustmentCategory("late", AdjustmentKind.DEDUCTION, D("2")),
    )

    def test_each_category_is_capped_on_its_own(self) -> None:
        s = scheme(spec(weight="10", rule=RATIO), categories=self.CATEGORIES)
        items = (
            *(Adjustment("a", "proj", D(2), m) for m in (1, 2, 3, 4)),
            *(Adjustment("a", "late", D(1), m) for m in (1, 2, 3)),
        )
        u = score_period(s, data({("a", "x"): "12"}, {("a", "x", 6): "6"}, adjustments=items), 6).unit("a")
        self.assertEqual((u.indicator_points, u.bonus, u.deduction, u.total), (5, 6, 2, 9))
        self.assertIn("指标得分5＋加分6－扣分2＝9", u.explanation)

    def test_score_on_schedule(self) -> None:
        s = scheme(spec(weight="10", rule=RATIO), units=("a", "b"))
        r = score_period(s, data({("a", "x"): "12", ("b", "x"): "12"}, {("a", "x", 6): "6", ("b", "x", 6): "5.9"}), 6)
        self.assertEqual([u.score_on_schedule for u in r.units], [True, False])
        self.assertEqual(r.unit("a").paced_total, 5)

    def test_counts_leave_out_unreported_untargeted_and_unevaluated(self) -> None:
        s = scheme(spec("m"), spec("n"), spec("q", frequency=Frequency.QUARTERLY), spec("t"), spec("z", rule=RATIO))
        d = data({("a", "m"): "12", ("a", "n"): "12", ("a", "q"): "12", ("a", "z"): "12"}, {("a", "m", 5): "6"})
        u = score_period(s, d, 5).unit("a")
        self.assertEqual((u.on_schedule_count, u.behind_count, u.not_reported_count, u.evaluated_count), (1, 0, 2, 1))


class TestVetoesRanksGrades(unittest.TestCase):
    GRADES = grade_rule_from_dict(
        {"method": "bands", "bands": [{"min": "8", "grade": "优秀"}, {"min": "5", "grade": "良好"}], "else": "一般"}
    )

    def run_with(self, values: dict[str, str]) -> PeriodResult:
        units = tuple(values)
        s = scheme(spec(weight="10", rule=RATIO), units=units, grade_rule=self.GRADES)
        d = data({(u, "x"): "10" for u in units}, {(u, "x", 12): v for u, v in values.items()})
        return score_period(s, d, 12)

    def test_competition_ranks_and_grades(self) -> None:
        r = self.run_with({"a": "9", "b": "6", "c": "6", "d": "1"})
        self.assertEqual([u.rank for u in r.units], [1, 2, 2, 4])
        self.assertEqual([u.grade for u in r.units], ["优秀", "良好", "良好", "一般"])

    def test_group_ranks(self) -> None:
        units = ("a", "b", "c")
        s = scheme(spec(weight="10", rule=RATIO), units=units, groups={"a": "g1", "b": "g2", "c": "g2"})
        d = data({(u, "x"): "10" for u in units}, {("a", "x", 1): "1", ("b", "x", 1): "5", ("c", "x", 1): "3"})
        r = score_period(s, d, 1)
        self.assertEqual([(u.rank, u.group_rank) for u in r.units], [(3, 1), (1, 1), (2, 2)])

    def test_tie_break_on_indicators_on_schedule(self) -> None:
        units = ("a", "b")
        s = scheme(
            spec("x", weight="10", rule=RATIO),
            spec("y", weight="0", rule=RATIO),
            units=units,
            tie_break=TieBreak.ON_SCHEDULE_COUNT,
        )
        targets = {(u, c): "12" for u in units for c in "xy"}
        d = data(targets, {("a", "x", 6): "6", ("b", "x", 6): "6", ("a", "y", 6): "6", ("b", "y", 6): "1"})
        self.assertEqual([u.rank for u in score_period(s, d, 6).units], [1, 2])

    def test_veto_effects(self) -> None:
        vetoes = (
            Veto("a", VetoEffect.ZERO_TOTAL, 3),
            Veto("b", VetoEffect.FAIL_GRADE, 3),
            Veto("c", VetoEffect.NO_AWARD, 3),
            Veto("d", VetoEffect.ZERO_TOTAL, 3, approved=False),
        )
        units = ("a", "b", "c", "d")
        s = scheme(spec(weight="10", rule=RATIO), units=units, grade_rule=self.GRADES)
        d = data({(u, "x"): "10" for u in units}, {(u, "x", 12): "9" for u in units}, vetoes=vetoes)
        r = score_period(s, d, 12)
        a, b, c, dd = r.units
        self.assertEqual((a.total, a.grade, a.rank), (0, "一般", 4))
        self.assertEqual((b.total, b.grade, b.award_eligible), (9, "不合格", False))
        self.assertEqual((c.total, c.grade, c.rank, c.award_eligible), (9, "优秀", 1, False))
        self.assertEqual((dd.total, dd.vetoes, dd.award_eligible), (9, (), True))  # not approved: no effect
        self.assertIn("一票否决：总分计0（3月）", a.explanation)

    def test_a_veto_is_explained_with_its_month_and_reason(self) -> None:
        vetoes = (Veto("a", VetoEffect.FAIL_GRADE, 9, reason="安全生产重大责任事故：9月发生较大事故"),)
        s = scheme(spec(weight="10", rule=RATIO), units=("a", "b"), grade_rule=self.GRADES)
        d = data({(u, "x"): "10" for u in "ab"}, {(u, "x", 9): "9" for u in "ab"}, vetoes=vetoes)
        september, other = score_period(s, d, 9).units
        self.assertEqual((september.grade, other.grade), ("不合格", "优秀"))
        self.assertNotIn("一票否决", other.explanation)
        self.assertTrue(
            september.explanation.endswith("；一票否决：等次不合格（9月，安全生产重大责任事故：9月发生较大事故）"),
            september.explanation,
        )
        self.assertEqual(veto_note(vetoes[0]), "一票否决：等次不合格（9月，安全生产重大责任事故：9月发生较大事故）")

    def test_direct_promotion_lifts_one_grade_unless_vetoed(self) -> None:
        units = ("a", "b", "c")
        s = scheme(spec(weight="10", rule=RATIO), units=units, grade_rule=self.GRADES)
        promos = tuple(Promotion(u, 12, "新落地10亿元项目") for u in units)
        d = data(
            {(u, "x"): "10" for u in units},
            {("a", "x", 12): "6", ("b", "x", 12): "9", ("c", "x", 12): "6"},
            promotions=promos,
            vetoes=(Veto("c", VetoEffect.NO_AWARD, 1),),
        )
        r = score_period(s, d, 12)
        self.assertEqual([(u.grade, u.promoted) for u in r.units], [("优秀", True), ("优秀", False), ("良好", False)])

    def test_grades_by_rank_share(self) -> None:
        rule = grade_rule_from_dict(
            {"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}], "else": "合格"}
        )
        units = tuple("abcdefghij")
        s = scheme(spec(weight="10", rule=RATIO), units=units, grade_rule=rule)
        values = {(u, "x", 1): str(k) for k, u in enumerate(units)}
        values["i", "x", 1] = "8"  # ties with h for rank 3: both inside the top 30 %
        r = score_period(s, data({(u, "x"): "10" for u in units}, values), 1)
        self.assertEqual([u.unit for u in r.units if u.grade == "优秀"], ["h", "i", "j"])


class TestYear(unittest.TestCase):
    def test_all_months_in_one_call(self) -> None:
        units = ("a", "b")
        s = scheme(spec(weight="10", rule=RATIO), units=units)
        values = {("a", "x", m): str(m) for m in range(1, 13)} | {("b", "x", m): str(2 * m) for m in range(1, 13)}
        values["b", "x", 3] = "1"
        year = score_year(s, data({(u, "x"): "24" for u in units}, values))
        self.assertEqual(list(year.months), list(range(1, 13)))
        self.assertEqual((year.rank("b", 2), year.rank("b", 3), year.rank("b", 4)), (1, 2, 1))
        self.assertEqual(year.rank_change("b", 4), 1)
        self.assertEqual(year.total("a", 12), Decimal("5.00"))
        self.assertIs(year.status("b", "x", 3), Status.BEHIND)
        period = year.period(3)
        self.assertEqual(period.engine_version, ENGINE_VERSION)
        self.assertEqual(fmt_points(period.unit("a").total), "1.25")
        self.assertIn("(3÷24)×10=1.25", period.unit("a").indicator("x").explanation)

    def test_from_arrays(self) -> None:
        s = scheme(spec(weight="10", rule=RATIO), units=("a", "b"))
        d = data({("a", "x"): "12", ("b", "x"): "12"}, {("a", "x", 1): "1", ("b", "x", 2): "3"})
        year = score_year(s, to_arrays(s, d, 2))
        self.assertEqual(year.total("b", 2), Decimal("2.50"))
        self.assertEqual(year.period(2).unit("b").indicator("x").actual, Decimal(3))
        self.assertIs(year.period(2).unit("a").indicator("x").status, Status.NOT_REPORTED)

    def test_through_a_month(self) -> None:
        s = scheme(spec(weight="10", rule=RATIO))
        year = score_year(s, data({("a", "x"): "12"}, {("a", "x", 1): "1"}), through=4)
        self.assertEqual(list(year.months), [1, 2, 3, 4])
        self.assertIs(year.status("a", "x", 4), Status.NOT_REPORTED)
        with self.assertRaises(InputError):
            score_year(s, data({("a", "x"): "12"}, {("a", "x", 5): "1"}), through=4)


class TestExplanations(unittest.TestCase):
    def test_every_point_explains_itself(self) -> None:
        s = scheme(spec(weight="0.5", rule=RATIO))
        cell = score_period(s, data({("a", "x"): "100"}, {("a", "x", 6): "96"}), 6).unit("a").indicator("x")
        self.assertEqual(
            cell.explanation,
            "1-6月累计96，目标100，完成96.00%，序时50.00%，快46.00个百分点，达序时；(96÷100)×0.5=0.48",
        )

    def test_unreported_and_untargeted(self) -> None:
        s = scheme(spec(weight="1", rule=RATIO), units=("a", "b"))
        r = score_period(s, data({("a", "x"): "100"}), 6)
        self.assertEqual(r.unit("a").indicator("x").explanation, "1-6月未报；不得分")
        self.assertEqual(r.unit("b").indicator("x").explanation, "无任务；不得分")


class TestGroupWeights(unittest.TestCase):
    """分组考核: a group may carry its own weight for an indicator."""

    def test_a_group_weight_of_8_against_4_doubles_the_points(self) -> None:
        x = spec(weight="4", rule=RATIO, group_weights={"big": D("8")})
        s = scheme(x, units=("a", "b"), groups={"a": "big", "b": "small"})
        d = data({("a", "x"): "100", ("b", "x"): "100"}, {("a", "x", 6): "60", ("b", "x", 6): "60"})
        r = score_period(s, d, 6)
        a, b = r.unit("a"), r.unit("b")
        self.assertEqual((a.indicator("x").points, b.indicator("x").points), (F(24, 5), F(12, 5)))
        self.assertEqual((a.paced_total, b.paced_total), (4, 2))  # paced on the weight used: 50 % × 8, 50 % × 4
        self.assertIn("按分组big权重8：(60÷100)×8=4.8", a.indicator("x").explanation)
        self.assertIn("(60÷100)×4=2.4", b.indicator("x").explanation)
        year = score_year(s, d, through=6)
        self.assertEqual((year.total("a", 6), year.total("b", 6)), (Decimal("4.80"), Decimal("2.40")))

    def test_a_frozen_hashable_mapping(self) -> None:
        pairs = spec(group_weights=(("g2", D(1)), ("g1", D(2))))
        mapping = spec(group_weights={"g1": D(2), "g2": D(1)})
        self.assertEqual(pairs, mapping)
        self.assertEqual(hash(pairs), hash(mapping))
        self.assertEqual(dict(mapping.group_weights), {"g1": D(2), "g2": D(1)})
        self.assertEqual(mapping.group_weights, {"g1": D(2), "g2": D(1)})
        self.assertEqual((mapping.weight_for("g1"), mapping.weight_for("other")), (D(2), D(1)))
        self.assertEqual(spec().group_weights, {})
        with self.assertRaises(TypeError):
            mapping.group_weights["g1"] = D(3)  # type: ignore[index]

    def test_negative_or_unknown_group_weights_are_rejected(self) -> None:
        groups = {"a": "g1"}
        with self.assertRaises(InputError) as ctx:
            scheme(spec(group_weights=(("g1", D(-1)),)), groups=groups)
        self.assertIn("指标 x：分组 g1 的权重不能小于0", ctx.exception.message)
        with self.assertRaises(InputError) as ctx:
            scheme(spec(group_weights=(("g9", D(1)),)), groups=groups)
        self.assertIn("指标 x：分组权重引用了未知的分组 g9", ctx.exception.message)
        with self.assertRaises(InputError) as ctx:
            scheme(spec(group_weights=(("g1", D(1)), ("g1", D(2)))), groups=groups)
        self.assertIn("重复", ctx.exception.message)


class TestTargetChanges(unittest.TestCase):
    """任务调整: from a month on, a unit's target is a changed one."""

    HALVED = Target(D(120), changes=((7, Target(D(60))),))

    def test_a_target_halved_from_july(self) -> None:
        s = scheme(spec(weight="10", rule=RATIO))
        d = data({("a", "x"): self.HALVED}, {("a", "x", 6): "55", ("a", "x", 7): "56"})
        year = score_year(s, d, through=7)
        june = year.period(6).unit("a").indicator("x")  # the reference engine's results
        july = score_period(s, d, 7).unit("a").indicator("x")
        self.assertEqual((june.status, june.target, june.scheduled), (Status.BEHIND, D(120), 60))
        self.assertEqual((july.status, july.target, july.scheduled), (Status.ON_SCHEDULE, D(60), 35))
        self.assertEqual(july.points, F(56, 6))
        self.assertIn("目标60", july.explanation)
        self.assertEqual((year.status("a", "x", 6), year.status("a", "x", 7)), (Status.BEHIND, Status.ON_SCHEDULE))
        self.assertEqual(year.total("a", 7), Decimal("9.33"))
        arrays = to_arrays(s, d, 7)
        self.assertEqual(arrays.changes, {(0, 0): self.HALVED.changes})
        self.assertEqual(arrays.to_data().targets["a", "x"], self.HALVED)

    def test_at(self) -> None:
        t = Target(D(100), (Stage(3, D(20)),), ((4, Target(D(80))), (10, Target(D(90)))))
        self.assertEqual([t.at(m).annual for m in (1, 3, 4, 9, 10, 12)], [D(x) for x in (100, 100, 80, 80, 90, 90)])
        self.assertEqual(t.at(3), Target(D(100), (Stage(3, D(20)),)))

    def test_bad_changes(self) -> None:
        cases = [
            ("2–12月之间且逐次递增", ((1, Target(D(50))),)),
            ("2–12月之间且逐次递增", ((8, Target(D(50))), (7, Target(D(40))))),
            ("2–12月之间且逐次递增", ((13, Target(D(50))),)),
            ("（7月起调整后）须大于0", ((7, Target(D(0))),)),
            ("超过全年目标", ((7, Target(D(50), (Stage(9, D(60)),))),)),
        ]
        for words, changes in cases:
            with self.subTest(words), self.assertRaises(InputError) as ctx:
                score_period(scheme(spec()), data({("a", "x"): Target(D(100), changes=changes)}), 6)
            self.assertIn(words, ctx.exception.message)
