"""Excel templates and imports under /data/excel/: download a filled template, upload it back.

Who gets what: township users their township's self-report template, department officers their
department's, the district admin the targets of a year's scheme. Uploads go through importers.py, the
same code as `kaohe import`: the page shows every rejected cell (sheet, row, column, reason) or what was
written, or in a preview (试导入) what would be written. The uploaded bytes are read in memory and never
stored (SECURITY.md §6.5).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kaohe.accounts.access import NOT_FOUND
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires, role_has
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.forms import ACCEPT, MAX_UPLOAD_BYTES, PREVIEW, UploadForm, too_large
from kaohe.core.ratelimit import by_user, rate_limited
from kaohe.core.services import changelog_record
from kaohe.lib import xlsx
from kaohe.schemes.models import Scheme
from kaohe.scoring import period_label

from . import importers, templates_xlsx
from .templates_xlsx import TARGETS, VALUES, Template


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _published_years() -> list[int]:
    return list(Scheme.objects.published().order_by("-year").values_list("year", flat=True))


def _default_month(year: int) -> int:
    """The month being reported now: last month of this year (figures are handed in the month after)."""
    today = timezone.localdate()
    if year < today.year:
        return 12
    return max(1, today.month - 1) if year == today.year else 1


def _int(raw: str | None, allowed: range | list[int], default: int) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) in allowed else default


def _context(request: HttpRequest) -> dict[str, Any]:
    """The page's choices: the values template for a year and month, the targets template per scheme."""
    user = _user(request)
    years = _published_years()
    year = _int(request.GET.get("year"), years, years[0] if years else 0)
    month = _int(request.GET.get("month"), range(1, 13), _default_month(year) if year else 1)
    context: dict[str, Any] = {
        "years": years,
        "year": year,
        "month": month,
        "months": [(m, period_label(m)) for m in range(1, 13)],
        "period": period_label(month),
        "can_values": role_has(user.role, "data.enter"),
        "can_targets": role_has(user.role, "scheme.manage"),
        "accept": ACCEPT,
        "max_mb": MAX_UPLOAD_BYTES // xlsx.MB,
    }
    if context["can_values"]:
        try:
            _, owner = templates_xlsx.owner_of(user)
        except ApplicationError as exc:
            context["owner_error"] = exc.message
        else:
            context["owner_label"] = (
                user.unit.name if owner is None and user.unit else templates_xlsx.owner_label(owner)
            )
    if context["can_targets"]:
        context["schemes"] = list(Scheme.objects.official().order_by("-year"))
    return context


@requires("data.view")
def index(request: HttpRequest) -> HttpResponse:
    """The templates this user may download, with a month picker, and the upload forms."""
    context = _context(request)
    context["form"] = UploadForm()
    return render(request, "collection/excel/index.html", context)


def _download(request: HttpRequest, template: Template) -> HttpResponse:
    # A pre-filled template is an export of figures: audited like one (SECURITY.md AU-1).
    changelog_record(
        action=ChangeAction.EXPORT, by=_user(request), object_type=f"collection.template_{template.grid.kind}",
        object_repr=f"下载模板：{template.filename}", after=dict(template.grid.meta),
    )  # fmt: skip
    response = HttpResponse(template.content, content_type=templates_xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = template.content_disposition
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("data.enter")
@rate_limited("export", by_user)
def values_template(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The user's own monthly template: his township's self-report, or his department's figures."""
    try:
        template = templates_xlsx.values_template(user=_user(request), year=year, month=month)
    except ApplicationError:
        raise Http404(NOT_FOUND) from None
    return _download(request, template)


@requires("scheme.manage")
@rate_limited("export", by_user)
def targets_template(request: HttpRequest, year: int) -> HttpResponse:
    """The year's targets matrix as a template (importable while the scheme is a draft)."""
    try:
        template = templates_xlsx.targets_template(year=year)
    except ApplicationError:
        raise Http404(NOT_FOUND) from None
    return _download(request, template)


def _upload(request: HttpRequest, kind: str) -> HttpResponse:
    context = _context(request)
    context["kind"] = kind
    if request.method != "POST":
        context["form"] = UploadForm()
        return render(request, "collection/excel/upload.html", context)
    form = UploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "collection/excel/upload.html", context, status=400)
    upload = form.cleaned_data["file"]
    dry_run = request.POST.get("action") == PREVIEW
    name = upload.name or ""
    refused = too_large(upload.size)
    if refused:
        report = importers.ImportReport(ok=False, filename=name, dry_run=dry_run, message=refused)
    else:
        try:
            data = upload.read()
        finally:
            upload.close()  # a temporary file on disk is deleted now, whatever happens next
        report = importers.import_file(data=data, filename=name, by=_user(request), dry_run=dry_run, kinds={kind})
    context["report"] = report
    return render(request, "collection/excel/upload.html", context, status=200 if report.ok else 400)


@requires("data.enter")
def values_upload(request: HttpRequest) -> HttpResponse:
    """Upload a filled values template; 试导入 only checks and reports what would change."""
    return _upload(request, VALUES)


@requires("scheme.manage")
def targets_upload(request: HttpRequest) -> HttpResponse:
    """Upload a filled targets template (the year's scheme must still be a draft)."""
    return _upload(request, TARGETS)
