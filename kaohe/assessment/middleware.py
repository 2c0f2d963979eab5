"""The last line of defence of the pages that score: a scheme the engine refuses, or one returned for revision,
is a Chinese page saying what to do (409 / 200), never a server error."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.accounts.permissions import role_has

from .checks import FIX, SchemeRejected, SchemeReturned


class SchemeStateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SchemeRejected | SchemeReturned):
            return None
        rejected = isinstance(exception, SchemeRejected)
        context = {
            "title": "方案无法计分" if rejected else "方案已退回修改",
            "message": exception.message,
            "fix": FIX if rejected else "",
            "scheme": exception.scheme,
            "see_scheme": role_has(getattr(request.user, "role", ""), "scheme.view"),
        }
        return render(request, "assessment/scheme_state.html", context, status=409 if rejected else 200)
