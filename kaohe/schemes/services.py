"""Writes of the scheme: set up in draft, publish (freeze), then change targets only by adjustment.

Rules, plan curves and grade rules are validated by the scoring engine's parser when they are stored, and every
service that changes what the engine scores is `engine_checked`: before it commits, the scheme as it would then
stand goes through the engine's whole check, so a refusal is a Chinese message at the door, never a failure at
scoring time.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kaohe.assessment.checks import engine_checked, refusal, touch, trial
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.numbers import NumberError, typed_number
from kaohe.core.services import ChangeLogBatch, changelog_record, snapshot
from kaohe.lib.order import parents_first
from kaohe.org.models import Unit
from kaohe.scoring import RuleError, grade_rule_from_dict, needs_target, plan_curve_from_list, rule_from_dict

from .choices import IndicatorKind, ItemKind, RequestStatus, SchemeStatus
from .models import Category, GroupWeight, Indicator, ItemRecord, ItemType, Scheme, Target, TargetAdjustment

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from kaohe.accounts.models import User

SCHEME_FROZEN = "{year}年考核方案已发布，不能直接修改；目标变更请提交任务调整。"
SCHEME_NOT_PUBLISHED = "{year}年考核方案尚未发布，请直接修改目标，无需任务调整。"
INACTIVE_UNIT = "{unit}自{year}年起已停用，不再下达目标。"
TARGET_NOT_POSITIVE = "目标值须大于0（收到 {amount}）。没有任务的单位请不设目标。"
STAGES_DECREASE = "分期目标须逐期不减：{a}月 {x}，{b}月 {y}。"
STAGE_EXCEEDS = "{month}月的分期目标 {amount} 超过年度目标 {annual}。"
ADJUSTMENT_DECIDED = "该任务调整已处理，不能重复审批。"
REASON_REQUIRED = "请填写理由。"
WEIGHTS_OFF = "{group}的指标分值合计为 {total}，应为满分 {expected}（{gap}）。"


def points(value: Decimal) -> str:
    """Weights are stored with 4 places; "90.0000" reads as noise to the admin."""
    return format(value.normalize(), "f")


INDICATOR_FIELDS = (
    "code", "name", "unit", "kind", "direction", "owner", "source", "frequency", "plan_curve", "stage_months",
    "interpolate_stages", "counts_for_schedule", "rule", "weight", "part_of", "requires_evidence",
    "decimal_places", "rate_places", "category",
)  # fmt: skip


def _ensure_draft(scheme: Scheme) -> None:
    if scheme.is_published:
        raise ApplicationError(SCHEME_FROZEN.format(year=scheme.year))


def _validate_rule_fields(*, rule: Any, plan_curve: Any) -> None:
    errors: dict[str, str] = {}
    if rule is not None:
        try:
            rule_from_dict(rule)
        except RuleError as exc:
            errors["rule"] = f"评分规则有误：{exc.message}"
    if plan_curve is not None:
        try:
            plan_curve_from_list(plan_curve)
        except RuleError as exc:
            errors["plan_curve"] = f"分月计划有误：{exc.message}"
    if errors:
        raise ValidationError(errors)


def _log_create(obj: Any, fields: tuple[str, ...], by: User | None, reason: str = "") -> None:
    changelog_record(action=ChangeAction.CREATE, by=by, obj=obj, after=snapshot(obj, fields), reason=reason)


@engine_checked
@transaction.atomic
def scheme_create(
    *, year: int, name: str, by: User | None, grade_rule: Any = None, scenario: str = "", reason: str = ""
) -> Scheme:
    """A new draft: the year's official scheme, or with `scenario` a named scenario (模拟方案) beside it."""
    if grade_rule is not None:
        _validate_grade_rule(grade_rule)
    scheme = Scheme(year=year, name=name, grade_rule=grade_rule, scenario=scenario.strip())
    scheme.full_clean()
    scheme.save()
    _log_create(scheme, ("year", "name", "scenario", "grade_rule"), by, reason)
    touch(scheme, field="grade_rule")
    return scheme


SCHEME_SETTINGS = (
    "name", "grade_rule", "total_points", "townships_see_published_scores", "outlier_z", "outlier_yoy",
    "report_deadline_day",
)  # fmt: skip


def _changed(obj: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that change, so the change log shows what was actually edited."""
    return {k: v for k, v in data.items() if getattr(obj, k) != v}


def _update(obj: Any, data: Mapping[str, Any], by: User | None, reason: str) -> bool:
    """Set and save the changed fields with one change-log row; False when nothing changed."""
    changed = _changed(obj, data)
    if not changed:
        return False
    before = snapshot(obj, tuple(changed))
    for key, value in changed.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    changelog_record(
        action=ChangeAction.UPDATE, by=by, obj=obj, before=before, after=snapshot(obj, tuple(changed)), reason=reason
    )
    return True


@engine_checked
@transaction.atomic
def scheme_update(*, scheme: Scheme, data: Mapping[str, Any], by: User | None, reason: str = "") -> Scheme:
    """Change a draft scheme's name, grade rule and settings (SCHEME_SETTINGS)."""
    _ensure_draft(scheme)
    unknown = set(data) - set(SCHEME_SETTINGS)
    if unknown:
        raise ValueError(f"scheme_update cannot change {sorted(unknown)}")
    if data.get("grade_rule") is not None:
        _validate_grade_rule(data["grade_rule"])
    if _update(scheme, data, by, reason) and "grade_rule" in data:
        touch(scheme, field="grade_rule")
    return scheme


def _validate_grade_rule(grade_rule: Any) -> None:
    try:
        grade_rule_from_dict(grade_rule)
    except RuleError as exc:
        raise ValidationError({"grade_rule": f"等次规则有误：{exc.message}"}) from None


@transaction.atomic
def category_create(
    *, scheme: Scheme, code: str, name: str, by: User | None, sort_order: int = 0, reason: str = ""
) -> Category:
    _ensure_draft(scheme)
    category = Category(scheme=scheme, code=code, name=name, sort_order=sort_order)
    category.full_clean()
    category.save()
    _log_create(category, ("code", "name"), by, reason)
    return category


@transaction.atomic
def category_update(*, category: Category, data: Mapping[str, Any], by: User | None, reason: str = "") -> Category:
    _ensure_draft(category.scheme)
    _update(category, data, by, reason)
    return category


@transaction.atomic
def category_delete(*, category: Category, by: User, reason: str = "") -> None:
    """Delete an empty category of a draft scheme; one that still holds indicators is refused."""
    _ensure_draft(category.scheme)
    count = category.indicators.count()
    if count:
        raise ApplicationError(f"类别“{category.name}”下还有 {count} 个指标，请先删除或移到其他类别。")
    changelog_record(action=ChangeAction.DELETE, by=by, obj=category, before=snapshot(category, ("code", "name")),
                     reason=reason)  # fmt: skip
    category.delete()


@engine_checked
@transaction.atomic
def indicator_create(*, scheme: Scheme, by: User | None, reason: str = "", **fields: Any) -> Indicator:
    """Add an indicator to a draft scheme; its rule and plan curve are validated by the engine."""
    _ensure_draft(scheme)
    _validate_rule_fields(rule=fields.get("rule"), plan_curve=fields.get("plan_curve"))
    indicator = Indicator(scheme=scheme, **fields)
    indicator.full_clean()
    indicator.save()
    _log_create(indicator, INDICATOR_FIELDS, by, reason)
    touch(scheme, field="rule")
    return indicator


@engine_checked
@transaction.atomic
def indicator_update(*, indicator: Indicator, data: Mapping[str, Any], by: User, reason: str = "") -> Indicator:
    _ensure_draft(indicator.scheme)
    merged_rule = data.get("rule", indicator.rule)
    merged_curve = data.get("plan_curve", indicator.plan_curve)
    _validate_rule_fields(rule=merged_rule, plan_curve=merged_curve)
    _update(indicator, data, by, reason)
    touch(indicator.scheme, field="rule" if {"rule", "kind", "direction"} & set(data) else None)
    return indicator


@engine_checked
@transaction.atomic
def indicator_delete(*, indicator: Indicator, by: User, reason: str = "") -> None:
    """Delete an indicator of a draft scheme with its targets and group weights. Refused once figures have been
    reported for it, while another indicator is part of it, and (by the engine's check) while a combo counts it."""
    _ensure_draft(indicator.scheme)
    reported = indicator.values.count()  # collection.Value, PROTECT
    if reported:
        raise ApplicationError(
            f"指标“{indicator.name}”已有 {reported} 条填报数据，不能删除；如不再考核，请把分值设为 0 或改为不计分。"
        )
    parts = list(indicator.parts.values_list("name", flat=True))
    if parts:
        raise ApplicationError(f"指标“{'”“'.join(parts)}”属于指标“{indicator.name}”，请先删除它们或改其所属总量指标。")
    before = snapshot(indicator, INDICATOR_FIELDS)
    targets = indicator.targets.count()
    changelog_record(
        action=ChangeAction.DELETE, by=by, obj=indicator, before={**before, "targets": targets}, reason=reason
    )
    scheme = indicator.scheme
    indicator.delete()
    touch(scheme, field="rule")


@engine_checked
@transaction.atomic
def group_weight_set(
    *, indicator: Indicator, group_id: int, weight: Decimal, by: User | None, reason: str = ""
) -> GroupWeight:
    _ensure_draft(indicator.scheme)
    row, _ = GroupWeight.objects.update_or_create(indicator=indicator, group_id=group_id, defaults={"weight": weight})
    row.full_clean()
    changelog_record(
        action=ChangeAction.UPDATE, by=by, obj=row, after={"group": group_id, "weight": str(weight)}, reason=reason
    )
    touch(indicator.scheme)
    return row


@engine_checked
@transaction.atomic
def group_weight_remove(*, indicator: Indicator, group_id: int, by: User | None, reason: str = "") -> None:
    """Drop a group's own weight: the group falls back to the indicator's weight."""
    _ensure_draft(indicator.scheme)
    row = GroupWeight.objects.filter(indicator=indicator, group_id=group_id).first()
    if row is None:
        return
    changelog_record(
        action=ChangeAction.DELETE, by=by, obj=row, before={"group": group_id, "weight": str(row.weight)}, reason=reason
    )
    row.delete()
    touch(indicator.scheme)


@engine_checked
@transaction.atomic
def indicator_save(
    *,
    scheme: Scheme,
    data: Mapping[str, Any],
    group_weights: Mapping[int, Decimal | None],
    by: User,
    indicator: Indicator | None = None,
    reason: str = "",
) -> Indicator:
    """Create or update an indicator together with its group weights (None: remove), all or nothing."""
    if indicator is None:
        indicator = indicator_create(scheme=scheme, by=by, reason=reason, **data)
    else:
        changed = _changed(indicator, data)
        if changed:
            indicator = indicator_update(indicator=indicator, data=changed, by=by, reason=reason)
    current = {gw.group_id: gw.weight for gw in indicator.group_weights.all()}
    for group_id, weight in group_weights.items():
        if weight is None:
            if group_id in current:
                group_weight_remove(indicator=indicator, group_id=group_id, by=by, reason=reason)
        elif current.get(group_id) != weight:
            group_weight_set(indicator=indicator, group_id=group_id, weight=weight, by=by, reason=reason)
    return indicator


def parse_amount(raw: object, field: str = "amount") -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else typed_number(str(raw))
    except NumberError as exc:
        message = f"“{raw}”不是有效的数字。" if exc.code == "invalid" else f"{exc.message}。"
        raise ValidationError({field: message}) from None
    if value is None or not value.is_finite():
        raise ValidationError({field: f"“{raw}”不是有效的数字。"})
    return value


def clean_stages(stages: Mapping[Any, Any] | None, annual: Decimal) -> dict[str, str]:
    """分期目标 as {"3": "1200", …}: months 1–12, non-decreasing, none above the annual target."""
    result: dict[int, Decimal] = {}
    for raw_month, raw_amount in (stages or {}).items():
        try:
            month = int(raw_month)
        except (TypeError, ValueError):
            raise ValidationError({"stages": f"分期目标的月份“{raw_month}”无效。"}) from None
        if not 1 <= month <= 12:
            raise ValidationError({"stages": f"分期目标的月份须在1到12之间（收到 {month}）。"})
        amount = parse_amount(raw_amount, "stages")
        if amount <= 0:
            raise ValidationError({"stages": f"{month}月的分期目标须大于0。"})
        if amount > annual:
            raise ValidationError({"stages": STAGE_EXCEEDS.format(month=month, amount=amount, annual=annual)})
        result[month] = amount
    months = sorted(result)
    for a, b in itertools.pairwise(months):
        if result[b] < result[a]:
            raise ValidationError({"stages": STAGES_DECREASE.format(a=a, x=result[a], b=b, y=result[b])})
    return {str(m): str(result[m]) for m in months}


def target_may_be(indicator: Indicator, amount: Decimal) -> bool:
    """A growth target may be 0 or negative (增速不低于-5%); every other target is an amount or level to reach."""
    return amount > 0 or indicator.kind == IndicatorKind.GROWTH


def _clean_target(
    indicator: Indicator, amount: Decimal, stretch: Decimal | None, stages: Mapping[Any, Any] | None
) -> dict[str, str]:
    if not target_may_be(indicator, amount):
        raise ValidationError({"amount": TARGET_NOT_POSITIVE.format(amount=amount)})
    if stretch is not None and stretch < amount:
        raise ValidationError({"stretch": "奋斗目标不能低于年度目标。"})
    return clean_stages(stages, amount)


@engine_checked
@transaction.atomic
def target_set(
    *,
    indicator: Indicator,
    unit: Unit,
    amount: Decimal,
    by: User | None,
    stretch: Decimal | None = None,
    stages: Mapping[Any, Any] | None = None,
    reason: str = "",
) -> Target:
    """Set a unit's target while the scheme is a draft (published schemes go through adjustments)."""
    _ensure_draft(indicator.scheme)
    if not unit.is_active_in(indicator.scheme.year):
        raise ValidationError({"unit": INACTIVE_UNIT.format(unit=unit.name, year=unit.inactive_from)})
    clean = _clean_target(indicator, amount, stretch, stages)
    target = Target.objects.filter(indicator=indicator, unit=unit).first()
    before = snapshot(target, ("amount", "stretch", "stages")) if target else None
    if target is None:
        target = Target(indicator=indicator, unit=unit)
    changed = before is not None and (target.amount, target.stretch, target.stages) != (amount, stretch, clean)
    target.amount, target.stretch, target.stages = amount, stretch, clean
    target.full_clean()
    target.save()
    if changed and indicator.scheme.is_scenario:
        # A scenario's target carries the official adjustments it was copied with; edited, it stands for the year.
        target.adjustments.all().delete()
    changelog_record(
        action=ChangeAction.UPDATE if before else ChangeAction.CREATE, by=by, obj=target, before=before,
        after=snapshot(target, ("amount", "stretch", "stages")), reason=reason,
    )  # fmt: skip
    touch(indicator.scheme, units=[unit.pk], field="amount")
    return target


@engine_checked
@transaction.atomic
def target_remove(*, target: Target, by: User, reason: str = "") -> None:
    _ensure_draft(target.indicator.scheme)
    before = snapshot(target, ("indicator", "unit", "amount", "stretch", "stages"))
    changelog_record(action=ChangeAction.DELETE, by=by, obj=target, before=before, reason=reason)
    touch(target.indicator.scheme, units=[target.unit_id])
    target.delete()


@dataclass(frozen=True)
class TargetCell:
    """One cell of the targets matrix as submitted: amount None means "no target" (removes one if set)."""

    unit: Unit
    indicator: Indicator
    amount: Decimal | None
    stretch: Decimal | None = None
    stages: Mapping[Any, Any] | None = None


@dataclass(frozen=True)
class TargetCellError:
    unit: Unit
    indicator: Indicator
    message: str

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.indicator.name}：{self.message}"


TARGETS_NOT_SAVED = "目标未保存：{count} 处有误，请改正后重新提交（其余单元格也未保存）。"


@engine_checked
@transaction.atomic
def targets_bulk_set(*, scheme: Scheme, cells: Sequence[TargetCell], by: User) -> int:
    """Save many cells of the targets matrix at once: every cell or none.

    Each invalid cell is reported with its township and indicator (ApplicationError, extra["errors"]: a list of
    TargetCellError); raising leaves this transaction, so the cells already written are rolled back too.
    """
    _ensure_draft(scheme)
    errors: list[TargetCellError] = []
    for cell in cells:
        if cell.indicator.scheme_id != scheme.pk:
            raise ApplicationError(f"指标“{cell.indicator.name}”不属于{scheme.year}年考核方案。")
        # Keep going after a bad cell so the admin sees every problem at once, not one per submission.
        try:
            if cell.amount is None:
                existing = Target.objects.filter(indicator=cell.indicator, unit=cell.unit).first()
                if existing is not None:
                    target_remove(target=existing, by=by)
            else:
                target_set(
                    indicator=cell.indicator, unit=cell.unit, amount=cell.amount, stretch=cell.stretch,
                    stages=cell.stages, by=by,
                )  # fmt: skip
        except ValidationError as exc:
            errors.append(TargetCellError(cell.unit, cell.indicator, "；".join(exc.messages)))
    if errors:
        raise ApplicationError(TARGETS_NOT_SAVED.format(count=len(errors)), extra={"errors": errors})
    return len(cells)


def scheme_problems(scheme: Scheme) -> list[str]:
    """What stands in the way of publishing, in Chinese, one line each."""
    problems: list[str] = []
    indicators = list(scheme.indicators.select_related("owner").prefetch_related("group_weights"))
    if not indicators:
        return ["方案还没有指标。"]
    assessed = list(Unit.objects.assessed(scheme.year).select_related("group"))
    targets = set(Target.objects.filter(indicator__scheme=scheme).values_list("indicator_id", "unit_id"))
    group_ids = {u.group_id for u in assessed}
    for group_id in sorted(group_ids, key=lambda g: g or 0):
        total = Decimal(0)
        for ind in indicators:
            override = next((gw.weight for gw in ind.group_weights.all() if gw.group_id == group_id), None)
            total += ind.weight if override is None else override
        if total != scheme.total_points:
            name = next((str(u.group) for u in assessed if u.group_id == group_id), "未分组")
            problems.append(WEIGHTS_OFF.format(
                group=name, total=points(total), expected=points(scheme.total_points),
                gap=("多" if total > scheme.total_points else "少") + points(abs(total - scheme.total_points)),
            ))  # fmt: skip
    for ind in indicators:
        if ind.rule is None:
            continue
        try:
            rule = rule_from_dict(ind.rule)
        except RuleError as exc:
            problems.append(f"指标“{ind.name}”的评分规则有误：{exc.message}")
            continue
        if needs_target(rule) and not ind.is_derived and not any((ind.pk, u.pk) in targets for u in assessed):
            problems.append(f"指标“{ind.name}”需要目标值，但尚未给任何乡镇下达目标。")
    if scheme.grade_rule is not None:
        try:
            grade_rule_from_dict(scheme.grade_rule)
        except RuleError as exc:
            problems.append(f"等次规则有误：{exc.message}")
    if not problems:
        # The engine's whole check, as scoring will run it: what the lines above cannot see (a rule that does
        # not fit its indicator's kind, a target the engine cannot use) is caught here, before townships see it.
        refused = refusal(scheme)
        if refused:
            problems.append(f"引擎校验未通过：{refused}")
    return problems


@engine_checked
@transaction.atomic
def scheme_publish(*, scheme: Scheme, by: User) -> Scheme:
    """Freeze the scheme: from now on targets change only through approved adjustments."""
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.is_scenario:
        raise ApplicationError(SCENARIO_NOT_PUBLISHED)
    _ensure_draft(scheme)
    problems = scheme_problems(scheme)
    if problems:
        raise ApplicationError("方案不能发布：" + "；".join(problems), extra={"problems": problems})
    scheme.status = SchemeStatus.PUBLISHED
    scheme.published_at = timezone.now()
    scheme.published_by = by
    scheme.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    changelog_record(
        action=ChangeAction.PUBLISH, by=by, obj=scheme, before={"status": "draft"}, after={"status": "published"}
    )
    return scheme


@transaction.atomic
def scheme_return(*, scheme: Scheme, reason: str, by: User) -> Scheme:
    """Return a published scheme to draft for revision (退回修改), with the reason logged. Figures entered stay;
    until it is published again townships cannot report and its boards say it is being revised."""
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if not scheme.is_published:
        raise ApplicationError(f"{scheme.year}年考核方案不是已发布状态，无需退回。")
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    scheme.status = SchemeStatus.DRAFT
    scheme.save(update_fields=["status", "updated_at"])
    changelog_record(
        action=ChangeAction.RETURN, by=by, obj=scheme, before={"status": "published"}, after={"status": "draft"},
        reason=reason.strip(),
    )  # fmt: skip
    return scheme


# --- 四眼原则: whoever proposes does not approve -----------------------------------------------------------------

FOUR_EYES = (
    "四眼原则：该{what}由您本人提出，须由另一位有审批权限的人员审批。"
    "考核办只有一人时，可在考核方案页关闭四眼原则（关闭后本人审批逐条记入审计日志）。"
)
SELF_APPROVED = "（四眼原则已关闭：提出人本人审批）"
FOUR_EYES_REASON = "关闭四眼原则须填写原因。"


def four_eyes(*, scheme: Scheme, proposer_id: int | None, by: User, what: str) -> str:
    """Refuse a decision by the proposer while the scheme keeps four-eyes on; with it off, answer the note the
    decision's change-log row carries ('' when someone else decides)."""
    if proposer_id is None or proposer_id != by.pk:
        return ""
    if scheme.four_eyes:
        raise ApplicationError(FOUR_EYES.format(what=what))
    return SELF_APPROVED


@transaction.atomic
def scheme_four_eyes_set(*, scheme: Scheme, on: bool, by: User | None, reason: str = "") -> Scheme:
    """Switch four-eyes on or off for the year, in any state of the scheme: it governs who decides, not how
    figures score. Switching it off needs a reason, which the change log keeps with who did it."""
    current = Scheme.objects.select_for_update().get(pk=scheme.pk).four_eyes
    scheme.four_eyes = current  # the caller's object follows the row, whatever it held
    if current == on:
        return scheme
    if not on and not reason.strip():
        raise ValidationError({"reason": FOUR_EYES_REASON})
    scheme.four_eyes = on
    scheme.save(update_fields=["four_eyes", "updated_at"])
    changelog_record(
        action=ChangeAction.UPDATE, by=by, obj=scheme, before={"four_eyes": not on}, after={"four_eyes": on},
        reason=reason.strip(),
    )  # fmt: skip
    return scheme


@engine_checked
@transaction.atomic
def target_adjustment_request(
    *,
    target: Target,
    effective_month: int,
    new_amount: Decimal,
    reason: str,
    by: User,
    new_stages: Mapping[Any, Any] | None = None,
    evidence: UploadedFile | None = None,
) -> TargetAdjustment:
    """Ask to change a published target from a given month on (任务调整), with reason and evidence."""
    scheme = target.indicator.scheme
    if not scheme.is_published:
        raise ApplicationError(SCHEME_NOT_PUBLISHED.format(year=scheme.year))
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if not 1 <= effective_month <= 12:
        raise ValidationError({"effective_month": "生效月份须在1到12之间。"})
    stages = new_stages if new_stages is not None else target.stages
    clean = _clean_target(target.indicator, new_amount, target.stretch, stages)
    adjustment = TargetAdjustment(
        target=target, effective_month=effective_month, old_amount=target.amount, new_amount=new_amount,
        old_stages=target.stages, new_stages=clean, reason=reason.strip(), requested_by=by,
    )  # fmt: skip
    if evidence is not None:
        adjustment.evidence = evidence
    adjustment.full_clean()
    adjustment.save()
    with trial():  # the target as it would be if this adjustment were approved, rolled back after the check
        TargetAdjustment.objects.filter(pk=adjustment.pk).update(
            status=RequestStatus.APPROVED, decided_at=timezone.now()
        )
        refused = refusal(scheme, units=[target.unit_id])
    if refused:
        raise ValidationError({"new_amount": f"引擎校验未通过，未提交：{refused}"})
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=adjustment, object_repr=f"任务调整：{target}",
        before={"amount": str(target.amount)}, after={"amount": str(new_amount), "effective_month": effective_month},
        reason=reason,
    )  # fmt: skip
    return adjustment


@engine_checked
@transaction.atomic
def target_adjustment_decide(*, adjustment: TargetAdjustment, approve: bool, by: User, note: str = "") -> Target:
    """Approve (the target changes from the named month on) or reject an adjustment request."""
    adjustment = TargetAdjustment.objects.select_for_update().select_related("target").get(pk=adjustment.pk)
    if adjustment.status != RequestStatus.PENDING:
        raise ApplicationError(ADJUSTMENT_DECIDED)
    if not approve and not note.strip():
        raise ValidationError({"decision_note": "驳回须填写意见。"})
    scheme = adjustment.target.indicator.scheme
    self_note = four_eyes(scheme=scheme, proposer_id=adjustment.requested_by_id, by=by, what="任务调整")
    target = Target.objects.select_for_update().get(pk=adjustment.target_id)
    adjustment.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    adjustment.decided_by, adjustment.decided_at, adjustment.decision_note = by, timezone.now(), note.strip()
    adjustment.save()
    if approve:
        before = snapshot(target, ("amount", "stages"))
        # The adjustment may be stale if another was approved meanwhile: apply its new value, keep its history.
        target.amount, target.stages = adjustment.new_amount, adjustment.new_stages
        target.version += 1
        target.save(update_fields=["amount", "stages", "version", "updated_at"])
        changelog_record(
            action=ChangeAction.APPROVE, by=by, obj=target, before=before, after=snapshot(target, ("amount", "stages")),
            reason=f"任务调整（{adjustment.effective_month}月起）：{adjustment.reason}{self_note}",
        )  # fmt: skip
        touch(scheme, units=[target.unit_id])
    else:
        changelog_record(action=ChangeAction.RETURN, by=by, obj=adjustment, reason=note + self_note)
    return target


@engine_checked
@transaction.atomic
def item_type_create(*, scheme: Scheme, by: User | None, reason: str = "", **fields: Any) -> ItemType:
    _ensure_draft(scheme)
    item = ItemType(scheme=scheme, **fields)
    if item.kind == ItemKind.VETO and not item.veto_effect:
        raise ValidationError({"veto_effect": "一票否决项须指定否决后果。"})
    item.full_clean()
    item.save()
    _log_create(item, ("kind", "code", "name", "points", "cap", "veto_effect"), by, reason)
    touch(scheme)
    return item


ITEM_TYPE_FIELDS = ("kind", "code", "name", "points", "cap", "veto_effect", "owner", "from_timeliness")


@engine_checked
@transaction.atomic
def item_type_update(*, item_type: ItemType, data: Mapping[str, Any], by: User | None, reason: str = "") -> ItemType:
    """Change a bonus, deduction or veto item of a draft scheme; items already recorded under it keep counting."""
    _ensure_draft(item_type.scheme)
    merged = {**{k: getattr(item_type, k) for k in ITEM_TYPE_FIELDS}, **data}
    if merged["kind"] == ItemKind.VETO and not merged["veto_effect"]:
        raise ValidationError({"veto_effect": "一票否决项须指定否决后果。"})
    if _update(item_type, data, by, reason):
        touch(item_type.scheme)
    return item_type


@engine_checked
@transaction.atomic
def item_type_delete(*, item_type: ItemType, by: User, reason: str = "") -> None:
    """Delete a bonus, deduction or veto item of a draft scheme; one with records is refused."""
    _ensure_draft(item_type.scheme)
    records = item_type.records.count()
    if records:
        raise ApplicationError(f"加扣分项“{item_type.name}”已有 {records} 条记录，不能删除。")
    changelog_record(action=ChangeAction.DELETE, by=by, obj=item_type,
                     before=snapshot(item_type, ITEM_TYPE_FIELDS), reason=reason)  # fmt: skip
    scheme = item_type.scheme
    item_type.delete()
    touch(scheme)


@engine_checked
@transaction.atomic
def item_record_propose(
    *,
    item_type: ItemType,
    unit: Unit,
    month: int,
    reason: str,
    by: User,
    points: Decimal | None = None,
    evidence: UploadedFile | None = None,
) -> ItemRecord:
    """A department proposes a bonus, deduction or veto for a unit; it counts once the admin approves."""
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    value = points if points is not None else (item_type.points or Decimal(0))
    record = ItemRecord(item_type=item_type, unit=unit, month=month, points=value, reason=reason, proposed_by=by)
    if evidence is not None:
        record.evidence = evidence
    record.full_clean()
    record.save()
    with trial():  # the unit's items as they would be if this one were approved, rolled back after the check
        ItemRecord.objects.filter(pk=record.pk).update(status=RequestStatus.APPROVED)
        refused = refusal(item_type.scheme, units=[unit.pk])
    if refused:
        raise ValidationError({"points": f"引擎校验未通过，未提交：{refused}"})
    _log_create(record, ("item_type", "unit", "month", "points", "reason"), by)
    return record


@engine_checked
@transaction.atomic
def item_record_decide(*, record: ItemRecord, approve: bool, by: User, note: str = "") -> ItemRecord:
    record = ItemRecord.objects.select_for_update().select_related("item_type__scheme").get(pk=record.pk)
    if record.status != RequestStatus.PENDING:
        raise ApplicationError("该加扣分记录已处理。")
    what = "一票否决" if record.item_type.kind == ItemKind.VETO else "加扣分"
    self_note = four_eyes(scheme=record.item_type.scheme, proposer_id=record.proposed_by_id, by=by, what=what)
    record.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    record.decided_by, record.decided_at = by, timezone.now()
    record.save()
    changelog_record(
        action=ChangeAction.APPROVE if approve else ChangeAction.RETURN, by=by, obj=record, reason=note + self_note,
        after={"status": record.status},
    )  # fmt: skip
    if approve:
        touch(record.item_type.scheme, units=[record.unit_id])
    return record


# --- a new year from the last ------------------------------------------------------------------------------------

VOLUME = (IndicatorKind.CUMULATIVE, IndicatorKind.COUNT, IndicatorKind.ANNUAL)
APPROVED = "approved"  # collection's SubmissionStatus.APPROVED: last year's actuals are the reviewed figures
YEAR_TAKEN = "{year}年已有考核方案，不能复制到该年度。"
SCENARIO_NOT_PUBLISHED = "模拟方案只用于测算，不能发布；要采用其中的修改，请在正式方案中照此修改后发布。"
GROWTH_NOT_VOLUME = "指标“{name}”是{kind}指标，目标按上年原值复制，不能按增长率计算。"


@dataclass(frozen=True)
class SchemeCopy:
    """What `scheme_copy` made: the new draft, and how its targets were set."""

    scheme: Scheme
    computed: int  # targets set as last year's actual × (1 + g)
    copied: int  # targets copied as they were
    missing: tuple[str, ...]  # "乡镇 · 指标" with a growth rate but no approved 12月 figure last year: no target


def _copy_structure(source: Scheme, scheme: Scheme, by: User | None) -> dict[int, Indicator]:
    """Copy the scheme's settings, categories, indicators (rule, weights per group, plan) and item types into
    `scheme`; returns the copied indicators by the source indicator's id."""
    scheme_update(scheme=scheme, data={k: getattr(source, k) for k in SCHEME_SETTINGS if k != "name"}, by=by)
    if not source.four_eyes:  # a one-person office stays one person next year; the copy logs it again
        scheme_four_eyes_set(scheme=scheme, on=False, by=by, reason=f"沿用{source.label}的设置：四眼原则关闭")
    categories = {
        c.pk: category_create(scheme=scheme, code=c.code, name=c.name, sort_order=c.sort_order, by=by)
        for c in source.categories.all()
    }
    old_indicators = list(source.indicators.select_related("category", "part_of").prefetch_related("group_weights"))
    made: dict[int, Indicator] = {}
    # Each indicator after the total it is part of, so the copy's part_of can name the copied total.
    for old in parents_first(old_indicators, key=lambda i: i.pk, parent=lambda i: i.part_of_id):
        fields = {f: getattr(old, f) for f in INDICATOR_FIELDS if f not in ("category", "part_of")}
        new = indicator_create(
            scheme=scheme, by=by, category=categories[old.category_id], sort_order=old.sort_order,
            part_of=made[old.part_of_id] if old.part_of_id else None, **fields,
        )  # fmt: skip
        for gw in old.group_weights.all():
            group_weight_set(indicator=new, group_id=gw.group_id, weight=gw.weight, by=by)
        made[old.pk] = new
    for item in source.item_types.all():
        item_type_create(scheme=scheme, by=by, **{f: getattr(item, f) for f in ITEM_TYPE_FIELDS})
    return made


def _adjustment_copy(a: TargetAdjustment, target: Target) -> TargetAdjustment:
    return TargetAdjustment(
        target=target, effective_month=a.effective_month, old_amount=a.old_amount, new_amount=a.new_amount,
        old_stages=a.old_stages, new_stages=a.new_stages, reason=a.reason, status=a.status,
        requested_by_id=a.requested_by_id, decided_by_id=a.decided_by_id, decided_at=a.decided_at,
        decision_note=a.decision_note,
    )  # fmt: skip


@engine_checked
@transaction.atomic
def scenario_create(*, source: Scheme, name: str, by: User) -> Scheme:
    """A scenario (模拟方案) of the year beside its official scheme, copied from it (or from another scenario, to
    try a variant): every setting, indicator, weight, item type and target, the targets with their approved
    adjustments, so that until a rule, weight or target is edited the scenario scores every past month exactly as
    its source does."""
    scheme = scheme_create(year=source.year, name=source.name, grade_rule=source.grade_rule, scenario=name, by=by)
    made = _copy_structure(source, scheme, by)
    old = list(Target.objects.filter(indicator__scheme=source).select_related("unit").prefetch_related("adjustments"))
    new = Target.objects.bulk_create(
        Target(indicator=made[t.indicator_id], unit_id=t.unit_id, amount=t.amount, stretch=t.stretch, stages=t.stages)
        for t in old
    )
    # The history as the source decided it, so past months keep the target that was in force then.
    histories = [[a for a in t.adjustments.all() if a.status == RequestStatus.APPROVED] for t in old]
    TargetAdjustment.objects.bulk_create(_adjustment_copy(a, n) for n, h in zip(new, histories, strict=True) for a in h)
    log = ChangeLogBatch(by, f"建立模拟方案“{scheme.scenario}”")
    for target, was, history in zip(new, old, histories, strict=True):
        after = snapshot(target, ("amount", "stretch", "stages")) | {
            "adjustments": [{"month": a.effective_month, "amount": str(a.new_amount)} for a in history]
        }
        log.add(ChangeAction.CREATE, "schemes.target", str(target.pk), f"{was.unit} · {target.indicator}", None, after)
    log.save()
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=scheme, object_repr=f"由{source.label}建立模拟方案",
        after={"from": source.pk, "scenario": scheme.scenario, "targets": len(new)},
    )  # fmt: skip
    touch(scheme)
    return scheme


def _copy_name(source: Scheme, year: int) -> str:
    old = str(source.year)
    return source.name.replace(old, str(year)) if old in source.name else f"{year}年度{source.name}"


def year_end_actuals(scheme: Scheme) -> dict[tuple[int, int], Decimal]:
    """(unit id, indicator id) → the approved 1–12月 figure of the year: what last year actually achieved."""
    rows = Indicator.objects.filter(
        scheme=scheme, values__submission__month=12, values__submission__status=APPROVED
    ).values_list("values__submission__unit_id", "pk", "values__amount")
    return {(unit, indicator): amount for unit, indicator, amount in rows}


@engine_checked
@transaction.atomic
def scheme_copy(
    *,
    source: Scheme,
    year: int,
    by: User,
    growth: Mapping[str, Decimal] | None = None,
    targets: bool = True,
    name: str = "",
) -> SchemeCopy:
    """A new draft scheme for `year` from `source`: every category, indicator (rule, weights per group, plan),
    item type and the grade rule. With `targets`, each unit still assessed in `year` gets its targets: a volume
    indicator with a growth rate g (in %, by indicator code) gets last year's actual × (1 + g/100), rounded half
    up to the indicator's decimals; every other indicator gets last year's target (stretch and stages too)."""
    growth = dict(growth or {})
    if Scheme.objects.official().filter(year=year).exists():
        raise ApplicationError(YEAR_TAKEN.format(year=year))
    old_indicators = list(source.indicators.select_related("category", "part_of").prefetch_related("group_weights"))
    by_code = {i.code: i for i in old_indicators}
    for code in growth:
        ind = by_code.get(code)
        if ind is None:
            raise ValidationError({"growth": f"{source.year}年考核方案中没有编码为“{code}”的指标。"})
        if ind.kind not in VOLUME:
            raise ValidationError({"growth": GROWTH_NOT_VOLUME.format(name=ind.name, kind=ind.get_kind_display())})
    scheme = scheme_create(
        year=year, name=name.strip() or _copy_name(source, year), grade_rule=source.grade_rule, by=by
    )
    made = _copy_structure(source, scheme, by)
    computed = copied = 0
    missing: list[str] = []
    if targets:
        actuals = year_end_actuals(source) if growth else {}
        assessed = {u.pk: u for u in Unit.objects.assessed(year)}
        for target in Target.objects.filter(indicator__scheme=source).select_related("indicator", "unit"):
            unit, old = assessed.get(target.unit_id), target.indicator
            if unit is None or old.is_derived:
                continue
            new = made[old.pk]
            if old.code in growth:
                actual = actuals.get((unit.pk, old.pk))
                if actual is None or actual <= 0:
                    missing.append(f"{unit.name} · {old.name}")
                    continue
                step = Decimal(1).scaleb(-old.decimal_places)
                amount = (actual * (1 + growth[old.code] / 100)).quantize(step, rounding=ROUND_HALF_UP)
                target_set(indicator=new, unit=unit, amount=amount, by=by)
                computed += 1
            else:
                target_set(
                    indicator=new, unit=unit, amount=target.amount, stretch=target.stretch, stages=target.stages, by=by
                )
                copied += 1
    changelog_record(
        action=ChangeAction.CREATE, by=by, obj=scheme, object_repr=f"由{source.year}年考核方案复制",
        after={"from": source.year, "growth": {k: str(v) for k, v in growth.items()}, "computed": computed,
               "copied": copied, "missing": len(missing)},
    )  # fmt: skip
    return SchemeCopy(scheme, computed, copied, tuple(missing))
