"""The idle timeout's renewal: a session's expiry moves forward with activity, at most once a minute.

Django's SESSION_SAVE_EVERY_REQUEST writes the session row on every request (a transaction and an UPDATE each,
a third of a cached page's database work). Renewing once a minute keeps the 30-minute idle limit to within a
minute and spares those writes on all the other requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

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


class LoginRequired(LoginRequiredMiddleware):
    """Django's default deny, but a form posted after the session expired returns, once the user has logged in
    again, to the page the form was on — never to the address it posted to, which answers GET with 405. The
    page restores what was typed from the browser (static/kaohe/session.js); nothing was written."""

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponseRedirect:
        if request.method in ("GET", "HEAD"):
            return super().handle_no_permission(request, view_func)
        referer = request.headers.get("referer", "")
        same_site = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        parts = urlsplit(referer)
        page = (parts.path + (f"?{parts.query}" if parts.query else "")) if same_site and referer else "/"
        query = urlencode({"next": page, "expired": "1"})
        return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")


# What a user with a one-time password may still reach: the change itself, leaving, and keeping the session alive.
BEFORE_PASSWORD_CHANGE = frozenset({"accounts:password_change", "logout", "accounts:session_renew"})


class PasswordChangeRequired:
    """A password set by someone else (the security admin, `kaohe resetpassword`) is known to him: until its owner
    replaces it, every page, GET or POST, leads to 修改密码 and nothing else is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "password_one_time", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_PASSWORD_CHANGE:
            return None
        response = redirect("accounts:password_change")
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]  # htmx swaps fragments; the whole page must move
        return response
