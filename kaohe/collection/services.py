"""The review workflow: draft → submitted → approved (locked) / returned → corrected → resubmitted.

Only the data owner (the township for self-reported figures, the department for its own) edits figures;
a reviewer approves or returns with a reason and never edits. Saves carry the version they were based
on, so a stale form changes nothing ("已被他人修改，请刷新"). Every change is in the change log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kaohe.assessment.checks import engine_checked, touch
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.services import ChangeLogBatch, changelog_record
from kaohe.org.models import Department, Unit
from kaohe.schemes.choices import DataSource, Frequency, IndicatorKind
from kaohe.schemes.models import AMOUNT_PLACES, Indicator, Scheme, Target
from kaohe.schemes.services import four_eyes
from kaohe.scoring import needs_target, period_label, rule_from_dict

from .choices import EDITABLE, SubmissionStatus
from .models import Submission, Value
from .quality import Entry, Issue, check_entries

if TYPE_CHECKING:
    from django.core.files import File

    from kaohe.accounts.models import User

STORED = Decimal(1).scaleb(-AMOUNT_PLACES)
STALE = "已被他人修改，请刷新页面后重新填写。"
LOCKED = "本期数据{status}，不能修改。"
NOT_OWNER = "只有数据责任单位可以填报或提交本期数据。"
NOT_REVIEWER = "只有区审核员或区考核办可以审核。"
NOT_UNLOCKER = "只有区考核办可以解锁已审核的数据。"
UNLOCK_PENDING = "本期数据已有解锁申请，等待审批。"
NO_UNLOCK_REQUEST = "本期数据没有待审批的解锁申请。"
NOT_UNLOCK_ASKER = "只有数据责任单位或区考核办可以申请解锁。"
NOT_SUBMITTED = "只能审核已提交的数据（当前状态：{status}）。"
REASON_REQUIRED = "请填写{what}原因。"
NOT_PUBLISHED = "{year}年考核方案尚未发布，暂不能填报。"
BLOCKED = "数据未通过校验，不能提交：{problems}"
NOT_APPROVED = "只有已审核的数据需要解锁（当前状态：{status}）。"
OWN_REPORT = "不能审核自己提交的数据。"
REVIEW_STALE = "您核对之后，数据已被修改或重新提交，请重新打开核对。"


class StaleVersion(ApplicationError):
    """The form was based on an older version of the submission."""


@dataclass(frozen=True, slots=True)
class Change:
    amount: Decimal | None
    is_revision: bool = False
    note: str = ""
    evidence: File[bytes] | None = None


def owner_indicators(submission: Submission) -> list[Indicator]:
    """The indicators this submission carries: the township's self-reported ones, or one department's.

    Left out: quarterly indicators off-quarter, annual ones before December, and indicators that need
    a target where this township has none (无任务).
    """
    rows = Indicator.objects.filter(scheme=submission.scheme).select_related("part_of", "owner")
    if submission.owner_id is None:
        rows = rows.filter(source=DataSource.SELF_REPORTED)
    else:
        rows = rows.filter(owner_id=submission.owner_id).exclude(source=DataSource.SELF_REPORTED)
    with_target = set(Target.objects.filter(unit_id=submission.unit_id).values_list("indicator_id", flat=True))
    return [ind for ind in rows.order_by("sort_order", "code") if carries(ind, submission.month, ind.pk in with_target)]


def carries(indicator: Indicator, month: int, has_target: bool) -> bool:
    """Whether a township's report of `month` asks for this indicator (see `owner_indicators`)."""
    if indicator.is_derived or not evaluated_in(indicator, month):
        return False
    return has_target or not indicator_needs_target(indicator)


def evaluated_in(indicator: Indicator, month: int) -> bool:
    """Quarterly indicators report at months 3, 6, 9, 12; annual ones at 12 only."""
    if indicator.frequency == Frequency.QUARTERLY:
        return month % 3 == 0
    if indicator.frequency == Frequency.ANNUAL or indicator.kind == IndicatorKind.ANNUAL:
        return month == 12
    return True


def indicator_needs_target(indicator: Indicator) -> bool:
    return needs_target(rule_from_dict(indicator.rule)) if indicator.rule is not None else False


def may_edit(user: User, submission: Submission) -> bool:
    """The data owner: a user who enters data, scoped to the township for its self-reports, or to the department
    whose data it is."""
    if not user.has_kaohe_perm("data.enter"):
        return False
    if submission.owner_id is None:
        return user.unit_id is not None and user.unit_id == submission.unit_id
    return user.department_id is not None and user.department_id == submission.owner_id


def may_review(user: User) -> bool:
    return user.has_kaohe_perm("data.review")


def may_unlock(user: User) -> bool:
    return user.has_kaohe_perm("data.unlock")


@transaction.atomic
def submission_open(*, scheme: Scheme, unit: Unit, month: int, owner: Department | None) -> Submission:
    """The submission for (unit, month, owner), created empty on first use."""
    if not scheme.is_published:
        raise ApplicationError(NOT_PUBLISHED.format(year=scheme.year))
    if not 1 <= month <= 12:
        raise ApplicationError("月份须在1到12之间。")
    if not unit.is_active_in(scheme.year):
        raise ApplicationError(f"{unit.name}自{unit.inactive_from}年起已停用，不再填报。")
    submission, _ = Submission.objects.get_or_create(scheme=scheme, unit=unit, month=month, owner=owner)
    return submission


def _lock(submission: Submission, expected_version: int | None) -> Submission:
    # of=("self",): PostgreSQL cannot lock the nullable side (owner) of the outer join.
    rows = Submission.objects.select_for_update(of=("self",)).select_related("scheme", "unit", "owner")
    locked = rows.get(pk=submission.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(STALE)
    return locked


@engine_checked
@transaction.atomic
def values_save(
    *,
    submission: Submission,
    changes: Mapping[str, Change],
    by: User,
    expected_version: int | None,
    reason: str = "",
) -> Submission:
    """Save figures (by indicator code) into an editable submission; one version step, one log row each."""
    if not may_edit(by, submission):
        raise ApplicationError(NOT_OWNER)
    locked = _lock(submission, expected_version)
    if locked.status not in EDITABLE:
        raise ApplicationError(LOCKED.format(status=locked.get_status_display()))
    indicators = {i.code: i for i in owner_indicators(locked)}
    unknown = sorted(set(changes) - set(indicators))
    if unknown:
        raise ApplicationError(f"本表不包含指标：{'、'.join(unknown)}。")
    existing = {v.indicator.code: v for v in locked.values.select_related("indicator")}
    changed = 0
    for code, change in changes.items():
        current = existing.get(code)
        if change.amount is None:
            if current is not None:
                changelog_record(
                    action=ChangeAction.DELETE, by=by, obj=current, before={"amount": current.amount}, reason=reason
                )
                current.delete()
                changed += 1
            continue
        before = _value_state(current) if current else None
        value = current or Value(submission=locked, indicator=indicators[code], entered_by=by)
        value.amount, value.is_revision, value.note = change.amount, change.is_revision, change.note.strip()
        if change.evidence is not None:
            value.evidence = change.evidence
        after = _value_state(value)
        if before == after and change.evidence is None:
            continue
        value.entered_by = by
        value.full_clean(exclude=["submission"])
        value.save()
        changelog_record(
            action=ChangeAction.UPDATE if before else ChangeAction.CREATE, by=by, obj=value,
            object_repr=f"{locked.unit} {indicators[code].name} {period_label(locked.month)}",
            before=before, after=after, reason=reason,
        )  # fmt: skip
        changed += 1
    if changed:
        Submission.objects.filter(pk=locked.pk).update(version=F("version") + 1, updated_at=timezone.now())
        locked.refresh_from_db()
        touch(locked.scheme, units=[locked.unit_id])
    return locked


def _value_state(value: Value) -> dict[str, object]:
    # Quantised to the stored precision, so "1.5" typed again over a stored 1.5000 is no change.
    return {
        "amount": str(Decimal(value.amount).quantize(STORED)),
        "is_revision": value.is_revision,
        "note": value.note,
        "evidence": value.evidence.name if value.evidence else "",
    }


def submission_check(submission: Submission) -> list[Issue]:
    """The data-quality problems of the submission as saved."""
    indicators = owner_indicators(submission)
    entries = {
        v.indicator.code: Entry(v.amount, v.is_revision, v.note, bool(v.evidence))
        for v in submission.values.select_related("indicator")
    }
    return check_entries(
        scheme=submission.scheme, unit=submission.unit, month=submission.month, indicators=indicators, entries=entries
    )


@transaction.atomic
def submission_submit(*, submission: Submission, by: User, expected_version: int | None = None) -> Submission:
    """Hand the figures in for review, once they pass every blocking check."""
    if not may_edit(by, submission):
        raise ApplicationError(NOT_OWNER)
    locked = _lock(submission, expected_version)
    if locked.status not in EDITABLE:
        raise ApplicationError(LOCKED.format(status=locked.get_status_display()))
    blocking = [i for i in submission_check(locked) if i.blocking]
    if blocking:
        raise ApplicationError(
            BLOCKED.format(problems="；".join(i.message.rstrip("。") for i in blocking)), extra={"issues": blocking}
        )
    return _transition(locked, SubmissionStatus.SUBMITTED, by, ChangeAction.SUBMIT, "")


def _to_review(submission: Submission, by: User, expected_version: int | None) -> Submission:
    """The submission locked for a decision: handed in, by someone else, and (with `expected_version`) as the
    reviewer saw it: figures resubmitted since the queue was shown are not approved unseen."""
    if not may_review(by):
        raise ApplicationError(NOT_REVIEWER)
    try:
        locked = _lock(submission, expected_version)
    except StaleVersion:
        raise StaleVersion(REVIEW_STALE) from None
    if locked.status != SubmissionStatus.SUBMITTED:
        raise ApplicationError(NOT_SUBMITTED.format(status=locked.get_status_display()))
    if locked.submitted_by_id == by.pk:  # whoever proposes never approves
        raise ApplicationError(OWN_REPORT)
    return locked


@transaction.atomic
def submission_approve(*, submission: Submission, by: User, expected_version: int | None = None) -> Submission:
    """Accept and lock the figures: from now on they change only through an unlock."""
    locked = _to_review(submission, by, expected_version)
    return _transition(locked, SubmissionStatus.APPROVED, by, ChangeAction.APPROVE, "")


@transaction.atomic
def submission_return(
    *, submission: Submission, reason: str, by: User, expected_version: int | None = None
) -> Submission:
    """Send the figures back to their owner with the reason; the reviewer never edits them."""
    if not reason.strip():
        raise ApplicationError(REASON_REQUIRED.format(what="退回"))
    locked = _to_review(submission, by, expected_version)
    return _transition(locked, SubmissionStatus.RETURNED, by, ChangeAction.RETURN, reason.strip())


@dataclass(frozen=True, slots=True)
class Decision:
    """One submission of a batch, at the version the reviewer confirmed, and its 退回 reason."""

    submission: Submission
    version: int
    reason: str = ""


@dataclass(frozen=True)
class BatchOutcome:
    done: list[Submission]
    refused: list[tuple[Submission, str]]  # each with the reason it was not decided


def submissions_decide(*, decisions: Sequence[Decision], approve: bool, by: User) -> BatchOutcome:
    """Approve (or return) several submissions at once, each on its own: the four-eyes rule and the version
    lock hold for each, one refused (changed since the reviewer confirmed, no longer submitted) leaves the
    others decided, and the outcome names every refusal and why."""
    done: list[Submission] = []
    refused: list[tuple[Submission, str]] = []
    for d in decisions:
        try:
            if approve:
                done.append(submission_approve(submission=d.submission, by=by, expected_version=d.version))
            else:
                done.append(
                    submission_return(submission=d.submission, reason=d.reason, by=by, expected_version=d.version)
                )
        except ApplicationError as exc:
            refused.append((d.submission, exc.message))
    return BatchOutcome(done, refused)


@transaction.atomic
def submission_unlock_request(*, submission: Submission, reason: str, by: User) -> Submission:
    """解锁申请: the data owner (or the 考核办 itself) asks, with a reason, to reopen approved figures. Nothing
    changes until someone with data.unlock approves (`submission_unlock`)."""
    if not (may_edit(by, submission) or may_unlock(by)):
        raise ApplicationError(NOT_UNLOCK_ASKER)
    if not reason.strip():
        raise ApplicationError(REASON_REQUIRED.format(what="解锁"))
    locked = _lock(submission, None)
    if locked.status != SubmissionStatus.APPROVED:
        raise ApplicationError(NOT_APPROVED.format(status=locked.get_status_display()))
    if locked.unlock_requested_by_id is not None:
        raise ApplicationError(UNLOCK_PENDING)
    locked.unlock_requested_by, locked.unlock_requested_at = by, timezone.now()
    locked.unlock_reason = reason.strip()
    locked.save(update_fields=["unlock_requested_by", "unlock_requested_at", "unlock_reason", "updated_at"])
    changelog_record(action=ChangeAction.UNLOCK_REQUEST, by=by, obj=locked, after={"status": locked.status},
                     reason=locked.unlock_reason)  # fmt: skip
    return locked


@transaction.atomic
def submission_unlock(*, submission: Submission, by: User, reason: str = "", note: str = "") -> Submission:
    """Reopen approved figures for correction: approve the pending 解锁申请, or, with none pending, unlock on the
    office's own initiative with a reason. Either way 四眼原则 holds: the one who asked does not approve, so an own
    initiative is refused while the scheme keeps the rule on (then file a request for a colleague)."""
    if not may_unlock(by):
        raise ApplicationError(NOT_UNLOCKER)
    locked = _lock(submission, None)
    if locked.status != SubmissionStatus.APPROVED:
        raise ApplicationError(NOT_APPROVED.format(status=locked.get_status_display()))
    if locked.unlock_requested_by_id is None:
        if not reason.strip():
            raise ApplicationError(REASON_REQUIRED.format(what="解锁"))
        asker_id, why = by.pk, reason.strip()
    else:
        asker_id, why = locked.unlock_requested_by_id, locked.unlock_reason
    self_note = four_eyes(scheme=locked.scheme, proposer_id=asker_id, by=by, what="解锁")
    _clear_unlock_request(locked)
    extra = f"（审批意见：{note.strip()}）" if note.strip() else ""
    return _transition(locked, SubmissionStatus.RETURNED, by, ChangeAction.UNLOCK, f"解锁：{why}{extra}{self_note}")


@transaction.atomic
def submission_unlock_reject(*, submission: Submission, by: User, note: str) -> Submission:
    """Refuse a pending 解锁申请 with a note; the figures stay approved and locked."""
    if not may_unlock(by):
        raise ApplicationError(NOT_UNLOCKER)
    if not note.strip():
        raise ApplicationError(REASON_REQUIRED.format(what="驳回"))
    locked = _lock(submission, None)
    if locked.unlock_requested_by_id is None:
        raise ApplicationError(NO_UNLOCK_REQUEST)
    self_note = four_eyes(scheme=locked.scheme, proposer_id=locked.unlock_requested_by_id, by=by, what="解锁")
    before = {"unlock_reason": locked.unlock_reason}
    _clear_unlock_request(locked)
    locked.save(update_fields=["unlock_requested_by", "unlock_requested_at", "unlock_reason", "updated_at"])
    changelog_record(action=ChangeAction.RETURN, by=by, obj=locked, before=before,
                     reason=f"驳回解锁申请：{note.strip()}{self_note}")  # fmt: skip
    return locked


def _clear_unlock_request(submission: Submission) -> None:
    submission.unlock_requested_by, submission.unlock_requested_at, submission.unlock_reason = None, None, ""


def _transition(submission: Submission, status: str, by: User, action: str, reason: str) -> Submission:
    before = {"status": submission.status, "version": submission.version}
    now = timezone.now()
    submission.status = status
    submission.version += 1
    if status == SubmissionStatus.SUBMITTED:
        submission.submitted_by, submission.submitted_at = by, now
        submission.first_submitted_at = submission.first_submitted_at or now
        submission.return_reason = ""
    elif status in (SubmissionStatus.APPROVED, SubmissionStatus.RETURNED):
        submission.reviewed_by, submission.reviewed_at = by, now
        submission.return_reason = reason if status == SubmissionStatus.RETURNED else ""
    submission.save()
    changelog_record(
        action=action, by=by, obj=submission, before=before,
        after={"status": submission.status, "version": submission.version}, reason=reason,
    )  # fmt: skip
    return submission


@dataclass(frozen=True, slots=True)
class HistoryRow:
    unit: Unit
    indicator: Indicator
    month: int
    amount: Decimal
    first_submitted_at: datetime | None = None


@engine_checked
@transaction.atomic
def history_import(*, scheme: Scheme, rows: list[HistoryRow], by: User, reason: str) -> int:
    """Take over already-approved figures of past months (e.g. from last year's spreadsheets).

    Districts start using Kaohe mid-stream: the months already reviewed on paper come in as approved
    submissions, each with one change-log row listing every figure it brought, so the history is
    complete. Months that already have a submission are refused: history never overwrites live data.
    """
    if not by.has_kaohe_perm("scheme.manage"):
        raise ApplicationError("只有区考核办可以导入历史数据。")
    if not reason.strip():
        raise ApplicationError(REASON_REQUIRED.format(what="导入"))
    grouped: dict[tuple[int, int, int | None], list[HistoryRow]] = {}
    for row in rows:
        owner_id = None if row.indicator.source == DataSource.SELF_REPORTED else row.indicator.owner_id
        grouped.setdefault((row.unit.pk, row.month, owner_id), []).append(row)
    clash = Submission.objects.filter(scheme=scheme, month__in={k[1] for k in grouped}).values_list(
        "unit_id", "month", "owner_id"
    )
    taken = set(clash) & set(grouped)
    if taken:
        raise ApplicationError(f"有 {len(taken)} 份报送已存在，历史数据不能覆盖已有数据。")
    now = timezone.now()
    submissions = [
        Submission(
            scheme=scheme, unit_id=unit_id, month=month, owner_id=owner_id, status=SubmissionStatus.APPROVED,
            version=1, submitted_by=by, submitted_at=group[0].first_submitted_at or now,
            first_submitted_at=group[0].first_submitted_at, reviewed_by=by, reviewed_at=now,
        )
        for (unit_id, month, owner_id), group in grouped.items()
    ]  # fmt: skip
    Submission.objects.bulk_create(submissions)
    values = []
    log = ChangeLogBatch(by, reason)
    for submission, group in zip(submissions, grouped.values(), strict=True):
        values += [Value(submission=submission, indicator=r.indicator, amount=r.amount, entered_by=by) for r in group]
        log.add(
            ChangeAction.IMPORT, "collection.submission", str(submission.pk),
            f"历史数据 {group[0].unit} {scheme.year}年{period_label(submission.month)}", None,
            {r.indicator.code: str(r.amount) for r in group},
        )  # fmt: skip
    Value.objects.bulk_create(values, batch_size=2000)
    log.save()
    touch(scheme, units={unit_id for unit_id, _, _ in grouped})
    return len(values)
