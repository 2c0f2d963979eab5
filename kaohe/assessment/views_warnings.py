"""预警清单: the township × indicator items behind schedule, with projections and lights, printable per township."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.accounts.access import access_unit
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires

from . import selectors, warnings
from .inputs import Mode
from .views import NOT_FOUND, _mode, _scheme


@requires("scores.view")
def warnings_page(request: HttpRequest, year: int, month: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    scheme = _scheme(year)
    board = selectors.scoreboard(scheme=scheme, month=month, mode=_mode(request))
    units: set[str] | None = None
    if user.is_township_scoped:
        # A township user sees his own township's list only, whatever he asks for.
        units = {user.unit.code if user.unit else ""}
    chosen = request.GET.get("unit", "")
    if chosen:
        code = access_unit(user, chosen).code  # 404 outside the user's scope
        if all(r.code != code for r in board.rows):
            raise Http404(NOT_FOUND)  # a village, or a unit not assessed
        units = {code}
    report = warnings.early_warnings(board, scheme=scheme, units=units)
    context = {
        "report": report,
        "board": board,
        "chosen": chosen,
        "choices": [] if user.is_township_scoped else [(r.code, r.name) for r in board.rows],
        "months": range(1, (selectors.latest_month(scheme, Mode.PREVIEW) or month) + 1),
        "preview": board.mode == Mode.PREVIEW,
        "red_projection": warnings.RED_PROJECTION,
        "lower_red_projection": 2 - warnings.RED_PROJECTION,
    }
    return render(request, "assessment/warnings.html", context)
