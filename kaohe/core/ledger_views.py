"""The web pages every ledger gets: its page (template, export, upload with 试导入 and 导入), and the two
downloads. An app routes them under its own URLs with `ledger_urls(LEDGER)`, so each page is guarded by the
ledger's own permission code; the import goes through `ledger_import`, the same road as `kaohe ledger import`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header

from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires
from kaohe.core.choices import ChangeAction
from kaohe.core.forms import ACCEPT, MAX_UPLOAD_BYTES, PREVIEW, UploadForm, too_large
from kaohe.core.ledger import Ledger, LedgerReport, ledger_export, ledger_import, ledger_template
from kaohe.core.ratelimit import by_user, rate_limited
from kaohe.core.services import changelog_record
from kaohe.lib import xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx as a download: never cached, never sniffed."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def ledger_urls(ledger: Ledger, *, back: str, prefix: str = "ledger/") -> list[URLPattern]:
    """The ledger's page and downloads, named "ledger", "ledger_template" and "ledger_export" in the app's
    namespace; `back` names the page the ledger's page links back to (e.g. "org:tree")."""

    def context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        urls = {f"{name}_url": reverse(f"{namespace}:ledger_{name}") for name in ("template", "export")}
        return {
            "ledger": ledger, "accept": ACCEPT, "max_mb": MAX_UPLOAD_BYTES // xlsx.MB, "back_url": reverse(back),
            "upload_label": f"填好的{ledger.title}台账（Excel、WPS、LibreOffice 保存的均可）",
            **urls, **extra,
        }  # fmt: skip

    @requires(ledger.permission)
    def page(request: HttpRequest) -> HttpResponse:
        """GET: the downloads and the upload form. POST: 试导入 (check and report) or 导入 (all or nothing)."""
        if request.method != "POST":
            return render(request, "core/ledger.html", context(request, form=UploadForm()))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "core/ledger.html", context(request, form=form), status=400)
        upload = form.cleaned_data["file"]
        dry_run = request.POST.get("action") == PREVIEW
        name = upload.name or ""
        refused = too_large(upload.size)
        if refused:
            report = LedgerReport(ledger=ledger, filename=name, dry_run=dry_run, ok=False, message=refused)
        else:
            try:
                data = upload.read()
            finally:
                upload.close()  # the uploaded bytes are never kept (SECURITY.md §6.5)
            user: User = request.user  # type: ignore[assignment]
            report = ledger_import(ledger=ledger, data=data, filename=name, by=user, dry_run=dry_run)
        status = 200 if report.ok else 400
        return render(request, "core/ledger.html", context(request, form=UploadForm(), report=report), status=status)

    @requires(ledger.permission)
    @rate_limited("export", by_user)
    def template(request: HttpRequest) -> HttpResponse:
        return xlsx_download(ledger_template(ledger), ledger.template_filename)

    @requires(ledger.permission)
    @rate_limited("export", by_user)
    def export(request: HttpRequest) -> HttpResponse:
        # An export of the district's records is audited like any other (SECURITY.md AU-1).
        changelog_record(
            action=ChangeAction.EXPORT, by=request.user, object_type=f"ledger.{ledger.name}",  # type: ignore[arg-type]
            object_repr=f"导出{ledger.title}台账",
        )  # fmt: skip
        return xlsx_download(ledger_export(ledger), ledger.filename)

    return [
        path(prefix, page, name="ledger"),
        path(f"{prefix}template.xlsx", template, name="ledger_template"),
        path(f"{prefix}export.xlsx", export, name="ledger_export"),
    ]
