"""The idle timeout's renewal: a session's expiry moves forward with activity, at most once a minute.

Django's SESSION_SAVE_EVERY_REQUEST writes the session row on every request (a transaction and an UPDATE each,
a third of a cached page's database work). Renewing once a minute keeps the 30-minute idle limit to within a
minute and spares those writes on all the other requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

RENEWED = "_kaohe_renewed"  # when the session's expiry was last moved forward (seconds since the epoch)
RENEW_EVERY_SECONDS = 60


class SessionRenewalMiddleware:
    """Marks a non-empty session modified when its expiry was last renewed a minute ago or more, so that
    SessionMiddleware (outside this one) saves it with a fresh expiry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response  # nobody logged in (or just logged out): nothing to keep alive
        now = int(time.time())
        if session.modified or now - int(session.get(RENEWED, 0)) >= RENEW_EVERY_SECONDS:
            session[RENEWED] = now
        return response
