"""Request origin capture, hostile input turned away at the door, and the security headers of SECURITY.md IV-4."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string

from .context import RequestOrigin, current_origin

# Everything is served by Kaohe itself; nothing may be loaded from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = RequestOrigin(ip=request.META.get("REMOTE_ADDR"), request_id=uuid.uuid4().hex)
        token = current_origin.set(origin)
        try:
            response = self.get_response(request)
        finally:
            current_origin.reset(token)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Request-ID"] = origin.request_id
        user = getattr(request, "user", None)
        # Pages with a township's unpublished figures must not stay in shared browser caches.
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


# No address or query a person types holds a control character, and PostgreSQL refuses NUL in any text: such
# requests are answered 400 before a view or a database lookup sees them. Form fields may hold tabs and line
# breaks (a pasted note), never NUL.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PATH = 2_000
MAX_QUERY_VALUE = 1_000


def bad_request(status: int = 400) -> HttpResponse:
    """The Chinese 400 page, drawn without the database (the request is refused before any lookup)."""
    return HttpResponse(render_to_string("400.html"), status=status)


def _hostile(pairs: Iterable[tuple[str, list[str]]], pattern: re.Pattern[str], longest: int | None) -> bool:
    for key, values in pairs:
        for text in (key, *values):
            if pattern.search(text) or (longest is not None and len(text) > longest):
                return True
    return False


class HostileInputMiddleware:
    """400 for control characters or over-long values in the path or query, and for NUL in a form field.

    The log-in form is left to check its own fields, so that a hostile log-in is refused by the form in Chinese
    and audited as a failed log-in like any other."""

    NUL = re.compile("\x00")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if CONTROL.search(path) or len(path) > MAX_PATH or _hostile(request.GET.lists(), CONTROL, MAX_QUERY_VALUE):
            return bad_request()
        login = path == resolve_url(settings.LOGIN_URL)
        if request.method == "POST" and not login and _hostile(request.POST.lists(), self.NUL, None):
            return bad_request()
        return self.get_response(request)
