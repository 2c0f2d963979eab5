"""驾驶舱: rankings, the on-schedule heat map, trends and the bulletin's summary figures for one period."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires

from . import dashboard, selectors
from .inputs import Mode
from .views import NOT_FOUND, _mode, _scheme, latest_period


def _k(request: HttpRequest) -> int | None:
    """The bulletin's K from ?k= (a whole number; anything else means the default, half the indicators)."""
    raw = request.GET.get("k", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None


@requires("scores.view")
def dashboard_index(request: HttpRequest) -> HttpResponse:
    return latest_period(request, "assessment:dashboard")


@requires("scores.view")
def dashboard_page(request: HttpRequest, year: int, month: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    scheme = _scheme(year)
    unit = (user.unit.code if user.unit else "") if user.is_township_scoped else None
    dash = dashboard.dashboard(scheme=scheme, month=month, mode=_mode(request), unit=unit, k=_k(request))
    context = {
        "dash": dash,
        "board": dash.board,
        "own": dash.rows[0] if unit is not None and dash.rows else None,
        "months": range(1, (selectors.latest_month(scheme, Mode.PREVIEW) or month) + 1),
        "preview": dash.board.mode == Mode.PREVIEW,
        "k_choices": range(0, dash.summary.indicator_count + 1) if dash.summary else range(0),
    }
    return render(request, "assessment/dashboard.html", context)
