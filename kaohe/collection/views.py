"""Pages of data collection and review: township forms, department grids, my tasks, the review queue.

Every view declares its permission and reaches objects through gatekeepers, so anything out of the
user's scope answers 404. Views parse the request, call one service (never write a model themselves)
and render; refusals come back from the services as Chinese messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from kaohe.accounts.access import NOT_FOUND, access_submission, access_unit
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires
from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Unit
from kaohe.schemes.models import Indicator, Scheme

from . import selectors, services
from .choices import EDITABLE, SubmissionStatus
from .forms import EntryForm, GridForm, ReasonForm, SheetForm, differs, picks
from .models import Submission

SAVED = "已保存。"
SUBMITTED = "已提交审核。"
INVALID = "有 {count} 处填写有误，未保存，请按提示修改。"
SUBMIT_BLOCKED = "已保存，但有 {count} 处必须修正的问题，暂不能提交审核。"
NOTHING_TO_SUBMIT = "没有可提交的数据：请先填写并保存。"
GRID_REFUSED = "{count} 个乡镇（街道）未能提交审核，原因列在各自一行，补齐后再点“提交审核”。"
EVIDENCE_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Checked after the gatekeeper, so a GET out of scope still answers 404 rather than 405.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def _version(request: HttpRequest) -> int | None:
    """The version of the submission the page showed (a decision on figures changed since is refused)."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _error_count(form: Any) -> int:
    return sum(len(errors) for errors in form.errors.values())


def _validation_message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


# --- my tasks --------------------------------------------------------------------------------------


@requires("data.view")
def index(request: HttpRequest) -> HttpResponse:
    """What the user has to do: his township's forms, his department's grids, or the review queue."""
    user = _user(request)
    years = selectors.published_years()
    raw_year = request.GET.get("year", "")
    year = int(raw_year) if raw_year.isdigit() and int(raw_year) in years else (years[0] if years else None)
    context: dict[str, Any] = {"years": years, "year": year, "tasks": None}
    if year is not None:
        context["tasks"] = selectors.tasks_for(user=user, scheme=selectors.scheme_published(year))
    return render(request, "collection/index.html", context)


# --- the township form -----------------------------------------------------------------------------


def _township_submission(request: HttpRequest, code: str, year: int, month: int) -> Submission:
    """The township's self-reported submission of the month, or an unsaved stand-in if none exists yet."""
    unit = selectors.assessed_township(access_unit(_user(request), code))
    scheme = selectors.scheme_published(year)
    selectors.check_month(month)
    found = selectors.submission_find(scheme=scheme, unit=unit, month=month, owner=None)
    return found or selectors.submission_prototype(scheme=scheme, unit=unit, month=month, owner=None)


def _form_url(submission: Submission) -> str:
    return reverse("collection:township_form", args=[submission.unit.code, submission.scheme.year, submission.month])


def _entry_initial(rows: list[selectors.EntryRow], submission: Submission) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": submission.version}
    for row in rows:
        code = row.indicator.code
        initial[f"amount-{code}"] = row.amount_text
        initial[f"revision-{code}"] = bool(row.value and row.value.is_revision)
        initial[f"note-{code}"] = row.value.note if row.value else ""
    return initial


def _render_form(
    request: HttpRequest, submission: Submission, form: EntryForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    editable = services.may_edit(user, submission) and submission.status in EDITABLE
    rows = selectors.entry_rows(submission, with_issues=True)
    if editable and form is None:
        form = EntryForm(indicators=[r.indicator for r in rows], initial=_entry_initial(rows, submission))
    context = {
        "submission": submission,
        "unit": submission.unit,
        "scheme": submission.scheme,
        "month": submission.month,
        "editable": editable and form is not None,
        "may_edit": services.may_edit(user, submission),
        "form": form if editable else None,
        "cards": [(row, form.bound(row.indicator.code) if editable and form else None) for row in rows],
        "general_issues": selectors.submission_issues(submission),
        "blocking": sum(1 for r in rows for i in r.issues if i.blocking),
        "months": selectors.open_months(submission.scheme.year) or list(selectors.MONTHS),
        **selectors.period_context(submission.month),
    }
    return render(request, "collection/form.html", context, status=status)


def _touched(form: EntryForm, submission: Submission) -> dict[str, Any]:
    """Only the rows the user changed: 1.5 and 1.5000 are the same figure, and an unchanged one is not logged."""
    current = {v.indicator.code: v for v in submission.values.select_related("indicator")}
    return {code: change for code, change in form.changes().items() if differs(change, current.get(code))}


@requires("data.view")
def township_form(request: HttpRequest, code: str, year: int, month: int) -> HttpResponse:
    """A township's self-reported figures of one month; inputs only for its own users while editable."""
    return _render_form(request, _township_submission(request, code, year, month))


@requires("data.enter")
def township_save(request: HttpRequest, code: str, year: int, month: int) -> HttpResponse:
    """保存 or 提交审核 of the township form. A stale version or a locked submission changes nothing."""
    submission = _township_submission(request, code, year, month)
    if (refused := _post_only(request)) is not None:
        return refused
    user = _user(request)
    if not services.may_edit(user, submission):
        # A department officer may enter data, but not a township's self-reported figures.
        messages.error(request, services.NOT_OWNER)
        return _render_form(request, submission, status=403)
    form = EntryForm(request.POST, request.FILES, indicators=services.owner_indicators(submission))
    if not form.is_valid():
        messages.error(request, INVALID.format(count=_error_count(form)))
        return _render_form(request, submission, form, status=400)
    try:
        # Opening and saving commit together, so a refused save leaves no empty submission behind.
        with transaction.atomic():
            opened = services.submission_open(
                scheme=submission.scheme, unit=submission.unit, month=submission.month, owner=None
            )
            saved = services.values_save(
                submission=opened,
                changes=_touched(form, opened),
                by=user,
                expected_version=form.cleaned_data["version"],
            )
    except services.StaleVersion as exc:
        messages.error(request, exc.message)
        return _render_form(request, _township_submission(request, code, year, month), status=409)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _render_form(request, _township_submission(request, code, year, month), status=400)
    except ValidationError as exc:
        messages.error(request, _validation_message(exc))
        return _render_form(request, submission, form, status=400)
    if request.POST.get("action") == "submit":
        try:
            services.submission_submit(submission=saved, by=user, expected_version=saved.version)
        except ApplicationError as exc:
            blocking = exc.extra.get("issues")
            messages.error(request, SUBMIT_BLOCKED.format(count=len(blocking)) if blocking else exc.message)
            return redirect(_form_url(saved))
        messages.success(request, SUBMITTED)
    else:
        messages.success(request, SAVED)
    return redirect(_form_url(saved))


# --- the department grid ---------------------------------------------------------------------------


def _grid_indicator(year: int, indicator: str, month: int) -> Indicator:
    found = selectors.grid_indicator(year, indicator)
    selectors.check_month(month)
    return found


def _grid_url(indicator: Indicator, month: int) -> str:
    return reverse("collection:dept_grid", args=[indicator.code, indicator.scheme.year, month])


def _grid_initial(rows: list[selectors.EntryRow]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in rows:
        code = row.unit.code
        initial[f"version-{code}"] = row.submission.version if row.submission else 0
        initial[f"amount-{code}"] = row.amount_text
        initial[f"revision-{code}"] = bool(row.value and row.value.is_revision)
        initial[f"note-{code}"] = row.value.note if row.value else ""
    return initial


def _names(rows: list[selectors.EntryRow]) -> dict[str, str]:
    return {r.unit.code: r.unit.name for r in rows}


def _editable_rows(user: User, indicator: Indicator, rows: list[selectors.EntryRow]) -> list[selectors.EntryRow]:
    if not selectors.may_edit_grid(user, indicator):
        return []
    return [r for r in rows if r.editable_status]


@dataclass(frozen=True, slots=True)
class RowChanges:
    """One township's changed figures from a grid or sheet, with the version its row was shown at."""

    unit: Unit
    changes: dict[str, services.Change]
    version: int | None


def _save_rows(
    request: HttpRequest, *, scheme: Scheme, owner: Any, month: int, user: User, batches: list[RowChanges]
) -> tuple[int, bool] | None:
    """Save a grid's or a sheet's rows as one save: a stale or refused row rolls back every other row of it
    (SECURITY.md DI-3). None when saved; otherwise the refusal is a message naming the township, and the answer
    is (status, whether the page shows the posted form again)."""
    current: Unit | None = None
    try:
        with transaction.atomic():
            for batch in batches:
                current = batch.unit
                opened = services.submission_open(scheme=scheme, unit=batch.unit, month=month, owner=owner)
                services.values_save(submission=opened, changes=batch.changes, by=user, expected_version=batch.version)
    except services.StaleVersion as exc:
        messages.error(request, f"{current}：{exc.message}")
        return 409, False
    except ApplicationError as exc:
        messages.error(request, f"{current}：{exc.message}")
        return 400, False
    except ValidationError as exc:
        messages.error(request, f"{current}：{_validation_message(exc)}")
        return 400, True
    return None


def _render_grid(
    request: HttpRequest,
    indicator: Indicator,
    month: int,
    form: GridForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    rows = selectors.grid_rows(user=user, indicator=indicator, month=month)
    editable = _editable_rows(user, indicator, rows)
    codes = {r.unit.code for r in editable}
    refused: dict[str, str] = request.session.pop(_refused_key(indicator, month), {})  # the last 提交审核's
    if editable and form is None:
        form = GridForm(
            indicator=indicator, unit_codes=[r.unit.code for r in editable], names=_names(editable),
            initial=_grid_initial(rows),
        )  # fmt: skip
    context = {
        "indicator": indicator,
        "scheme": indicator.scheme,
        "month": month,
        "may_edit": selectors.may_edit_grid(user, indicator),
        "editable": bool(editable),
        "form": form if editable else None,
        "lines": [(row, form.bound(row.unit.code) if form and row.unit.code in codes else None) for row in rows],
        "refused": refused,
        "months": selectors.open_months(indicator.scheme.year) or list(selectors.MONTHS),
        **selectors.period_context(month),
    }
    return render(request, "collection/grid.html", context, status=status)


@requires("data.view")
def dept_grid(request: HttpRequest, indicator: str, year: int, month: int) -> HttpResponse:
    """One department indicator for every township the user may see; inputs for its department only."""
    return _render_grid(request, _grid_indicator(year, indicator, month), month)


@requires("data.enter")
def dept_grid_save(request: HttpRequest, indicator: str, year: int, month: int) -> HttpResponse:
    """Save the touched rows of the grid (all or none), then on 提交审核 submit each township's figures."""
    found = _grid_indicator(year, indicator, month)
    if (refused := _post_only(request)) is not None:
        return refused
    user = _user(request)
    if not selectors.may_edit_grid(user, found):
        messages.error(request, services.NOT_OWNER)
        return _render_grid(request, found, month, status=403)
    rows = selectors.grid_rows(user=user, indicator=found, month=month)
    editable = _editable_rows(user, found, rows)
    form = GridForm(
        request.POST, request.FILES, indicator=found, unit_codes=[r.unit.code for r in editable],
        names=_names(editable),
    )  # fmt: skip
    if not form.is_valid():
        messages.error(request, INVALID.format(count=_error_count(form)))
        return _render_grid(request, found, month, form, status=400)
    touched = [r for r in editable if form.posted(r.unit.code) and differs(form.change(r.unit.code), r.value)]
    batches = [
        RowChanges(r.unit, {found.code: form.change(r.unit.code)}, form.version_of(r.unit.code)) for r in touched
    ]
    failed = _save_rows(request, scheme=found.scheme, owner=found.owner, month=month, user=user, batches=batches)
    if failed is not None:
        status, keep_form = failed
        return _render_grid(request, found, month, form if keep_form else None, status=status)
    if request.POST.get("action") != "submit":
        messages.success(request, SAVED if touched else "没有修改。")
        return redirect(_grid_url(found, month))
    if touched:
        messages.success(request, SAVED)
    _grid_submit(request, user, found, month)
    return redirect(_grid_url(found, month))


def _refused_key(indicator: Indicator, month: int, sheet: bool = False) -> str:
    return f"kaohe:grid-refused:{'sheet' if sheet else 'grid'}:{indicator.pk}:{month}"


def _grid_submit(request: HttpRequest, user: User, indicator: Indicator, month: int, *, sheet: bool = False) -> None:
    """Hand in each township's figures of the department; one township's problems don't hold up the rest. The
    townships that could not be handed in are listed on their own rows of the grid, each with why."""
    pending = selectors.grid_submissions_to_submit(user=user, indicator=indicator, month=month)
    if not pending:
        messages.warning(request, NOTHING_TO_SUBMIT)
        return
    done: list[str] = []
    refused: dict[str, str] = {}
    for submission in pending:
        try:
            services.submission_submit(submission=submission, by=user)
        except ApplicationError as exc:
            refused[submission.unit.code] = exc.message
        else:
            done.append(submission.unit.name)
    if done:
        messages.success(request, f"已提交审核：{'、'.join(done)}。")
    if refused:
        messages.error(request, GRID_REFUSED.format(count=len(refused)))
        request.session[_refused_key(indicator, month, sheet)] = refused


# --- the department sheet: every indicator of a department's month ------------------------------------


def _sheet_url(department: str, year: int, month: int) -> str:
    return reverse("collection:dept_sheet", args=[department, year, month])


def _sheet_form(
    user: User, indicators: list[Indicator], rows: list[selectors.SheetRow], data: Any = None
) -> SheetForm | None:
    if not selectors.may_edit_grid(user, indicators[0]):
        return None
    cells = {r.unit.code: [c.indicator.code for c in r.open_cells()] for r in rows if r.open_cells()}
    if not cells:
        return None
    initial: dict[str, Any] = {}
    for r in rows:
        initial[f"version-{r.unit.code}"] = r.submission.version if r.submission else 0
        for c in r.cells:
            initial[f"amount-{r.unit.code}-{c.indicator.code}"] = c.amount_text
    names = {r.unit.code: r.unit.name for r in rows}
    return SheetForm(data, indicators=indicators, cells=cells, names=names, initial=None if data else initial)


def _render_sheet(
    request: HttpRequest, department: str, year: int, month: int, form: SheetForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    indicators = selectors.sheet_indicators(year, department, month)
    rows = selectors.sheet_rows(user=user, indicators=indicators, month=month)
    form = form or _sheet_form(user, indicators, rows)
    refused: dict[str, str] = request.session.pop(_refused_key(indicators[0], month, sheet=True), {})
    lines = [
        (r, form.version(r.unit.code) if form else None,
         [(c, form.cell(r.unit.code, c.indicator.code) if form else None) for c in r.cells])
        for r in rows
    ]  # fmt: skip
    context = {
        "indicators": indicators, "scheme": indicators[0].scheme, "department": indicators[0].owner,
        "month": month, "form": form, "lines": lines, "refused": refused, **selectors.period_context(month),
    }  # fmt: skip
    return render(request, "collection/sheet.html", context, status=status)


@requires("data.view")
def dept_sheet(request: HttpRequest, department: str, year: int, month: int) -> HttpResponse:
    """Every indicator of one department's month, a township a row, as one spreadsheet; inputs for that
    department's officer only."""
    selectors.check_month(month)
    return _render_sheet(request, department, year, month)


@requires("data.enter")
def dept_sheet_save(request: HttpRequest, department: str, year: int, month: int) -> HttpResponse:
    """Save the sheet's changed figures (all or none), then on 提交审核 hand in each township's figures."""
    selectors.check_month(month)
    if (refused := _post_only(request)) is not None:
        return refused
    user = _user(request)
    indicators = selectors.sheet_indicators(year, department, month)
    if not selectors.may_edit_grid(user, indicators[0]):
        messages.error(request, services.NOT_OWNER)
        return _render_sheet(request, department, year, month, status=403)
    rows = selectors.sheet_rows(user=user, indicators=indicators, month=month)
    form = _sheet_form(user, indicators, rows, request.POST)
    if form is None:
        messages.warning(request, "本月没有可填写的数据。")
        return redirect(_sheet_url(department, year, month))
    if not form.is_valid():
        messages.error(request, INVALID.format(count=_error_count(form)))
        return _render_sheet(request, department, year, month, form, status=400)
    batches = []
    for row in rows:
        code = row.unit.code
        changes = {}
        for cell in row.open_cells():
            ind = cell.indicator.code
            if not form.posted(code, ind):
                continue
            old = cell.value
            # A figure changed here keeps the revision flag and note the grid gave it.
            change = services.Change(
                amount=form.amount(code, ind), is_revision=bool(old and old.is_revision), note=old.note if old else ""
            )
            if differs(change, old):
                changes[ind] = change
        if changes:
            batches.append(RowChanges(row.unit, changes, form.version_of(code)))
    failed = _save_rows(
        request, scheme=indicators[0].scheme, owner=indicators[0].owner, month=month, user=user, batches=batches
    )
    if failed is not None:
        status, keep_form = failed
        return _render_sheet(request, department, year, month, form if keep_form else None, status=status)
    saved = len(batches)
    if saved:
        messages.success(request, SAVED)
    elif request.POST.get("action") != "submit":
        messages.success(request, "没有修改。")
    if request.POST.get("action") == "submit":
        _grid_submit(request, user, indicators[0], month, sheet=True)
    return redirect(_sheet_url(department, year, month))


# --- the review queue and a submission -------------------------------------------------------------


@requires("data.review")
def review_queue(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month's submissions awaiting review, then the returned and the approved ones."""
    user = _user(request)
    scheme = selectors.scheme_published(year)
    selectors.check_month(month)
    queue = selectors.review_queue(user=user, scheme=scheme, month=month)
    context = {
        "scheme": scheme,
        "month": month,
        "missing": selectors.missing_reports(user=user, scheme=scheme, month=month),
        "can_batch": services.may_review(user),
        "submitted": queue[SubmissionStatus.SUBMITTED],
        "returned": queue[SubmissionStatus.RETURNED],
        "approved": queue[SubmissionStatus.APPROVED],
        "drafts": selectors.draft_count(user=user, scheme=scheme, month=month),
        "unlock_requests": selectors.unlock_requests(user=user, scheme=scheme),
        "months": selectors.open_months(scheme.year) or list(selectors.MONTHS),
        **selectors.period_context(month),
    }
    return render(request, "collection/review_queue.html", context)


BATCH_ACTIONS = {"approve": "通过", "return": "退回"}
REASON_LIMIT = 1000


@requires("data.review")
def review_batch(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Approve or return the submissions ticked in the queue: first a confirmation that lists them (and takes the
    退回 reason, one for all or one each), then the decisions, each at the version the queue showed."""
    user = _user(request)
    scheme = selectors.scheme_published(year)
    selectors.check_month(month)
    if (refused := _post_only(request)) is not None:
        return refused
    queue_url = reverse("collection:review_queue", args=[year, month])
    action = request.POST.get("action", "")
    chosen = picks(request.POST.getlist("pick"))
    if action not in BATCH_ACTIONS or chosen is None:
        messages.error(request, "所选数据无效，请刷新页面后重新选择。")
        return redirect(queue_url)
    if not chosen:
        messages.warning(request, "请先勾选要审核的数据。")
        return redirect(queue_url)
    rows = []
    for pk, version in chosen:
        submission = access_submission(user, pk, "review")
        if submission.scheme_id != scheme.pk or submission.month != month:
            raise Http404(NOT_FOUND)
        rows.append((submission, version))
    approve = action == "approve"
    common = request.POST.get("reason", "").strip()
    reasons = {s.pk: request.POST.get(f"reason-{s.pk}", "").strip() for s, _ in rows}
    if request.POST.get("confirm") != "1":
        return _confirm(request, scheme, month, action, rows, common, reasons)
    if not approve:
        error = ""
        if any(len(r) > REASON_LIMIT for r in (common, *reasons.values())):
            error = f"原因不能超过 {REASON_LIMIT} 字。"
        elif not common and not all(reasons.values()):
            error = "请填写退回原因：可统一填写，也可逐份填写。"
        if error:
            return _confirm(request, scheme, month, action, rows, common, reasons, error=error)
    decisions = [services.Decision(s, version, reasons[s.pk] or common) for s, version in rows]
    outcome = services.submissions_decide(decisions=decisions, approve=approve, by=user)
    if outcome.done:
        names = "、".join(f"{s.unit.name}（{s.owner_label}）" for s in outcome.done)
        messages.success(request, f"已{BATCH_ACTIONS[action]} {len(outcome.done)} 份：{names}。")
    for submission, why in outcome.refused:
        messages.error(
            request, f"未能{BATCH_ACTIONS[action]}：{submission.unit.name}（{submission.owner_label}）——{why}"
        )
    return redirect(queue_url)


def _confirm(
    request: HttpRequest, scheme: Scheme, month: int, action: str, rows: list[tuple[Submission, int]], common: str,
    reasons: dict[int, str], *, error: str = "",
) -> HttpResponse:  # fmt: skip
    """The confirmation of a batch: what will be approved or returned, with each one's checks."""
    listed = []
    for submission, version in rows:
        issues = services.submission_check(submission)
        blocking = sum(1 for i in issues if i.blocking)
        listed.append((selectors.QueueRow(submission, len(issues) - blocking, blocking), version))
    context = {
        "scheme": scheme,
        "month": month,
        "action": action,
        "verb": BATCH_ACTIONS[action],
        "rows": [(row, version, reasons.get(row.submission.pk, "")) for row, version in listed],
        "reason": common,
        "error": error,
        **selectors.period_context(month),
    }
    return render(request, "collection/review_confirm.html", context, status=400 if error else 200)


def _render_detail(
    request: HttpRequest,
    submission: Submission,
    *,
    return_form: ReasonForm | None = None,
    unlock_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    is_submitted = submission.status == SubmissionStatus.SUBMITTED
    context = {
        "submission": submission,
        "rows": selectors.submission_values(submission),
        "general_issues": selectors.submission_issues(submission),
        "history": selectors.submission_history(submission),
        "can_review": services.may_review(user) and is_submitted,
        "unlock": selectors.unlock_state(user, submission),
        "return_form": return_form or ReasonForm(what="退回", prefix="return"),
        "unlock_form": unlock_form or ReasonForm(what="解锁", prefix="unlock"),
        "edit_links": _edit_links(user, submission),
        **selectors.period_context(submission.month),
    }
    return render(request, "collection/submission_detail.html", context, status=status)


def _edit_links(user: User, submission: Submission) -> list[tuple[str, str]]:
    """Where the data owner corrects the figures: the township form, or the department's grids."""
    if not services.may_edit(user, submission):
        return []
    if submission.owner_id is None:
        return [("前往填报", _form_url(submission))]
    return [(f"填报“{i.name}”", _grid_url(i, submission.month)) for i in services.owner_indicators(submission)]


@requires("data.view")
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    """All figures of one submission with their problems and history; reviewers approve or return here."""
    return _render_detail(request, access_submission(_user(request), submission_id, "view"))


def _detail_url(submission: Submission) -> str:
    return reverse("collection:submission_detail", args=[submission.pk])


@requires("data.review")
def submission_approve(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access_submission(_user(request), submission_id, "review")
    if (refused := _post_only(request)) is not None:
        return refused
    try:
        services.submission_approve(submission=submission, by=_user(request), expected_version=_version(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, submission, status=400)
    messages.success(request, "已审核通过，本期数据已锁定。")
    return redirect(_detail_url(submission))


@requires("data.review")
def submission_return(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access_submission(_user(request), submission_id, "review")
    if (refused := _post_only(request)) is not None:
        return refused
    form = ReasonForm(request.POST, what="退回", prefix="return")
    if not form.is_valid():
        return _render_detail(request, submission, return_form=form, status=400)
    try:
        services.submission_return(
            submission=submission, reason=form.cleaned_data["reason"], by=_user(request),
            expected_version=_version(request),
        )  # fmt: skip
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, submission, return_form=form, status=400)
    messages.success(request, "已退回，填报单位将看到退回原因。")
    return redirect(_detail_url(submission))


@requires("data.view")
def submission_unlock_request(request: HttpRequest, submission_id: int) -> HttpResponse:
    """申请解锁: the data owner, or the office under 四眼原则, asks with a reason; the service checks who may."""
    return _unlock_step(
        request, submission_id, "view", services.submission_unlock_request, "已提交解锁申请，等待区考核办审批。"
    )


@requires("data.unlock")
def submission_unlock(request: HttpRequest, submission_id: int) -> HttpResponse:
    """解锁: approve the pending request, or (四眼原则 off) unlock on the office's own initiative."""

    def unlock(*, submission: Submission, reason: str, by: User) -> Submission:
        if submission.unlock_requested_by_id is not None:
            return services.submission_unlock(submission=submission, by=by, note=reason)
        return services.submission_unlock(submission=submission, by=by, reason=reason)

    return _unlock_step(request, submission_id, "unlock", unlock, "已解锁，数据退回填报单位修改。", optional=True)


@requires("data.unlock")
def submission_unlock_reject(request: HttpRequest, submission_id: int) -> HttpResponse:
    def reject(*, submission: Submission, reason: str, by: User) -> Submission:
        return services.submission_unlock_reject(submission=submission, by=by, note=reason)

    return _unlock_step(request, submission_id, "unlock", reject, "已驳回解锁申请，数据保持锁定。")


def _unlock_step(
    request: HttpRequest, submission_id: int, action: str, step: Any, done: str, *, optional: bool = False
) -> HttpResponse:
    """The shared shape of the three unlock steps: a reason form (optional only for approving a request that has
    its own reason) → the service → back to the submission, or the page again with the refusal."""
    submission = access_submission(_user(request), submission_id, action)
    if (refused := _post_only(request)) is not None:
        return refused
    form = ReasonForm(request.POST, what="解锁", prefix="unlock")
    if optional and submission.unlock_requested_by_id is not None:
        form.fields["reason"].required = False
    if not form.is_valid():
        return _render_detail(request, submission, unlock_form=form, status=400)
    try:
        step(submission=submission, reason=form.cleaned_data["reason"], by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, submission, unlock_form=form, status=400)
    messages.success(request, done)
    return redirect(_detail_url(submission))


# --- evidence --------------------------------------------------------------------------------------


@requires("data.view")
def evidence_download(request: HttpRequest, value_id: int) -> FileResponse:
    """Stream an evidence file as an attachment, only within the user's scope (SECURITY.md AC-2)."""
    submission = access_submission(_user(request), selectors.value_submission_id(value_id), "view")
    value = submission.values.filter(pk=value_id).first()
    if value is None or not value.evidence:
        raise Http404(NOT_FOUND)
    name = PurePath(value.evidence.name).name
    try:
        handle = value.evidence.open("rb")
    except FileNotFoundError:
        raise Http404(NOT_FOUND) from None
    extension = PurePath(name).suffix.lower().lstrip(".")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=EVIDENCE_TYPES.get(extension, "application/octet-stream"),
    )
    # An uploaded file must never be rendered as a page of this site.
    response["X-Content-Type-Options"] = "nosniff"
    return response
