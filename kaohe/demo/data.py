"""The demo's schemes, targets and monthly figures: last year complete, this year January to October.

The schemes and targets come in through the district's doors: the shipped scheme workbook through the scheme
import, the targets workbooks through the targets import, then published. Only the figures are generated: they
follow each township's pace with seasonality and seeded noise, so the scoreboard has leaders and laggards.
October goes through the real workflow: some submissions approved, some still waiting for review, one returned,
one not yet submitted.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from kaohe.accounts.models import User
from kaohe.collection import importers
from kaohe.collection import services as collection
from kaohe.collection.models import Submission
from kaohe.collection.templates_xlsx import TARGETS
from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Department, Unit
from kaohe.schemes import services as schemes
from kaohe.schemes.choices import Direction, IndicatorKind
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.schemes.workbook import scheme_import

from .scheme import (
    DEATHS_INDICATOR,
    LEVEL_SPREAD,
    NEAR_ZERO_INVESTMENT_UNIT,
    PROFILE_OF,
    PROFILES,
    SAFETY_DEATHS,
    UNIT_PACE,
    VETOED_UNIT,
    ZERO_INVESTMENT_UNIT,
    quantum,
)
from .services import WORKBOOKS

SEED = 20260101
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Townships that were late with some monthly reports (报表及时率 feeds a deduction).
LATE_REPORTS = {("liutang", 3), ("liutang", 7), ("shimen", 5)}
# October's state of play in the demo.
RETURNED_UNIT = "baisha"
DRAFT_UNIT = "nanyuan"
PENDING_UNITS = {"donghu", "xishan"}
PENDING_DEPARTMENTS: set[str] = set()  # every department's October figures are approved

# A tiny but valid PDF: the evidence file attached to self-reported investment figures.
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def round_to(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(quantum(decimals), rounding=ROUND_HALF_UP)


SCHEME_WORKBOOK = "scheme.xlsx"
TARGETS_WORKBOOKS = {0: "targets.xlsx", -1: "targets-last-year.xlsx"}  # by the year's offset from the demo year
SCHEME_NAME = "云溪区{year}年度乡镇经济工作目标责任制考核方案"


def import_scheme(year: int, *, targets: str, admin: User) -> Scheme:
    """One year's scheme and targets from the shipped workbooks, through the imports a district uses; published."""
    workbook = WORKBOOKS / SCHEME_WORKBOOK
    report = scheme_import(data=workbook.read_bytes(), filename=workbook.name, year=year, by=admin)
    if not report.ok:
        raise ApplicationError(f"演示考核方案导入失败：{report.message}")
    scheme = Scheme.objects.official().get(year=year)
    if scheme.name != SCHEME_NAME.format(year=year):  # the workbook names the year it was written for
        scheme = schemes.scheme_update(scheme=scheme, data={"name": SCHEME_NAME.format(year=year)}, by=admin,
                                       reason="方案名称改为本年度")  # fmt: skip
    table = WORKBOOKS / targets
    imported = importers.import_file(data=table.read_bytes(), filename=table.name, by=admin, year=year, kinds={TARGETS})
    if not imported.ok:
        raise ApplicationError(f"演示目标任务导入失败：{imported.message}")
    return schemes.scheme_publish(scheme=scheme, by=admin)


def yearly_figures(
    scheme: Scheme, months: int, rng: random.Random, *, deaths: dict[str, tuple[tuple[int, int], ...]]
) -> dict[tuple[str, str, int], Decimal]:
    """Cumulative (or growth, or level) figures per (unit, indicator, month) following pace and season."""
    targets = {(t.unit.code, t.indicator.code): t.amount for t in scheme_targets(scheme)}
    indicators = list(scheme.indicators.order_by("sort_order", "code"))
    figures: dict[tuple[str, str, int], Decimal] = {}
    for unit_code, pace_text in UNIT_PACE.items():
        pace = Decimal(pace_text)
        for ind in indicators:
            target = targets.get((unit_code, ind.code))
            if target is None:
                continue
            places = ind.decimal_places
            if ind.kind == IndicatorKind.GROWTH:
                for month in range(1, months + 1):
                    drift = Decimal(rng.randint(-12, 12)) / 10
                    figures[(unit_code, ind.code, month)] = round_to(target * pace + drift, places)
                continue
            if ind.kind == IndicatorKind.RATIO:
                for month in range(1, months + 1):
                    drift = Decimal(rng.randint(-8, 8)) / 10
                    level = min(target + (pace - 1) * LEVEL_SPREAD + drift, Decimal(100))
                    figures[(unit_code, ind.code, month)] = round_to(level, places)
                continue
            if ind.direction == Direction.LOWER:
                events = deaths.get(unit_code, ()) if ind.code == DEATHS_INDICATOR else ()
                for month in range(1, months + 1):
                    figures[(unit_code, ind.code, month)] = Decimal(sum(n for m, n in events if m <= month))
                continue
            annual = target * pace * Decimal(rng.randint(90, 110)) / 100
            if ind.code == "dwzj" and unit_code == ZERO_INVESTMENT_UNIT:
                annual = Decimal(0)
            if ind.code == "dwzj" and unit_code == NEAR_ZERO_INVESTMENT_UNIT:
                annual = target * Decimal("0.024")
            previous = Decimal(0)
            profile = PROFILES[PROFILE_OF.get(ind.code, "flat")]
            for month in range(1, months + 1):
                value = max(round_to(annual * Decimal(profile[month - 1]), places), previous)
                figures[(unit_code, ind.code, month)] = value
                previous = value
    return figures


def scheme_targets(scheme: Scheme) -> list[Target]:
    return list(Target.objects.filter(indicator__scheme=scheme).select_related("unit", "indicator"))


def submitted_on(scheme: Scheme, unit_code: str, month: int) -> dt.datetime:
    """When the township handed in its report: by the 5th of the next month, or late on the 18th."""
    year, next_month = (scheme.year, month + 1) if month < 12 else (scheme.year + 1, 1)
    day = 18 if (unit_code, month) in LATE_REPORTS else 5
    return dt.datetime(year, next_month, day, 16, 30, tzinfo=SHANGHAI)


def load_history(scheme: Scheme, figures: dict[tuple[str, str, int], Decimal], months: range, admin: User) -> None:
    units = {u.code: u for u in Unit.objects.assessed()}
    indicators = {i.code: i for i in scheme.indicators.all()}
    rows = [
        collection.HistoryRow(units[u], indicators[i], m, amount, submitted_on(scheme, u, m))
        for (u, i, m), amount in figures.items()
        if m in months and collection.evaluated_in(indicators[i], m)
    ]
    collection.history_import(scheme=scheme, rows=rows, by=admin, reason="演示数据：已审核月份的历史数据")


def load_current_month(scheme: Scheme, figures: dict[tuple[str, str, int], Decimal], month: int) -> None:
    """October through the real workflow: entered by the owners, then submitted, approved or returned."""
    users = {u.username: u for u in User.objects.all()}
    reviewer = users["shenhe"]
    indicators = list(scheme.indicators.select_related("owner").order_by("sort_order"))
    units = list(Unit.objects.assessed())
    owners: dict[Department | None, list[Indicator]] = {}
    for ind in indicators:
        if collection.evaluated_in(ind, month):
            owners.setdefault(None if ind.source == "self" else ind.owner, []).append(ind)
    for owner, owned in owners.items():
        for unit in units:
            entries = {
                ind.code: collection.Change(
                    amount=figures[(unit.code, ind.code, month)], evidence=evidence_for(unit, ind, month)
                )
                for ind in owned
                if (unit.code, ind.code, month) in figures
            }
            if not entries:
                continue
            author = users[f"{unit.code}_tb"] if owner is None else users[DEPARTMENT_OFFICERS[owner.code]]
            submission = collection.submission_open(scheme=scheme, unit=unit, month=month, owner=owner)
            submission = collection.values_save(submission=submission, changes=entries, by=author,
                                                expected_version=submission.version)  # fmt: skip
            if owner is None and unit.code == DRAFT_UNIT:
                continue
            submission = collection.submission_submit(submission=submission, by=author)
            if owner is None and unit.code in PENDING_UNITS:
                continue
            if owner is not None and owner.code in PENDING_DEPARTMENTS:
                continue
            if owner is None and unit.code == RETURNED_UNIT:
                collection.submission_return(
                    submission=submission, by=reviewer, reason="到位资金佐证材料不全，请补充银行进账单后重新提交。"
                )
                continue
            collection.submission_approve(submission=submission, by=reviewer)
    # The demo replays October's reporting as if it happened on time, whenever the demo is loaded.
    Submission.objects.filter(scheme=scheme, month=month).exclude(first_submitted_at=None).update(
        first_submitted_at=submitted_on(scheme, "", month), submitted_at=submitted_on(scheme, "", month)
    )


def evidence_for(unit: Unit, indicator: Indicator, month: int) -> ContentFile[bytes] | None:
    if not indicator.requires_evidence:
        return None
    return ContentFile(EVIDENCE_PDF, name=f"{unit.code}-{indicator.code}-{month}.pdf")


DEPARTMENT_OFFICERS = {
    "tongji": "tongjiju",
    "caizheng": "caizhengju",
    "shuiwu": "shuiwuju",
    "shangwu": "shangwuju",
    "fagai": "fagaiju",
    "renshe": "rensheju",
    "yingji": "yingjiju",
    "zhengfa": "zhengfawei",
    "zhengwu": "zhengwuju",
}


def load_decisions(scheme: Scheme, users: dict[str, User]) -> None:
    """Target adjustments and bonus/deduction/veto items, some decided, some still waiting."""
    admin = users["kaoheban"]
    target = Target.objects.get(indicator__scheme=scheme, indicator__code="gdzc", unit__code="longquan")
    adjustment = schemes.target_adjustment_request(
        target=target, effective_month=7, new_amount=round_to(target.amount * Decimal("0.85"), 2),
        reason="龙泉镇两个亿元项目因用地报批延期至明年开工，经区政府常务会议同意调减固定资产投资任务。",
        by=users["fagaiju"],
    )  # fmt: skip
    schemes.target_adjustment_decide(adjustment=adjustment, approve=True, by=admin, note="同意，自7月起执行。")
    pending = Target.objects.get(indicator__scheme=scheme, indicator__code="shelin", unit__code="taoyuan")
    schemes.target_adjustment_request(
        target=pending, effective_month=10, new_amount=round_to(pending.amount * Decimal("0.9"), 2),
        reason="桃源镇辖区大型商超停业装修三个月，申请调减社会消费品零售总额任务。", by=users["tongjiju"],
    )  # fmt: skip
    items = {t.code: t for t in scheme.item_types.all()}
    units = {u.code: u for u in Unit.objects.assessed()}
    decided = [
        ("zdxmpz", "qingshi", 6, "青石镇智能装备产业园项目列入全市重点项目中期增补计划", "fagaiju"),
        ("zdxmpz", "jinqiao", 8, "金桥镇新材料项目列入全市重点项目计划", "fagaiju"),
        ("dbyq", "shimen", 9, "区委督办“工业园区污水管网改造”事项逾期未办结", "ducha"),
        ("aqyh", "songlin", 5, "松林镇化工集中区重大事故隐患逾期未整改，被区安委办挂牌督办", "yingjiju"),
        ("xfwt", "baisha", 8, "白沙镇8月发生到市集体访1起，经区信访联席会议认定", "xinfangju"),
        ("ysgg", "chengguan", 7, "城关街道“企业开办一窗通办”经验获市营商环境办发文推广", "zhengwuju"),
        ("yshj", "meiling", 9, "梅岭镇拖欠企业工程款问题经12345热线投诉、区营商办核查属实", "zhengwuju"),
    ]
    for code, unit, month, reason, who in decided:
        record = schemes.item_record_propose(
            item_type=items[code], unit=units[unit], month=month, reason=reason, by=users[who]
        )
        schemes.item_record_decide(record=record, approve=True, by=admin)
    # 一票否决: proposed by the 应急管理局, approved once the 区安委会 has found it a liability accident.
    veto = schemes.item_record_propose(
        item_type=items["aqsc"], unit=units[VETOED_UNIT], month=9, by=users["yingjiju"],
        reason="桃源镇9月12日辖区一建材企业发生较大生产安全事故，造成3人死亡，经区安委会调查认定为生产安全责任事故。",
    )  # fmt: skip
    schemes.item_record_decide(record=veto, approve=True, by=admin, note="经区委、区政府研究，实行一票否决。")
    # Still waiting for the 考核办: it counts only once approved.
    schemes.item_record_propose(
        item_type=items["xfwt"], unit=units["liutang"], month=10, by=users["xinfangju"],
        reason="信访局提请：柳塘镇10月发生赴区集体访1起，待信访联席会议认定。",
    )  # fmt: skip


def load_data(*, year: int, month: int) -> None:
    admin = User.objects.get(username="kaoheban")
    rng = random.Random(SEED)
    last = import_scheme(year - 1, targets=TARGETS_WORKBOOKS[-1], admin=admin)
    load_history(last, yearly_figures(last, 12, rng, deaths={}), range(1, 13), admin)
    current = import_scheme(year, targets=TARGETS_WORKBOOKS[0], admin=admin)
    figures = yearly_figures(current, month, rng, deaths=SAFETY_DEATHS)
    load_history(current, figures, range(1, month), admin)
    load_current_month(current, figures, month)
    load_decisions(current, {u.username: u for u in User.objects.all()})
    load_unlock_request(current, month - 1)
    # 模拟: the 考核办 tries fixed-asset investment at double weight, beside the official board.
    scenario = schemes.scenario_create(source=current, name="固定资产投资加权", by=admin)
    schemes.indicator_update(
        indicator=scenario.indicators.get(code="gdzc"), data={"weight": Decimal(14)}, by=admin,
        reason="测算固定资产投资分值由7分提高到14分的影响",
    )  # fmt: skip


def load_unlock_request(scheme: Scheme, month: int) -> None:
    """A township asks to reopen last month's approved figures; it waits for the 考核办 (数据审核 lists it)."""
    submission = Submission.objects.get(scheme=scheme, month=month, unit__code="donghu", owner=None)
    collection.submission_unlock_request(
        submission=submission, by=User.objects.get(username="donghu_tb"),
        reason="东湖街道9月招商引资签约额误将一个意向项目计入，申请解锁更正。",
    )  # fmt: skip
