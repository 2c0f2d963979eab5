"""Log-in, log-out, own password, and the security admin's account management."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from kaohe.core.exceptions import ApplicationError
from kaohe.core.ratelimit import by_address, rate_limited

from . import lockout, services
from .access import access_user
from .forms import LoginForm, OwnPasswordForm, UserForm
from .middleware import RENEWED
from .models import User
from .permissions import public, requires

LOCKED_MESSAGE = "该账号连续 {limit} 次登录失败，已被锁定 {minutes} 分钟。请稍后再试，或联系安全管理员解锁。"
ADDRESS_LOCKED_MESSAGE = (
    "本机所在地址登录失败次数过多（{limit} 次），已暂停从该地址登录 {minutes} 分钟。请稍后再试，或联系安全管理员解除。"
)


def locked_message(*, address: bool = False) -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if address:
        return ADDRESS_LOCKED_MESSAGE.format(limit=lockout.address_failure_limit(), minutes=minutes)
    return LOCKED_MESSAGE.format(limit=settings.AXES_FAILURE_LIMIT, minutes=minutes)


class KaoheLoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        services.login_record(user=form.get_user())
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        services.login_failure_record(username=str(form.data.get("username", "")))
        return super().form_invalid(form)


# Log-in posts are limited per client address (SECURITY.md IV-8), on top of the lockout (accounts.lockout).
login_view = public(rate_limited("login", by_address, methods=("POST",))(KaoheLoginView.as_view()))


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """What axes answers for a locked name or address: the login page with a clear Chinese message."""
    username = str(request.POST.get("username", ""))
    services.login_failure_record(username=username, locked=True)
    form = LoginForm(request)
    message = locked_message(address=lockout.LockoutHandler().address_locked(request, credentials))
    return render(request, "accounts/login.html", {"form": form, "locked_message": message}, status=403)


@requires("account.self")
@require_POST
def session_renew(request: HttpRequest) -> HttpResponse:
    """续期: the page's keep-alive before the idle timeout. Any request renews the session (SessionRenewalMiddleware);
    this one marks it modified so the new expiry is saved now, and answers how many seconds are left."""
    request.session[RENEWED] = int(time.time())
    return JsonResponse({"seconds": request.session.get_expiry_age()})


@requires("account.self")
@require_POST
def logout_view(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        services.logout_record(user=request.user)
    return auth_views.LogoutView.as_view()(request)


@requires("account.self")
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = OwnPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_own_password(user=user, new_password=form.cleaned_data["new_password1"])
        except ApplicationError as exc:
            form.add_error("new_password1", exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form, "one_time": user.password_one_time})


@requires("users.manage")
def user_list(request: HttpRequest) -> HttpResponse:
    users = User.objects.select_related("unit", "department").order_by("role", "username")
    locked = lockout.locked_names()
    rows = [(u, u.username_key in locked) for u in users]
    context = {"rows": rows, "addresses": lockout.locked_addresses()}
    return render(request, "accounts/user_list.html", context)


@requires("users.manage")
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_create(
                username=data["username"],
                password=data["password"],
                role=data["role"],
                full_name=data["full_name"],
                unit_id=data["unit"].pk if data["unit"] else None,
                department_id=data["department"].pk if data["department"] else None,
                is_active=data["is_active"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已创建账号 {data['username']}。")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "title": "新建账号"})


@requires("users.manage")
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = access_user(request.user, user_id)  # type: ignore[arg-type]
    form = UserForm(request.POST or None, instance=User.objects.get(pk=target.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=target,
                by=request.user,  # type: ignore[arg-type]
                data={k: data[k] for k in ("username", "full_name", "role", "unit", "department", "is_active")},
                password=data.get("password") or "",
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存账号 {target.username}。")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "title": f"编辑账号 {target.username}"})


@requires("users.manage")
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    target = access_user(request.user, user_id)  # type: ignore[arg-type]
    by: User = request.user  # type: ignore[assignment]
    return _unlock(
        request,
        lambda reason: services.user_unlock(user=target, by=by, reason=reason),
        done=f"已解除账号 {target.username} 的锁定。",
    )


@requires("users.manage")
@require_POST
def address_unlock(request: HttpRequest) -> HttpResponse:
    address = request.POST.get("address", "")
    by: User = request.user  # type: ignore[assignment]
    return _unlock(
        request,
        lambda reason: services.address_unlock(address=address, by=by, reason=reason),
        done=f"已解除地址 {address} 的登录暂停。",
    )


def _unlock(request: HttpRequest, unlock: Callable[[str], object], *, done: str) -> HttpResponse:
    """Either unlock: with the reason the security admin gave, back to the user list with what happened."""
    try:
        unlock(request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("accounts:user_list"))


def _attach_errors(form: UserForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        # Only the password validators raise a plain list of messages.
        form.add_error("password", exc.messages)
