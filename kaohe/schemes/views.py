"""Screens of the year's scheme: overview and publishing, indicators, the targets matrix, target adjustments and
bonus/deduction/veto records. Views parse, call one service and respond; every object comes through a gatekeeper.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kaohe.accounts.access import access_adjustment, access_indicator, access_item_record, access_target
from kaohe.accounts.models import User
from kaohe.accounts.permissions import requires, role_has
from kaohe.assessment.selectors import latest_month
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.forms import ACCEPT, MAX_UPLOAD_BYTES, PREVIEW, attach_errors, too_large
from kaohe.core.ledger_views import xlsx_download
from kaohe.core.ratelimit import by_user, rate_limited
from kaohe.core.services import changelog_record
from kaohe.lib import xlsx

from . import selectors, services
from .choices import RequestStatus
from .forms import (
    AdjustmentRequestForm,
    CategoryEditForm,
    CategoryForm,
    DecisionForm,
    IndicatorForm,
    ItemRecordForm,
    ItemTypeEditForm,
    ItemTypeForm,
    ScenarioForm,
    SchemeCopyForm,
    SchemeForm,
    SchemeSettingsForm,
    SchemeUploadForm,
    TargetMatrixForm,
)
from .models import Category, Indicator, ItemType, Scheme
from .rule_forms import GradeRuleForm, Preview, RuleForm, combo_parts, preview
from .workbook import SchemeReport, scheme_export, scheme_import

FROZEN = "{year}年考核方案已发布（冻结），不能再修改；目标变更请通过任务调整。"
STALE_MATRIX = "目标未保存：打开本页后，这些目标已被他人修改。下面是最新的目标，请核对后重新填写。"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _scheme(request: HttpRequest, ref: str) -> Scheme:
    """The scheme the address names; a scenario is seen only by those who may simulate (never by townships)."""
    scheme = selectors.scheme_by_ref(ref)
    if scheme is None or (scheme.is_scenario and not _can(request, "scheme.simulate")):
        raise Http404("没有这个考核方案。")
    return scheme


def _suffix(scheme: Scheme) -> str:
    return f"（模拟：{scheme.scenario}）" if scheme.is_scenario else ""


def _can(request: HttpRequest, permission: str) -> bool:
    return role_has(_user(request).role, permission)


def _frozen(request: HttpRequest, scheme: Scheme) -> HttpResponse:
    messages.warning(request, FROZEN.format(year=scheme.year))
    return redirect("schemes:detail", ref=scheme.ref)


# --- schemes ---------------------------------------------------------------------------------------------------------


@requires("scheme.view")
def scheme_list(request: HttpRequest) -> HttpResponse:
    context = {"schemes": selectors.scheme_list(), "can_manage": _can(request, "scheme.manage")}
    return render(request, "schemes/scheme_list.html", context)


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def scheme_create(request: HttpRequest) -> HttpResponse:
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scheme = services.scheme_create(
                year=data["year"], name=data["name"], grade_rule=form.grade_form.grade_rule, by=_user(request)
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已创建{scheme.year}年考核方案（草稿）。请先添加指标类别和指标。")
            return redirect("schemes:detail", ref=scheme.ref)
    return render(request, "schemes/form.html", {"form": form, "title": "新建考核方案"})


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def scheme_copy(request: HttpRequest, ref: str) -> HttpResponse:
    """A new draft year from this year's scheme (复制为新年度方案), targets by growth rate or as they were."""
    source = _scheme(request, ref)
    form = SchemeCopyForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.scheme_copy(
                source=source, year=data["year"], by=_user(request), growth=form.growth(), targets=data["targets"],
                name=data["name"],
            )  # fmt: skip
        except ValidationError as exc:
            attach_errors(form, exc)
        except ApplicationError as exc:
            form.add_error("year", exc.message)
        else:
            messages.success(request, selectors.copy_summary(made, source.year))
            if made.missing:
                messages.warning(request, "未设目标（上年无审核通过的12月数据）：" + "；".join(made.missing))
            return redirect("schemes:detail", ref=made.scheme.ref)
    title = f"由{source.year}年考核方案复制新年度方案（类别、指标、规则、分值、加扣分项和等次全部复制）"
    return render(request, "schemes/form.html", {"form": form, "scheme": source, "title": title})


@requires("scheme.view")
@rate_limited("export", by_user)
def workbook_export(request: HttpRequest, ref: str) -> HttpResponse:
    """The year's scheme as one workbook (考核方案工作簿), audited like every export (SECURITY.md AU-1)."""
    scheme = _scheme(request, ref)
    changelog_record(action=ChangeAction.EXPORT, by=_user(request), obj=scheme, object_repr=f"导出{scheme.label}工作簿")
    return xlsx_download(scheme_export(scheme), f"{scheme.year}年考核方案{_suffix(scheme)}.xlsx")


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def workbook_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form (year prefilled from ?year=). POST: 试导入 (check and report) or 导入 (all or nothing),
    through `scheme_import`, the same road as `kaohe scheme import`."""
    context: dict[str, Any] = {"accept": ACCEPT, "max_mb": MAX_UPLOAD_BYTES // xlsx.MB}
    if request.method != "POST":
        initial = {
            "year": request.GET.get("year") or timezone.localdate().year + 1,
            "scenario": request.GET.get("scenario"),
        }
        form = SchemeUploadForm(initial=initial)
        return render(request, "schemes/workbook.html", {**context, "form": form})
    form = SchemeUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "schemes/workbook.html", {**context, "form": form}, status=400)
    upload, year, scenario = form.cleaned_data["file"], form.cleaned_data["year"], form.cleaned_data["scenario"]
    dry_run = request.POST.get("action") == PREVIEW
    refused = too_large(upload.size)
    if refused:
        report = SchemeReport(
            year=year, filename=upload.name or "", dry_run=dry_run, ok=False, message=refused, scenario=scenario
        )
    else:
        try:
            data = upload.read()
        finally:
            upload.close()  # the uploaded bytes are never kept (SECURITY.md §6.5)
        report = scheme_import(
            data=data, filename=upload.name or "", year=year, by=_user(request), dry_run=dry_run, scenario=scenario
        )
    found = selectors.scenarios_of(year).filter(scenario=scenario.strip()).first() if scenario else None
    context.update(
        form=SchemeUploadForm(initial={"year": year, "scenario": scenario}), report=report, year=year,
        ref=found.ref if found else str(year),
    )  # fmt: skip
    return render(request, "schemes/workbook.html", context, status=200 if report.ok else 400)


@requires("scheme.view")
def scheme_detail(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    editable = not scheme.is_published and _can(request, "scheme.manage")
    context = {
        "scheme": scheme,
        "blocks": selectors.scheme_overview(scheme),
        "grade_text": selectors.describe_grade_rule(scheme.grade_rule),
        "total_points": services.points(scheme.total_points),
        "item_types": selectors.item_type_rows(scheme),
        # Only a draft has problems worth listing: a published scheme passed the same checks.
        "problems": [] if scheme.is_published else services.scheme_problems(scheme),
        "editable": editable,
        "can_manage": _can(request, "scheme.manage"),
        "can_simulate": _can(request, "scheme.simulate"),
        "scenarios": selectors.scenarios_of(scheme.year) if not scheme.is_scenario else [],
    }
    figures = selectors.figures_for(scheme) if _can(request, "scheme.simulate") else None
    if figures is not None:
        context.update(figures=figures, compare_month=latest_month(figures))
    return render(request, "schemes/scheme_detail.html", context)


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def scenario_create(request: HttpRequest, ref: str) -> HttpResponse:
    """建立模拟方案: a named copy of the year's official scheme (or of a scenario), to try rule and weight changes."""
    if not _can(request, "scheme.simulate"):
        raise Http404("页面不存在或您无权访问。")
    source = _scheme(request, ref)
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.scenario_create(source=source, name=form.cleaned_data["name"], by=_user(request))
        except ValidationError as exc:
            form.add_error("name", "；".join(exc.messages))
        else:
            messages.success(request, f"已建立模拟方案“{made.scenario}”。修改规则、分值或目标后，可与正式成绩单对比。")
            return redirect("schemes:detail", ref=made.ref)
    title = f"由{source.label}建立模拟方案（复制全部类别、指标、规则、分值、加扣分项和目标）"
    return render(request, "schemes/form.html", {"form": form, "title": title, "scheme": source})


@requires("scheme.manage")
@require_POST
def scheme_publish(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    try:
        services.scheme_publish(scheme=scheme, by=_user(request))
    except ApplicationError as exc:
        # The overview lists the problems one per line; the message only says why nothing happened.
        problems = exc.extra.get("problems")
        messages.error(request, "方案未发布：请先解决下列问题。" if problems else exc.message)
    else:
        messages.success(request, f"{scheme.year}年考核方案已发布。此后目标变更须提交任务调整。")
    return redirect("schemes:detail", ref=scheme.ref)


@requires("scheme.manage")
@require_POST
def scheme_return(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    try:
        services.scheme_return(scheme=scheme, reason=request.POST.get("reason", ""), by=_user(request))
    except ValidationError:
        messages.error(request, "方案未退回：请填写退回修改的理由。")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{scheme.year}年考核方案已退回修改。已填报的数据保留；改正后请重新发布。")
    return redirect("schemes:detail", ref=scheme.ref)


@requires("scheme.manage")
@require_POST
def scheme_four_eyes(request: HttpRequest, ref: str) -> HttpResponse:
    """Switch 四眼原则 on or off (off needs a reason); the scheme page shows which holds."""
    scheme = _scheme(request, ref)
    on = request.POST.get("on") == "1"
    try:
        services.scheme_four_eyes_set(scheme=scheme, on=on, by=_user(request), reason=request.POST.get("reason", ""))
    except ValidationError:
        messages.error(request, services.FOUR_EYES_REASON)
    else:
        messages.success(request, "四眼原则已开启。" if on else "四眼原则已关闭：本人审批将逐条记入审计日志。")
    return redirect("schemes:detail", ref=scheme.ref)


def _create_in_draft(
    request: HttpRequest, ref: str, form_class: Any, create: Any, what: str, title: str
) -> HttpResponse:
    """The shared shape of the draft-only "add a category / item type" pages: form → service → back to the scheme."""
    scheme = _scheme(request, ref)
    if scheme.is_published:
        return _frozen(request, scheme)
    form = form_class(request.POST or None, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            create(scheme=scheme, by=_user(request), **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已添加{what}“{form.cleaned_data['name']}”。")
            return redirect("schemes:detail", ref=ref)
    context = {"form": form, "title": f"{scheme.label} · {title}", "scheme": scheme}
    return render(request, "schemes/form.html", context)


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest, ref: str) -> HttpResponse:
    return _create_in_draft(request, ref, CategoryForm, services.category_create, "指标类别", "新增指标类别")


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def item_type_create(request: HttpRequest, ref: str) -> HttpResponse:
    return _create_in_draft(request, ref, ItemTypeForm, services.item_type_create, "加扣分项", "新增加分、扣分或否决项")


def _edit_in_draft(request: HttpRequest, scheme: Scheme, form: Any, save: Any, title: str) -> HttpResponse:
    """The shared shape of the draft-only edits: form → service (which logs before/after) → back to the scheme."""
    if scheme.is_published:
        return _frozen(request, scheme)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存：{title}。")
            return redirect("schemes:detail", ref=scheme.ref)
    return render(request, "schemes/form.html", {"form": form, "title": f"{scheme.label} · {title}", "scheme": scheme})


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    form = SchemeSettingsForm(request.POST or None, scheme=scheme)
    return _edit_in_draft(
        request, scheme, form,
        lambda _: services.scheme_update(scheme=scheme, data=form.model_data(), by=_user(request)),
        "修改名称、等次与设置",
    )  # fmt: skip


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, ref: str, category: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    found = get_object_or_404(Category, scheme=scheme, code=category)
    form = CategoryEditForm(request.POST or None, initial={"name": found.name, "sort_order": found.sort_order})
    return _edit_in_draft(
        request, scheme, form, lambda data: services.category_update(category=found, data=data, by=_user(request)),
        f"修改类别“{found.name}”",
    )  # fmt: skip


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def item_type_edit(request: HttpRequest, ref: str, item_type: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    found = get_object_or_404(ItemType, scheme=scheme, code=item_type)
    form = ItemTypeEditForm(request.POST or None, scheme=scheme, instance=found)
    return _edit_in_draft(
        request, scheme, form, lambda data: services.item_type_update(item_type=found, data=data, by=_user(request)),
        f"修改加扣分项“{found.name}”",
    )  # fmt: skip


def _delete(request: HttpRequest, scheme: Scheme, obj: Any, delete: Any, what: str) -> HttpResponse:
    """The shared shape of the draft-only deletes: the service refuses what may not go, in Chinese."""
    if scheme.is_published:
        return _frozen(request, scheme)
    name = obj.name
    try:
        delete(obj, by=_user(request), reason=request.POST.get("reason", "").strip())
    except (ApplicationError, ValidationError) as exc:
        text = exc.message if isinstance(exc, ApplicationError) else "；".join(exc.messages)
        messages.error(request, f"未删除{what}“{name}”：{text}")
    else:
        messages.success(request, f"已删除{what}“{name}”。")
    return redirect("schemes:detail", ref=scheme.ref)


@requires("scheme.manage")
@require_POST
def category_delete(request: HttpRequest, ref: str, category: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    found = get_object_or_404(Category, scheme=scheme, code=category)
    return _delete(request, scheme, found, lambda c, **kw: services.category_delete(category=c, **kw), "类别")


@requires("scheme.manage")
@require_POST
def item_type_delete(request: HttpRequest, ref: str, item_type: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    found = get_object_or_404(ItemType, scheme=scheme, code=item_type)
    return _delete(request, scheme, found, lambda t, **kw: services.item_type_delete(item_type=t, **kw), "加扣分项")


@requires("scheme.manage")
@require_POST
def indicator_delete(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = access_indicator(_user(request), indicator_id, "manage")
    return _delete(
        request, indicator.scheme, indicator, lambda i, **kw: services.indicator_delete(indicator=i, **kw), "指标"
    )


# --- indicators ------------------------------------------------------------------------------------------------------


RELATIVE_FAMILIES = ("efficacy", "rank_points", "share_of_total")  # scored against other townships' figures
RULE_ACTIONS = ("rule-add_row", "rule-remove_row", "rule-redraw")  # without JavaScript: redraw, do not save


def _indicator_form(request: HttpRequest, scheme: Scheme, indicator: Indicator | None) -> HttpResponse:
    redraw = request.method == "POST" and any(request.POST.get(a) for a in RULE_ACTIONS)
    rule_form = RuleForm.redraw(request.POST) if redraw else None
    form = IndicatorForm(request.POST or None, scheme=scheme, instance=indicator, rule_form=rule_form)
    if request.method == "POST" and not redraw and form.is_valid():
        try:
            saved = services.indicator_save(
                scheme=scheme, indicator=indicator, data=form.model_data(), group_weights=form.group_weights(),
                by=_user(request),
            )  # fmt: skip
        except (ValidationError, ApplicationError) as exc:
            if indicator is not None:
                indicator.refresh_from_db()  # the refused update had already set its fields on this object
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and "rule" in exc.error_dict:
                # The rule's refusal (the engine's, naming the indicator) belongs at the top of the rule block.
                for message in exc.message_dict["rule"]:
                    form.rule_form.add_error(None, message)
                rest = {k: v for k, v in exc.message_dict.items() if k != "rule"}
                if rest:
                    attach_errors(form, ValidationError(rest))
            elif isinstance(exc, ValidationError):
                attach_errors(form, exc)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存指标“{saved.name}”。")
            return redirect("schemes:detail", ref=scheme.ref)
    context = {
        "form": form,
        "scheme": scheme,
        "indicator": indicator,
        "relative_families": RELATIVE_FAMILIES,
        "combo_parts": combo_parts(form.rule_form),
    }
    return render(request, "schemes/indicator_form.html", context)


@requires("scheme.manage")
@require_POST
def rule_fields(request: HttpRequest) -> HttpResponse:
    """The rule block redrawn for another family or one row more or less (htmx), values kept."""
    form = RuleForm.redraw(request.POST)
    context = {"rule_form": form, "relative_families": RELATIVE_FAMILIES, "combo_parts": combo_parts(form)}
    return render(request, "schemes/_rule_form.html", context)


@requires("scheme.manage")
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """试算: the engine's points and explanation for the rule as typed and the sample numbers (htmx)."""
    form = RuleForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        result = Preview(False, "规则尚不完整：" + "；".join(errors))
    else:
        result = preview(form.rule, request.POST)
    return render(request, "schemes/_rule_preview.html", {"preview": result})


@requires("scheme.manage")
@require_POST
def grade_fields(request: HttpRequest) -> HttpResponse:
    """The grade rule block with one row more or less (htmx)."""
    return render(request, "schemes/_grade_rule_form.html", {"grade_form": GradeRuleForm(request.POST)})


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    if scheme.is_published:
        return _frozen(request, scheme)
    if not scheme.categories.exists():
        messages.warning(request, "请先添加指标类别，再添加指标。")
        return redirect("schemes:category_create", ref=ref)
    return _indicator_form(request, scheme, None)


@requires("scheme.manage")
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = access_indicator(_user(request), indicator_id, "manage")
    if indicator.scheme.is_published:
        return _frozen(request, indicator.scheme)
    return _indicator_form(request, indicator.scheme, indicator)


# --- targets ---------------------------------------------------------------------------------------------------------


def _matrix_page(
    request: HttpRequest, scheme: Scheme, category: Category | None, form: TargetMatrixForm | None = None
) -> HttpResponse:
    user = _user(request)
    matrix = form.matrix if form is not None else selectors.target_matrix(scheme, user, category)
    form = form or TargetMatrixForm(matrix)
    editable = not scheme.is_published and _can(request, "scheme.manage")
    # Django refuses a POST with more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS; edit one category at a time then.
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    too_big = editable and limit is not None and form.field_count > limit - 10
    context = {
        "scheme": scheme,
        "form": form,
        "matrix": matrix,
        "category": category,
        "categories": scheme.categories.order_by("sort_order", "code"),
        "editable": editable and not too_big,
        "too_big": too_big,
        "can_adjust": scheme.is_published and _can(request, "target.adjust"),
    }
    return render(request, "schemes/target_matrix.html", context)


def _category(scheme: Scheme, code: str | None) -> Category | None:
    return get_object_or_404(Category, scheme=scheme, code=code) if code else None


@requires("scheme.view")
def target_matrix(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    return _matrix_page(request, scheme, _category(scheme, request.GET.get("category")))


@requires("scheme.manage")
@require_POST
def target_matrix_save(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    if scheme.is_published:
        return _frozen(request, scheme)
    category = _category(scheme, request.POST.get("category"))
    matrix = selectors.target_matrix(scheme, _user(request), category)
    if request.POST.get("fingerprint") != matrix.fingerprint():
        # Another admin saved since this page was opened: saving now would silently undo his changes.
        messages.error(request, STALE_MATRIX)
        return _matrix_page(request, scheme, category)
    form = TargetMatrixForm(matrix, request.POST)
    if form.is_valid():
        try:
            count = services.targets_bulk_set(scheme=scheme, cells=form.cells, by=_user(request))
        except ApplicationError as exc:
            form.add_service_errors(exc.extra.get("errors", []))
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存 {count} 个目标。" if count else "没有修改任何目标。")
            query = f"?category={category.code}" if category else ""
            return redirect(reverse("schemes:targets", kwargs={"ref": ref}) + query)
    else:
        messages.error(request, f"目标未保存：{len(form.errors)} 处有误，请改正后重新提交（其余单元格也未保存）。")
    return _matrix_page(request, scheme, category, form)


@requires("scheme.view")
def target_detail(request: HttpRequest, target_id: int) -> HttpResponse:
    target = access_target(_user(request), target_id)
    adjustments, history = selectors.target_history(target)
    context = {
        "target": target,
        "scheme": target.indicator.scheme,
        "adjustments": adjustments,
        "history": history,
        "stages": selectors.stages_text(target.stages),
        "amount": selectors.num(target.amount),
        "stretch": selectors.num(target.stretch),
        "can_adjust": target.indicator.scheme.is_published and _can(request, "target.adjust"),
        "can_decide": _can(request, "target.decide"),
    }
    return render(request, "schemes/target_detail.html", context)


@requires("target.adjust")
@require_http_methods(["GET", "POST"])
def adjustment_request(request: HttpRequest, target_id: int) -> HttpResponse:
    target = access_target(_user(request), target_id, "adjust")
    scheme = target.indicator.scheme
    if not scheme.is_published:
        messages.warning(request, services.SCHEME_NOT_PUBLISHED.format(year=scheme.year))
        return redirect("schemes:target_detail", target_id=target.pk)
    form = AdjustmentRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.target_adjustment_request(
                target=target, effective_month=data["effective_month"], new_amount=data["new_amount"],
                new_stages=data["new_stages"], reason=data["reason"], evidence=data["evidence"], by=_user(request),
            )  # fmt: skip
        except ValidationError as exc:
            attach_errors(form, _adjustment_fields(exc))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "任务调整申请已提交，等待区考核办审批。")
            return redirect("schemes:target_detail", target_id=target.pk)
    context = {
        "target": target,
        "scheme": scheme,
        "form": form,
        "amount": selectors.num(target.amount),
        "stages": selectors.stages_text(target.stages),
    }
    return render(request, "schemes/adjustment_form.html", context)


def _adjustment_fields(exc: ValidationError) -> ValidationError:
    """The service names the target's fields (amount, stages); the form calls them new_amount, new_stages."""
    if not hasattr(exc, "error_dict"):
        return exc
    rename = {"amount": "new_amount", "stages": "new_stages"}
    return ValidationError({rename.get(k, k): v for k, v in exc.message_dict.items()})


@requires("scheme.view")
def adjustment_list(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    adjustments = selectors.adjustment_list(scheme, _user(request))
    context = {
        "scheme": scheme,
        "adjustments": adjustments,
        "pending": sum(1 for row in adjustments if row.adjustment.status == RequestStatus.PENDING),
        "can_decide": _can(request, "target.decide"),
    }
    return render(request, "schemes/adjustment_list.html", context)


def _decide(request: HttpRequest, approve: bool, done: str, decide: Callable[[str], object]) -> None:
    """One approval or return (DecisionForm: a return needs its note): `decide(note)` is the service; its refusal,
    or `done`, becomes the page's message."""
    form = DecisionForm(request.POST, approve=approve)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for e in form.errors["note"]))
        return
    try:
        decide(form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)


def _back(request: HttpRequest, default: str, **kwargs: object) -> HttpResponse:
    # Only two known places to go back to, never a URL taken from the request (no open redirect).
    if request.POST.get("back") == "target" and "target_id" in kwargs:
        return redirect("schemes:target_detail", target_id=kwargs["target_id"])
    return redirect(default, ref=kwargs["ref"])


@requires("target.decide")
@require_POST
def adjustment_decide(request: HttpRequest, adjustment_id: int, decision: str) -> HttpResponse:
    adjustment = access_adjustment(_user(request), adjustment_id, "decide")
    approve = decision == "approve"
    what = f"{adjustment.target.unit.name} · {adjustment.target.indicator.name}"
    _decide(
        request, approve, f"已批准任务调整：{what}。" if approve else f"已驳回任务调整：{what}。",
        lambda note: services.target_adjustment_decide(
            adjustment=adjustment, approve=approve, note=note, by=_user(request)
        ),
    )  # fmt: skip
    return _back(
        request, "schemes:adjustment_list", ref=adjustment.target.indicator.scheme.ref, target_id=adjustment.target_id
    )


def _evidence(file_field: object) -> HttpResponseBase | None:
    name = getattr(file_field, "name", "")
    if not name:
        return None
    # Always a download, never rendered inline: an uploaded file must not run in our origin.
    return FileResponse(file_field.open("rb"), as_attachment=True, filename=Path(name).name)  # type: ignore[attr-defined]


@requires("scheme.view")
def adjustment_evidence(request: HttpRequest, adjustment_id: int) -> HttpResponseBase:
    adjustment = access_adjustment(_user(request), adjustment_id)
    response = _evidence(adjustment.evidence)
    if response is None:
        messages.info(request, "该任务调整没有上传依据材料。")
        return redirect("schemes:target_detail", target_id=adjustment.target_id)
    return response


# --- bonus, deduction and veto records -------------------------------------------------------------------------------


@requires("scheme.view")
def item_list(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    records = selectors.item_record_list(scheme, _user(request))
    context = {
        "scheme": scheme,
        "records": records,
        "pending": sum(1 for row in records if row.record.status == RequestStatus.PENDING),
        "can_propose": _can(request, "items.propose"),
        "can_decide": _can(request, "items.decide"),
    }
    return render(request, "schemes/item_list.html", context)


@requires("items.propose")
@require_http_methods(["GET", "POST"])
def item_propose(request: HttpRequest, ref: str) -> HttpResponse:
    scheme = _scheme(request, ref)
    user = _user(request)
    form = ItemRecordForm(
        request.POST or None, request.FILES or None,
        item_types=selectors.proposable_item_types(scheme, user), units=selectors.proposable_units(scheme, user),
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.item_record_propose(
                item_type=data["item_type"], unit=data["unit"], month=data["month"], points=data["points"],
                reason=data["reason"], evidence=data["evidence"], by=user,
            )  # fmt: skip
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已提出{record.item_type.get_kind_display()}：{record.unit.name}，等待审批。")
            return redirect("schemes:item_list", ref=ref)
    context = {
        "form": form,
        "title": f"{scheme.year}年 · 提出加分、扣分或一票否决",
        "scheme": scheme,
        "multipart": True,
    }
    return render(request, "schemes/form.html", context)


@requires("items.decide")
@require_POST
def item_decide(request: HttpRequest, record_id: int, decision: str) -> HttpResponse:
    record = access_item_record(_user(request), record_id, "decide")
    approve = decision == "approve"
    what = f"{record.unit.name} · {record.item_type.name}"
    _decide(
        request, approve, f"已批准：{what}。" if approve else f"已驳回：{what}。",
        lambda note: services.item_record_decide(record=record, approve=approve, note=note, by=_user(request)),
    )  # fmt: skip
    return redirect("schemes:item_list", ref=record.item_type.scheme.ref)


@requires("scheme.view")
def item_evidence(request: HttpRequest, record_id: int) -> HttpResponseBase:
    record = access_item_record(_user(request), record_id)
    response = _evidence(record.evidence)
    if response is None:
        messages.info(request, "该记录没有上传佐证材料。")
        return redirect("schemes:item_list", ref=record.item_type.scheme.ref)
    return response
