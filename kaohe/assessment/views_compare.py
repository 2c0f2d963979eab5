"""模拟: a proposed scheme (a scenario, or next year's draft) beside the official 成绩单 of a past month."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kaohe.accounts.permissions import requires
from kaohe.schemes.models import Scheme
from kaohe.schemes.selectors import figures_for, scheme_by_ref

from . import selectors

NOT_FOUND = "页面不存在或您无权访问。"


def _proposal(ref: str) -> tuple[Scheme, Scheme]:
    """The proposal the address names and the published scheme whose approved figures it is compared on."""
    proposed = scheme_by_ref(ref)
    figures = figures_for(proposed) if proposed is not None else None
    if proposed is None or figures is None:
        raise Http404(NOT_FOUND)
    return proposed, figures


@requires("scheme.simulate")
def compare_latest(request: HttpRequest, ref: str) -> HttpResponse:
    proposed, figures = _proposal(ref)
    month = selectors.latest_month(figures)
    if month is None:
        return render(request, "assessment/empty.html", {"reason": f"{figures.year}年还没有已审核的数据，无法对比。"})
    return redirect("assessment:compare", ref=proposed.ref, month=month)


@requires("scheme.simulate")
def compare(request: HttpRequest, ref: str, month: int) -> HttpResponse:
    if not 1 <= month <= 12:
        raise Http404(NOT_FOUND)
    proposed, figures = _proposal(ref)
    found = selectors.compare(proposed=proposed, figures=figures, month=month)
    latest = selectors.latest_month(figures) or month
    context = {
        "found": found,
        "proposed": proposed,
        "figures": figures,
        "month": month,
        "months": range(1, max(latest, month) + 1),
        "changed": len(found.changed),
    }
    return render(request, "assessment/compare.html", context)
