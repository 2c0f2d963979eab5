from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.accounts.access import access_unit
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires

from . import selectors


@requires("org.view")
def org_tree(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "roots": selectors.org_tree(user=user),
        "groups": selectors.org_groups(user=user),
        "departments": selectors.org_departments(),
        "can_manage": user.has_kaohe_perm("org.manage"),
    }
    return render(request, "org/tree.html", context)


@requires("org.view")
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access_unit(request.user, code)  # type: ignore[arg-type]
    children = unit.children.order_by("sort_order", "code")
    return render(request, "org/unit_detail.html", {"unit": unit, "children": children})
