"""The org tree's pages. Everyone with org.view sees the part of the tree in scope; the district admin
(org.manage) also creates, renames, moves, deactivates and deletes units and departments, each through the
org services with a reason in the change log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kaohe.accounts.access import NOT_FOUND, access_unit
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires
from kaohe.core.exceptions import ApplicationError
from kaohe.core.forms import attach_errors

from . import selectors, services
from .forms import DeactivateForm, DepartmentForm, ReasonForm, UnitForm
from .models import Department


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@requires("org.view")
def org_tree(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "roots": selectors.org_tree(user=user),
        "groups": selectors.org_groups(user=user),
        "departments": selectors.org_departments(),
        "can_manage": user.has_kaohe_perm("org.manage"),
    }
    return render(request, "org/tree.html", context)


@requires("org.view")
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access_unit(_user(request), code)
    children = unit.children.order_by("sort_order", "code")
    can_manage = _user(request).has_kaohe_perm("org.manage")
    return render(request, "org/unit_detail.html", {"unit": unit, "children": children, "can_manage": can_manage})


def _form_page(request: HttpRequest, form: Any, title: str, **extra: Any) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(request, "org/form.html", {"form": form, "title": title, **extra}, status=status)


@requires("org.manage")
def unit_create(request: HttpRequest) -> HttpResponse:
    form = UnitForm(request.POST or None, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(by=_user(request), reason=form.cleaned_data["reason"], **form.values())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已新建{unit.get_kind_display()}“{unit.name}”。")
            return HttpResponseRedirect(reverse("org:unit_detail", args=[unit.code]))
    return _form_page(request, form, "新建单位")


@requires("org.manage")
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = access_unit(_user(request), code)
    initial = {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_id,
               "group": unit.group_id, "is_assessed": unit.is_assessed, "sort_order": unit.sort_order}  # fmt: skip
    form = UnitForm(request.POST or None, unit=unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(unit=unit, data=form.values(), by=_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存“{unit.name}”的修改。")
            return HttpResponseRedirect(reverse("org:unit_detail", args=[unit.code]))
    return _form_page(request, form, f"修改单位：{unit.name}", unit=unit)


@requires("org.manage")
def unit_deactivate(request: HttpRequest, code: str) -> HttpResponse:
    unit = access_unit(_user(request), code)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_deactivate(
                unit=unit,
                from_year=form.cleaned_data["from_year"],
                by=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"“{unit.name}”自{unit.inactive_from}年起停用。")
            return HttpResponseRedirect(reverse("org:unit_detail", args=[unit.code]))
    return _form_page(request, form, f"停用单位：{unit.name}", unit=unit)


def _reasoned(request: HttpRequest, code: str, act: Any, done: str) -> HttpResponse:
    unit = access_unit(_user(request), code)
    form = ReasonForm(request.POST)
    name = unit.name
    if not form.is_valid():
        messages.error(request, "请填写原因。")
    else:
        try:
            act(unit=unit, by=_user(request), reason=form.cleaned_data["reason"])
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, exc.message if isinstance(exc, ApplicationError) else "；".join(exc.messages))
        else:
            messages.success(request, done.format(name=name))
            if act is services.unit_delete:
                return HttpResponseRedirect(reverse("org:tree"))
    return HttpResponseRedirect(reverse("org:unit_detail", args=[code]))


@requires("org.manage")
@require_POST
def unit_reactivate(request: HttpRequest, code: str) -> HttpResponse:
    return _reasoned(request, code, services.unit_reactivate, "已恢复“{name}”。")


@requires("org.manage")
@require_POST
def unit_delete(request: HttpRequest, code: str) -> HttpResponse:
    return _reasoned(request, code, services.unit_delete, "已删除“{name}”。")


@requires("org.manage")
def department_create(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(
                by=_user(request), reason=form.cleaned_data["reason"], **form.values()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已新建部门“{department.name}”。")
            return HttpResponseRedirect(reverse("org:tree"))
    return _form_page(request, form, "新建部门")


@requires("org.manage")
def department_edit(request: HttpRequest, department: str) -> HttpResponse:
    found = Department.objects.filter(code=department).first()
    if found is None:
        raise Http404(NOT_FOUND)
    initial = {"code": found.code, "name": found.name, "short_name": found.short_name, "sort_order": found.sort_order}
    form = DepartmentForm(request.POST or None, department=found, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(
                department=found, data=form.values(), by=_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存部门“{found.name}”的修改。")
            return HttpResponseRedirect(reverse("org:tree"))
    return _form_page(request, form, f"修改部门：{found.name}")
