"""Request origin capture and the security headers of SECURITY.md IV-4."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
