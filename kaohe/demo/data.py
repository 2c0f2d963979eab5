"""The demo's schemes, targets and monthly figures: last year complete, this year January to October.

Figures follow each township's size and pace with seasonality and seeded noise, so the scoreboard
has leaders and laggards. October goes through the real workflow: some submissions approved, some
still waiting for review, one returned, one not yet submitted.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from kaohe.accounts.models import User
from kaohe.collection import services as collection
from kaohe.collection.models import Submission
from kaohe.org.models import Department, Unit, UnitGroup
from kaohe.schemes import services as schemes
from kaohe.schemes.models import Indicator, Scheme, Target

from .scheme import (
    CATEGORIES,
    GRADE_RULE,
    INDICATORS,
    ITEM_TYPES,
    NEAR_ZERO_INVESTMENT_UNIT,
    PROFILES,
    UNIT_PROFILES,
    ZERO_INVESTMENT_UNIT,
    DemoIndicator,
    quantum,
)

SEED = 20260101
SHANGHAI = ZoneInfo("Asia/Shanghai")
STREETS_WITHOUT_AGRICULTURE = {"chengguan", "donghu", "xishan", "nanyuan"}
AGRICULTURE = {"nlmy", "ncsr"}
LAST_YEAR_GROWTH = Decimal("1.08")
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


def build_scheme(year: int, *, admin: User, scale: Decimal) -> Scheme:
    """Create and publish one year's scheme with the demo's indicators and every township's targets."""
    scheme = schemes.scheme_create(year=year, name=f"云溪区{year}年度乡镇经济工作目标责任制考核方案", by=admin,
                                   grade_rule=GRADE_RULE)  # fmt: skip
    departments = {d.code: d for d in Department.objects.all()}
    groups = {g.code: g for g in UnitGroup.objects.all()}
    categories = {
        code: schemes.category_create(scheme=scheme, code=code, name=name, sort_order=i, by=admin)
        for i, (code, name) in enumerate(CATEGORIES)
    }
    created: dict[str, Indicator] = {}
    # The scheme lists its indicators category by category, as published schemes do (一、经济发展 1. … 2. …): the
    # 成绩单 then shows each category over its indicators with its 小计.
    rank = {code: i for i, (code, _) in enumerate(CATEGORIES)}
    for order, spec in enumerate(sorted(INDICATORS, key=lambda spec: rank[spec.category]), start=1):
        created[spec.code] = schemes.indicator_create(
            scheme=scheme, by=admin, code=spec.code, name=spec.name, unit=spec.unit, kind=spec.kind,
            owner=departments[spec.owner], source=spec.source, frequency=spec.frequency, rule=spec.rule,
            weight=Decimal(spec.weight), category=categories[spec.category], part_of=created.get(spec.part_of),
            requires_evidence=spec.requires_evidence, decimal_places=spec.decimals, sort_order=order,
            counts_for_schedule=spec.counts, stage_months=list(spec.stage_months),
        )  # fmt: skip
        for group, weight in spec.group_weights.items():
            schemes.group_weight_set(indicator=created[spec.code], group_id=groups[group].pk, weight=Decimal(weight),
                                     by=admin)  # fmt: skip
    for kind, code, name, points, cap, veto, owner, timeliness in ITEM_TYPES:
        schemes.item_type_create(
            scheme=scheme, by=admin, kind=kind, code=code, name=name,
            points=Decimal(points) if points else None, cap=Decimal(cap) if cap else None, veto_effect=veto,
            owner=departments.get(owner), from_timeliness=timeliness,
        )  # fmt: skip
    for unit in Unit.objects.assessed():
        size = Decimal(UNIT_PROFILES[unit.code][0])
        for spec in INDICATORS:
            if spec.code in AGRICULTURE and unit.code in STREETS_WITHOUT_AGRICULTURE:
                continue  # 无任务: streets have no farming targets
            if spec.rule and spec.rule["family"] == "combo":
                continue  # scored from its parts' targets
            amount = target_for(spec, size, scale)
            stages = {str(m): str(round_to(amount * Decimal(share), spec.decimals)) for m, share in spec.stage_shares}
            schemes.target_set(indicator=created[spec.code], unit=unit, amount=amount, stages=stages, by=admin)
    return schemes.scheme_publish(scheme=scheme, by=admin)


def target_for(spec: DemoIndicator, size: Decimal, scale: Decimal) -> Decimal:
    if spec.kind == "growth":
        return Decimal(spec.base)
    amount = round_to(Decimal(spec.base) * size / scale, spec.decimals)
    return max(amount, Decimal(1))


def yearly_figures(scheme: Scheme, months: int, rng: random.Random) -> dict[tuple[str, str, int], Decimal]:
    """Cumulative (or growth) figures per (unit, indicator, month) following size, pace and season."""
    targets = {(t.unit.code, t.indicator.code): t.amount for t in scheme_targets(scheme)}
    figures: dict[tuple[str, str, int], Decimal] = {}
    for unit_code, (_, pace_text) in UNIT_PROFILES.items():
        pace = Decimal(pace_text)
        for spec in INDICATORS:
            target = targets.get((unit_code, spec.code))
            if target is None:
                continue
            if spec.kind == "growth":
                for month in range(1, months + 1):
                    drift = Decimal(rng.randint(-12, 12)) / 10
                    figures[(unit_code, spec.code, month)] = round_to(target * pace + drift, spec.decimals)
                continue
            annual = target * pace * Decimal(rng.randint(90, 110)) / 100
            if spec.code == "dwzj" and unit_code == ZERO_INVESTMENT_UNIT:
                annual = Decimal(0)
            if spec.code == "dwzj" and unit_code == NEAR_ZERO_INVESTMENT_UNIT:
                annual = target * Decimal("0.024")
            previous = Decimal(0)
            for month in range(1, months + 1):
                share = Decimal(PROFILES[spec.profile][month - 1])
                value = max(round_to(annual * share, spec.decimals), previous)
                figures[(unit_code, spec.code, month)] = value
                previous = value
    return figures


def scheme_targets(scheme: Scheme) -> list:  # type: ignore[type-arg]
    from kaohe.schemes.models import Target

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
    ]
    for code, unit, month, reason, who in decided:
        record = schemes.item_record_propose(
            item_type=items[code], unit=units[unit], month=month, reason=reason, by=users[who]
        )
        schemes.item_record_decide(record=record, approve=True, by=admin)
    # A veto proposed by the department; it counts only once the admin approves it.
    schemes.item_record_propose(
        item_type=items["aqsc"], unit=units["liutang"], month=9, by=admin,
        reason="应急管理局提请：柳塘镇9月发生一起较大生产安全事故，待区安委会认定。",
    )  # fmt: skip


def load_data(*, year: int, month: int) -> None:
    admin = User.objects.get(username="kaoheban")
    rng = random.Random(SEED)
    last = build_scheme(year - 1, admin=admin, scale=Decimal("1.08"))
    load_history(last, yearly_figures(last, 12, rng), range(1, 13), admin)
    current = build_scheme(year, admin=admin, scale=Decimal(1))
    figures = yearly_figures(current, month, rng)
    load_history(current, figures, range(1, month), admin)
    load_current_month(current, figures, month)
    load_decisions(current, {u.username: u for u in User.objects.all()})
    # 模拟: the 考核办 tries fixed-asset investment at double weight, beside the official board.
    scenario = schemes.scenario_create(source=current, name="固定资产投资加权", by=admin)
    schemes.indicator_update(
        indicator=scenario.indicators.get(code="gdzc"), data={"weight": Decimal(16)}, by=admin,
        reason="测算固定资产投资分值由8分提高到16分的影响",
    )  # fmt: skip
