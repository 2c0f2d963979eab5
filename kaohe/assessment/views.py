"""成绩单 and its drill-downs: unit page, indicator page, a point's explanation, a figure's history."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject

from kaohe.accounts.access import access_unit
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires
from kaohe.core.choices import ChangeAction
from kaohe.core.models import ChangeLog
from kaohe.core.ratelimit import by_user, rate_limited
from kaohe.core.services import changelog_record
from kaohe.schemes.models import Scheme, TargetAdjustment

from . import exports, selectors
from . import render as render_board
from .checks import SchemeReturned
from .inputs import Mode

NOT_FOUND = "页面不存在或您无权访问。"
MIN_YEAR, MAX_YEAR = 2000, 9999  # a scheme's year (schemes.models.Scheme.year)


def _scheme(year: int) -> Scheme:
    """The year's published scheme; one returned for revision raises SchemeReturned (its notice page)."""
    scheme = Scheme.objects.official().filter(year=year).first()
    if scheme is not None and scheme.is_returned:
        raise SchemeReturned(scheme)
    if scheme is None or not scheme.is_published:
        raise Http404(NOT_FOUND)
    return scheme


def latest_scheme() -> Scheme | None:
    """The latest year that has been published (a returned one too: its pages say it is being revised)."""
    return Scheme.objects.official().filter(published_at__isnull=False).order_by("-year").first()


def _mode(request: HttpRequest) -> Mode:
    return Mode.PREVIEW if request.GET.get("mode") == Mode.PREVIEW else Mode.OFFICIAL


def _board(request: HttpRequest, year: int, month: int) -> selectors.Board:
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    return selectors.scoreboard(scheme=_scheme(year), month=month, mode=_mode(request))


def _visible_rows(user: User, board: selectors.Board) -> list[selectors.Row]:
    """Township users see their own township's row only (others' figures are unpublished to them)."""
    if user.is_township_scoped:
        own = user.unit.code if user.unit else ""
        return [r for r in board.rows if r.code == own]
    return board.rows


def latest_period(request: HttpRequest, route: str) -> HttpResponse:
    """`route` at the latest period with figures (official first, else the preview), or a page saying why none."""
    scheme = latest_scheme()
    if scheme is None:
        return render(request, "assessment/empty.html", {"reason": "还没有已发布的考核方案。"})
    scheme = _scheme(scheme.year)
    month = selectors.latest_month(scheme) or selectors.latest_month(scheme, Mode.PREVIEW)
    if month is None:
        return render(request, "assessment/empty.html", {"reason": f"{scheme.year}年还没有已审核的数据。"})
    return redirect(route, year=scheme.year, month=month)


@requires("scores.view")
def scores_index(request: HttpRequest) -> HttpResponse:
    return latest_period(request, "assessment:scoreboard")


@requires("scores.view")
def scoreboard(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The page's content is a cached template fragment (key: `render.page_keys`, one query for the data stamp);
    only when it is missing is `page` built, from the cached grid or a new one. `?page=`, `?sort=` and `?order=`
    choose which lines show in which order (a board of more than `render.PAGE_SIZE` lines is paged)."""
    if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404(NOT_FOUND)  # before the cache is asked: no key is made of a year no scheme can have
    user: User = request.user  # type: ignore[assignment]
    mode, group = _mode(request), request.GET.get("group", "")
    view = render_board.View.of(request.GET)
    keys = render_board.page_keys(year=year, month=month, mode=mode, user=user, group=group, view=view)
    page = SimpleLazyObject(
        lambda: render_board.page(
            scheme=_scheme(year), month=month, mode=mode, user=user, group=group, view=view, shape_key=keys.shape
        )
    )
    context = {
        "year": year,
        "month": month,
        "preview": mode == Mode.PREVIEW,
        "page": page,
        "page_key": keys.fragment,
        "ttl": selectors.CACHE_SECONDS,
    }
    return render(request, "assessment/scoreboard.html", context)


@requires("scores.view")
@rate_limited("export", by_user)
def scoreboard_export(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The 成绩单 as .xlsx, in the page's layout, mode and group; a township user gets his own row only."""
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    user: User = request.user  # type: ignore[assignment]
    scheme, mode = _scheme(year), _mode(request)
    grid = selectors.grid(scheme=scheme, month=month, mode=mode)
    group = request.GET.get("group", "")
    group = group if group in grid.groups else ""
    lines = render_board.visible_lines(user, grid, group)
    totals = render_board.visible_totals(user, grid, group)
    content = exports.scoreboard_xlsx(grid, lines, totals, group=grid.groups.get(group, ""))
    name = exports.filename(grid)
    # An export of figures is audited like any (SECURITY.md AU-1); it changes no figure, so no cache moves.
    changelog_record(
        action=ChangeAction.EXPORT, by=user, object_type="assessment.scoreboard", object_repr=f"导出成绩单：{name}",
        after={"year": year, "month": month, "mode": str(mode), "group": group, "rows": len(lines)},
    )  # fmt: skip
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = exports.content_disposition(grid)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("scores.view")
def explain(request: HttpRequest, year: int, month: int, code: str, indicator: str) -> HttpResponse:
    """One cell's points with their explanation, from the reference engine for that indicator alone (fetched when a
    point is clicked, never computed for the whole board)."""
    unit = access_unit(request.user, code)  # type: ignore[arg-type]
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    scheme = _scheme(year)
    column = scheme.indicators.filter(code=indicator).first()
    if column is None:
        raise Http404(NOT_FOUND)
    cell = selectors.explanations(scheme=scheme, month=month, mode=_mode(request), indicator=indicator).get(unit.code)
    if cell is None:
        raise Http404(NOT_FOUND)
    period = {"year": year, "month": month}
    template = "assessment/_explain.html" if request.headers.get("HX-Request") else "assessment/explain.html"
    return render(request, template, {"board": period, "row": unit, "cell": cell, "column": column})


@requires("scores.view")
def unit_page(request: HttpRequest, year: int, month: int, code: str) -> HttpResponse:
    unit = access_unit(request.user, code)  # type: ignore[arg-type]
    board = _board(request, year, month)
    if all(r.code != unit.code for r in board.rows):
        raise Http404(NOT_FOUND)  # a village, or a unit not assessed this year: it has no row
    trend = selectors.unit_trend(scheme=_scheme(year), month=month, mode=board.mode, unit=unit.code)
    return render(request, "assessment/unit.html", {"board": board, "row": board.row(unit.code), "trend": trend})


@requires("scores.view")
def indicator_page(request: HttpRequest, year: int, month: int, indicator: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    board = _board(request, year, month)
    column = next((c for c in board.columns if c.code == indicator), None)
    if column is None:
        raise Http404(NOT_FOUND)
    rows = sorted(_visible_rows(user, board), key=lambda r: (r.cells[indicator].rank or 10**6, r.code))
    counts: dict[str, int] = {}
    for r in board.rows if not user.is_township_scoped else rows:
        label = r.cells[indicator].status.label
        counts[label] = counts.get(label, 0) + 1
    return render(
        request, "assessment/indicator.html", {"board": board, "column": column, "rows": rows, "counts": counts}
    )


@requires("scores.view")
def figure_history(request: HttpRequest, year: int, month: int, code: str, indicator: str) -> HttpResponse:
    """Who entered the figure, who approved it, and every change of the target behind it."""
    unit = access_unit(request.user, code)  # type: ignore[arg-type]
    scheme = _scheme(year)
    ind = scheme.indicators.filter(code=indicator).first()
    if ind is None:
        raise Http404(NOT_FOUND)
    values = list(
        ind.values.filter(submission__unit=unit, submission__month__lte=month)
        .select_related("submission", "entered_by")
        .order_by("submission__month")
    )
    value_ids = [str(v.pk) for v in values]
    submission_ids = [str(v.submission_id) for v in values]
    log = ChangeLog.objects.filter(
        Q(object_type="collection.value", object_id__in=value_ids)
        | Q(object_type="collection.submission", object_id__in=submission_ids)
    ).order_by("-at", "-id")
    adjustments = TargetAdjustment.objects.filter(target__indicator=ind, target__unit=unit).select_related(
        "requested_by", "decided_by"
    )
    context = {"unit": unit, "indicator": ind, "values": values, "log": log[:200], "adjustments": adjustments,
               "year": year, "month": month}  # fmt: skip
    return render(request, "assessment/history.html", context)
