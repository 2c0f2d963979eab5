"""Reads of data collection: forms, grids, task lists, the review queue and a submission's history.

Every list goes through `Unit.objects.visible_to(user)`, so a township user never reads another
township's figures; single submissions are reached through `access_submission`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from kaohe.accounts.access import NOT_FOUND
from kaohe.core.models import ChangeLog
from kaohe.org.models import Department, Unit
from kaohe.schemes.choices import DataSource
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.scoring import period_label

from . import services
from .choices import EDITABLE, SubmissionStatus
from .models import Submission, Value
from .quality import Issue
from .timeliness import report_deadline

if TYPE_CHECKING:
    from kaohe.accounts.models import User

MONTHS = range(1, 13)


# --- schemes and periods ---------------------------------------------------------------------------


def published_years() -> list[int]:
    """Years with a published scheme, latest first (only a published scheme can be filled in)."""
    return list(Scheme.objects.published().order_by("-year").values_list("year", flat=True))


def scheme_published(year: int) -> Scheme:
    """The published scheme of the year; 404 for a year without one, like any unknown page."""
    scheme = Scheme.objects.published().filter(year=year).first()
    if scheme is None:
        raise Http404(NOT_FOUND)
    return scheme


def check_month(month: int) -> int:
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    return month


def open_months(year: int, today: dt.date | None = None) -> list[int]:
    """The months that can have figures by now: every month of a past year, up to this month of this one."""
    today = today or timezone.localdate()
    if year < today.year:
        return list(MONTHS)
    if year == today.year:
        return list(range(1, today.month + 1))
    return []


def assessed_township(unit: Unit) -> Unit:
    """Forms exist for assessed townships and streets only; a village or the district has none."""
    if not unit.is_township or not unit.is_assessed:
        raise Http404(NOT_FOUND)
    return unit


def grid_indicator(year: int, code: str) -> Indicator:
    """A department-owned indicator of the year's published scheme (self-reported ones have township forms)."""
    indicator = (
        Indicator.objects.filter(scheme__in=Scheme.objects.published().filter(year=year), code=code)
        .exclude(source=DataSource.SELF_REPORTED)
        .select_related("scheme", "owner", "part_of")
        .first()
    )
    if indicator is None:
        raise Http404(NOT_FOUND)
    return indicator


def value_submission_id(value_id: int) -> int:
    """The submission a value belongs to, so the evidence view can go through `access_submission`."""
    submission_id = Value.objects.filter(pk=value_id).values_list("submission_id", flat=True).first()
    if submission_id is None:
        raise Http404(NOT_FOUND)
    return submission_id


# --- formatting ------------------------------------------------------------------------------------


def amount_text(amount: Decimal | None, places: int = 2) -> str:
    """A figure as the 成绩单 shows it — thousands separators, the indicator's decimals (84,000 at 0, 126.02 at 2)
    — and as the entry forms read it back (`kaohe.core.numbers`). A figure stored with more decimals than the
    indicator now takes shows them all: it is never rounded on the way into a form."""
    if amount is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    if amount == amount.quantize(quantum):
        return f"{amount.quantize(quantum):,f}"
    return f"{amount.normalize():,f}"


# --- the township form and the department grid -----------------------------------------------------


@dataclass
class EntryRow:
    """One indicator of one unit's month as the form shows it."""

    indicator: Indicator
    unit: Unit
    target: Decimal | None
    previous: Decimal | None
    value: Value | None
    issues: list[Issue] = field(default_factory=list)
    submission: Submission | None = None
    # Why the unit is not asked for this figure this month ('' when it is): 无任务, or off-quarter.
    not_due: str = ""

    @property
    def places(self) -> int:
        return self.indicator.decimal_places

    @property
    def target_text(self) -> str:
        return amount_text(self.target, self.places)

    @property
    def previous_text(self) -> str:
        return amount_text(self.previous, self.places)

    @property
    def amount_text(self) -> str:
        return amount_text(self.value.amount if self.value else None, self.places)

    @property
    def has_evidence(self) -> bool:
        return bool(self.value and self.value.evidence)

    @property
    def evidence_name(self) -> str:
        return self.value.evidence.name.rsplit("/", 1)[-1] if self.value and self.value.evidence else ""

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else SubmissionStatus.DRAFT

    @property
    def status_label(self) -> str:
        return self.submission.get_status_display() if self.submission else "未填报"

    @property
    def editable_status(self) -> bool:
        return not self.not_due and (self.submission is None or self.submission.status in EDITABLE)


def submission_find(*, scheme: Scheme, unit: Unit, month: int, owner: Department | None) -> Submission | None:
    """The existing submission, without creating one: reading a form must not write (SECURITY.md IV-3)."""
    return (
        Submission.objects.filter(scheme=scheme, unit=unit, month=month, owner=owner)
        .select_related("scheme", "unit", "owner", "submitted_by", "reviewed_by")
        .first()
    )


def submission_prototype(*, scheme: Scheme, unit: Unit, month: int, owner: Department | None) -> Submission:
    """An unsaved submission standing in for one not opened yet, so permission checks read the same."""
    return Submission(scheme=scheme, unit=unit, month=month, owner=owner, status=SubmissionStatus.DRAFT, version=0)


def _amounts(
    scheme: Scheme, month: int, indicators: list[Indicator], units: list[Unit]
) -> dict[tuple[int, int], Value]:
    rows = Value.objects.filter(
        submission__scheme=scheme, submission__month=month, indicator__in=indicators, submission__unit__in=units
    ).select_related("submission")
    return {(v.submission.unit_id, v.indicator_id): v for v in rows}


def _targets(indicators: list[Indicator], units: list[Unit]) -> dict[tuple[int, int], Decimal]:
    rows = Target.objects.filter(indicator__in=indicators, unit__in=units)
    return {(t.unit_id, t.indicator_id): t.amount for t in rows}


def entry_rows(submission: Submission, *, with_issues: bool) -> list[EntryRow]:
    """The rows of one submission's form: target, last month's figure, this month's, and its problems."""
    indicators = services.owner_indicators(submission)
    unit = submission.unit
    targets = _targets(indicators, [unit])
    previous = _amounts(submission.scheme, submission.month - 1, indicators, [unit]) if submission.month > 1 else {}
    current: dict[int, Value] = {}
    if submission.pk:
        current = {v.indicator_id: v for v in submission.values.all()}
    issues: dict[str, list[Issue]] = {}
    if with_issues and submission.pk:
        for issue in services.submission_check(submission):
            issues.setdefault(issue.indicator, []).append(issue)
    return [
        EntryRow(
            indicator=ind,
            unit=unit,
            target=targets.get((unit.pk, ind.pk)),
            previous=previous[(unit.pk, ind.pk)].amount if (unit.pk, ind.pk) in previous else None,
            value=current.get(ind.pk),
            issues=issues.get(ind.code, []),
            submission=submission if submission.pk else None,
        )
        for ind in indicators
    ]


def submission_issues(submission: Submission) -> list[Issue]:
    """Problems that belong to no single indicator (shown at the top of the form)."""
    if not submission.pk:
        return []
    return [i for i in services.submission_check(submission) if not i.indicator]


def grid_rows(*, user: User, indicator: Indicator, month: int) -> list[EntryRow]:
    """One department indicator for every assessed township the user may see, one row each."""
    scheme = indicator.scheme
    units = list(Unit.objects.visible_to(user).assessed(indicator.scheme.year).order_by("sort_order", "code"))
    submissions = {
        s.unit_id: s
        for s in Submission.objects.filter(scheme=scheme, month=month, owner_id=indicator.owner_id, unit__in=units)
    }
    targets = _targets([indicator], units)
    previous = _amounts(scheme, month - 1, [indicator], units) if month > 1 else {}
    current = _amounts(scheme, month, [indicator], units)
    if indicator.is_derived:
        off_period = "由其他指标计算，无需填报"
    elif not services.evaluated_in(indicator, month):
        off_period = f"{indicator.get_frequency_display()}，本月不填报"
    else:
        off_period = ""
    needs_target = services.indicator_needs_target(indicator)
    return [
        EntryRow(
            indicator=indicator,
            unit=unit,
            target=targets.get((unit.pk, indicator.pk)),
            previous=previous[(unit.pk, indicator.pk)].amount if (unit.pk, indicator.pk) in previous else None,
            value=current.get((unit.pk, indicator.pk)),
            submission=submissions.get(unit.pk),
            not_due=off_period or ("无任务" if needs_target and (unit.pk, indicator.pk) not in targets else ""),
        )
        for unit in units
    ]


@dataclass(frozen=True)
class SheetRow:
    """One township's line of the department sheet: its cell (an EntryRow) for each indicator."""

    unit: Unit
    submission: Submission | None
    cells: list[EntryRow]

    def open_cells(self) -> list[EntryRow]:
        """The cells the owning department may still fill in: due this month, the submission not yet handed in."""
        return [c for c in self.cells if c.editable_status]


def sheet_indicators(year: int, department: str, month: int) -> list[Indicator]:
    """A department's indicators of the year's published scheme that are filled in this month, in scheme order."""
    found = [
        i
        for i in Indicator.objects.filter(
            scheme__in=Scheme.objects.published().filter(year=year), owner__code=department
        )
        .exclude(source=DataSource.SELF_REPORTED)
        .select_related("scheme", "owner", "part_of")
        .order_by("sort_order", "code")
        if not i.is_derived and services.evaluated_in(i, month)
    ]
    if not found:
        raise Http404(NOT_FOUND)
    return found


def sheet_rows(*, user: User, indicators: list[Indicator], month: int) -> list[SheetRow]:
    """The department sheet: every township the user may see × the department's indicators due this month."""
    columns = [grid_rows(user=user, indicator=ind, month=month) for ind in indicators]
    return [
        SheetRow(unit=cells[0].unit, submission=cells[0].submission, cells=list(cells))
        for cells in zip(*columns, strict=True)
    ]


def may_edit_grid(user: User, indicator: Indicator) -> bool:
    """Only the owning department's data officer enters a department indicator."""
    return (
        user.has_kaohe_perm("data.enter")
        and user.department_id is not None
        and user.department_id == indicator.owner_id
    )


def grid_submissions_to_submit(*, user: User, indicator: Indicator, month: int) -> list[Submission]:
    """The department's submissions for the month that hold figures and may still be handed in."""
    units = Unit.objects.visible_to(user).assessed(indicator.scheme.year)
    return list(
        Submission.objects.filter(
            scheme=indicator.scheme, month=month, owner_id=indicator.owner_id, unit__in=units,  # one department
            status__in=list(EDITABLE), values__isnull=False,
        )
        .distinct()
        .select_related("scheme", "unit", "owner")
        .order_by("unit__sort_order", "unit__code")
    )  # fmt: skip


# --- my tasks --------------------------------------------------------------------------------------


@dataclass
class MonthLine:
    month: int
    counts: dict[str, int]
    submission: Submission | None = None
    indicators: list[Indicator] = field(default_factory=list)  # a department's indicators due this month

    @property
    def status_label(self) -> str:
        return self.submission.get_status_display() if self.submission else "未填报"

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else "none"

    @property
    def period(self) -> str:
        return period_label(self.month)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


@dataclass
class Tasks:
    kind: str  # township / department / review / overview
    scheme: Scheme
    months: list[MonthLine]
    unit: Unit | None = None
    indicators: list[Indicator] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    expected: int = 0  # submissions due per month (for "未填报" counts)

    @property
    def latest_month(self) -> int | None:
        return self.months[-1].month if self.months else None

    @property
    def latest_period(self) -> str:
        return self.months[-1].period if self.months else ""


def _counts(scheme: Scheme, query: Q) -> dict[int, Counter[str]]:
    result: dict[int, Counter[str]] = {}
    for month, status in Submission.objects.filter(query, scheme=scheme).values_list("month", "status"):
        result.setdefault(month, Counter())[status] += 1
    return result


def tasks_for(*, user: User, scheme: Scheme) -> Tasks:
    """What the user has to do this year: his forms, his department's grids, or the review queue."""
    months = open_months(scheme.year)
    units = list(Unit.objects.visible_to(user).assessed(scheme.year).order_by("sort_order", "code"))
    if user.is_township_scoped and user.unit is not None:
        own = {s.month: s for s in Submission.objects.filter(scheme=scheme, unit=user.unit, owner__isnull=True)}
        lines = [MonthLine(m, {}, own.get(m)) for m in months]
        return Tasks("township", scheme, lines, unit=user.unit, units=units)
    if user.has_kaohe_perm("data.enter") and user.department_id is not None:
        indicators = [
            i
            for i in Indicator.objects.filter(scheme=scheme, owner_id=user.department_id)
            .exclude(source=DataSource.SELF_REPORTED)
            .order_by("sort_order", "code")
            if not i.is_derived  # scored from other indicators: nothing to enter
        ]
        counts = _counts(scheme, Q(owner_id=user.department_id, unit__in=units))
        lines = [
            MonthLine(m, dict(counts.get(m, {})), indicators=[i for i in indicators if services.evaluated_in(i, m)])
            for m in months
        ]
        return Tasks("department", scheme, lines, indicators=indicators, units=units, expected=len(units))
    counts = _counts(scheme, Q(unit__in=units))
    lines = [MonthLine(m, dict(counts.get(m, {}))) for m in months]
    kind = "review" if services.may_review(user) else "overview"
    return Tasks(kind, scheme, lines, units=units)


# --- the review queue ------------------------------------------------------------------------------


@dataclass
class QueueRow:
    submission: Submission
    warnings: int | None  # None: not checked (approved figures were checked when they were approved)
    blocking: int = 0


def review_queue(*, user: User, scheme: Scheme, month: int) -> dict[str, list[QueueRow]]:
    """Submissions of the month by status: submitted first, then returned, then approved.

    Submitted and returned rows carry their count of data-quality warnings, so the reviewer sees where to
    look first. Approved rows are not re-checked: each check costs several queries, and a month's locked
    figures would make the queue slow for nothing a reviewer can act on (their detail page shows them).
    """
    units = Unit.objects.visible_to(user).assessed(scheme.year)
    queue: dict[str, list[QueueRow]] = {
        SubmissionStatus.SUBMITTED: [],
        SubmissionStatus.RETURNED: [],
        SubmissionStatus.APPROVED: [],
    }
    rows = (
        Submission.objects.filter(scheme=scheme, month=month, unit__in=units, status__in=list(queue))
        .select_related("scheme", "unit", "owner", "submitted_by", "reviewed_by")
        .order_by("unit__sort_order", "unit__code", "owner__sort_order")
    )
    for submission in rows:
        if submission.status == SubmissionStatus.APPROVED:
            queue[submission.status].append(QueueRow(submission, None))
            continue
        issues = services.submission_check(submission)
        blocking = sum(1 for i in issues if i.blocking)
        queue[submission.status].append(QueueRow(submission, len(issues) - blocking, blocking))
    return queue


def now() -> dt.datetime:
    """The review queue's clock: whether a month's deadline has passed (tests freeze it)."""
    return timezone.now()


@dataclass(frozen=True)
class MissingReport:
    """A report the month asks of a township or a department that has not been handed in."""

    unit: Unit
    owner: Department | None  # None: the township's own report (乡镇自报)
    draft: Submission | None  # started and not handed in

    @property
    def owner_label(self) -> str:
        return (self.owner.short_name or self.owner.name) if self.owner else "乡镇自报"


@dataclass(frozen=True)
class Missing:
    deadline: dt.datetime
    passed: bool
    days_late: int  # whole days since the deadline (0 before it)
    reports: list[MissingReport]


def missing_reports(*, user: User, scheme: Scheme, month: int, at: dt.datetime | None = None) -> Missing:
    """The reports of `month` not handed in: for each township the viewer sees, its own report and each
    department's report for it, wherever the month asks for an indicator of theirs (`services.carries`: on its
    months, with a target where the rule needs one), without a submission handed in (none, or a draft). They are
    未报 once the deadline (`report_deadline`) has passed; a report handed in, even returned, is no longer missing.
    A few queries whatever the district's size: the rule of each indicator is read once, not once per township."""
    at = at or now()
    deadline = report_deadline(scheme, month)
    units = list(Unit.objects.visible_to(user).assessed(scheme.year).order_by("sort_order", "code"))
    always: dict[int | None, set[int]] = {}  # owner → indicators asked of every township
    targeted: dict[int | None, set[int]] = {}  # owner → indicators asked where the township has a target
    owners: dict[int, Department] = {}
    for ind in Indicator.objects.filter(scheme=scheme).select_related("owner", "part_of"):
        if not services.carries(ind, month, has_target=True):
            continue
        key = None if ind.source == DataSource.SELF_REPORTED else ind.owner_id
        if key is not None:
            owners[key] = ind.owner
        (always if services.carries(ind, month, has_target=False) else targeted).setdefault(key, set()).add(ind.pk)
    targets: dict[int, set[int]] = {}
    for indicator_id, unit_id in Target.objects.filter(indicator__scheme=scheme).values_list("indicator_id", "unit_id"):
        targets.setdefault(unit_id, set()).add(indicator_id)
    handed: dict[tuple[int, int | None], Submission] = {
        (s.unit_id, s.owner_id): s for s in Submission.objects.filter(scheme=scheme, month=month, unit__in=units)
    }
    keys = sorted(
        always.keys() | targeted.keys(), key=lambda k: (k is not None, owners[k].sort_order if k else 0, k or 0)
    )
    reports = []
    for unit in units:
        own = targets.get(unit.pk, set())
        for key in keys:
            if not (always.get(key) or targeted.get(key, set()) & own):
                continue
            found = handed.get((unit.pk, key))
            if found is None or found.status == SubmissionStatus.DRAFT:
                reports.append(MissingReport(unit, owners.get(key) if key else None, found))
    late = max(0, (timezone.localtime(at).date() - deadline.date()).days)
    return Missing(deadline, deadline < at, late, reports)


def period_context(month: int) -> dict[str, str]:
    """The labels of this month's and last month's cumulative figures, for the templates."""
    return {"period": period_label(month), "previous_period": period_label(month - 1) if month > 1 else ""}


def draft_count(*, user: User, scheme: Scheme, month: int) -> int:
    units = Unit.objects.visible_to(user).assessed(scheme.year)
    return Submission.objects.filter(scheme=scheme, month=month, unit__in=units, status=SubmissionStatus.DRAFT).count()


# --- a submission's history ------------------------------------------------------------------------

FIELD_LABELS = {
    "amount": "数值",
    "is_revision": "统计修订",
    "note": "说明",
    "evidence": "佐证材料",
    "status": "状态",
}

HIDDEN_KEYS = {"version"}


@dataclass
class HistoryChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    log: ChangeLog
    changes: list[HistoryChange]


def _shown(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "amount" or key not in FIELD_LABELS:
        # Figures are logged as exact strings ("1200.5000"); show them as typed, not padded.
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except ArithmeticError:
            return str(value)
    if key == "status":
        return str(SubmissionStatus(value).label) if value in SubmissionStatus.values else str(value)
    if key == "is_revision":
        return "是" if value else "否"
    if key == "evidence":
        return str(value).rsplit("/", 1)[-1]
    return str(value)


def submission_history(submission: Submission) -> list[HistoryEntry]:
    """The change-log rows of the submission and of its current values, oldest first, as before → after."""
    value_ids = [str(pk) for pk in submission.values.values_list("pk", flat=True)]
    logs = ChangeLog.objects.filter(
        Q(object_type="collection.submission", object_id=str(submission.pk))
        | Q(object_type="collection.value", object_id__in=value_ids)
    ).order_by("at", "id")
    entries: list[HistoryEntry] = []
    for log in logs:
        before: dict[str, Any] = log.before if isinstance(log.before, dict) else {}
        after: dict[str, Any] = log.after if isinstance(log.after, dict) else {}
        keys = [k for k in FIELD_LABELS if k in before or k in after]
        # Rows of other shapes (a history import lists figures by indicator code) are shown key by key.
        keys += sorted(k for k in {*before, *after} if k not in FIELD_LABELS and k not in HIDDEN_KEYS)
        changes = [
            HistoryChange(FIELD_LABELS.get(key, key), _shown(key, before.get(key)), _shown(key, after.get(key)))
            for key in keys
            if before.get(key) != after.get(key)
        ]
        entries.append(HistoryEntry(log, changes))
    return entries


def submission_values(submission: Submission) -> list[EntryRow]:
    """The detail page's rows: every indicator of the submission with its figure and problems."""
    return entry_rows(submission, with_issues=True)


@dataclass(frozen=True, slots=True)
class UnlockState:
    """What the submission page offers about unlocking approved figures, for this user."""

    pending: bool  # a 解锁申请 waits (submission.unlock_requested_*)
    can_request: bool  # 申请解锁: the owner, or the office while 四眼原则 holds
    can_unlock: bool  # 解锁 at once: the office on its own initiative, 四眼原则 off
    can_decide: bool  # 批准 / 驳回 the pending request
    own_pending: bool  # the pending request is this user's own and waits for a colleague

    @property
    def shown(self) -> bool:
        return self.pending or self.can_request or self.can_unlock


def unlock_state(user: User, submission: Submission) -> UnlockState:
    approved = submission.status == SubmissionStatus.APPROVED
    pending = approved and submission.unlock_requested_by_id is not None
    office = services.may_unlock(user)
    four_eyes = submission.scheme.four_eyes
    own = pending and submission.unlock_requested_by_id == user.pk
    return UnlockState(
        pending=pending,
        can_request=approved and not pending and (services.may_edit(user, submission) or (office and four_eyes)),
        can_unlock=approved and not pending and office and not four_eyes,
        can_decide=pending and office and not (own and four_eyes),
        own_pending=own and four_eyes and office,
    )


def unlock_requests(*, user: User, scheme: Scheme) -> list[Submission]:
    """The year's pending 解锁申请 the office has to decide, whatever their month, oldest first."""
    if not services.may_unlock(user):
        return []
    return list(
        Submission.objects.filter(scheme=scheme, unit__in=Unit.objects.visible_to(user),
                                  status=SubmissionStatus.APPROVED, unlock_requested_by__isnull=False)
        .select_related("scheme", "unit", "owner", "unlock_requested_by")
        .order_by("unlock_requested_at")
    )  # fmt: skip
