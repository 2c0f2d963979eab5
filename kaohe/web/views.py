"""The shell: home page per role, health check, and Chinese error pages."""

from __future__ import annotations

import sys

from django.db import connection
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from kaohe.accounts.models import User
from kaohe.accounts.permissions import public, requires
from kaohe.org import selectors as org_selectors
from kaohe.org.models import Unit


@requires("home.view")
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, object] = {"user_obj": user}
    if user.role_has_business_view:
        units = Unit.objects.visible_to(user).assessed().select_related("group")
        context["units"] = units
        context["counts"] = org_selectors.org_counts() if not user.is_township_scoped else None
    return render(request, "web/home.html", context)


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Load balancers and operators poll this: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return HttpResponse(render_to_string("403_csrf.html"), status=403)


# The error pages are drawn without the request's context: its processors read the session and the user from the
# database, which may be the very thing that failed.


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(render_to_string("400.html"), status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(render_to_string("404.html"), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 while the database cannot be reached (the next request reconnects by itself)."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)
