"""What each role may do, and the decorators every view uses to declare its permission.

A view without a declaration is a bug: the route-inventory test walks the URL resolver and fails on
any view that has no `kaohe_permission` attribute. Anything a user may not do answers 404, so the
existence of other townships' objects does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .choices import Role

PUBLIC = "public"

PERMISSION_LABELS: dict[str, str] = {
    "home.view": "首页",
    "account.self": "本人账户",
    "org.view": "查看组织机构",
    "users.manage": "用户与权限管理",
    "audit.view": "查看审计日志",
    "system.view": "系统配置与状态",
}

_BUSINESS = {"home.view", "account.self", "org.view"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(_BUSINESS),
    Role.DEPT_OFFICER: frozenset(_BUSINESS),
    Role.TOWNSHIP_CLERK: frozenset(_BUSINESS),
    Role.TOWNSHIP_LEADER: frozenset(_BUSINESS),
    Role.DISTRICT_REVIEWER: frozenset(_BUSINESS),
    Role.DISTRICT_LEADER: frozenset(_BUSINESS),
    Role.SUPERVISOR: frozenset(_BUSINESS),
    Role.SYSTEM_ADMIN: frozenset({"home.view", "account.self", "system.view"}),
    Role.SECURITY_ADMIN: frozenset({"home.view", "account.self", "users.manage"}),
    Role.AUDIT_ADMIN: frozenset({"home.view", "account.self", "audit.view"}),
}

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def role_has(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def requires(permission: str) -> Callable[[V], V]:
    """Declare and enforce the permission a view needs; without it the view answers 404."""
    if permission not in PERMISSION_LABELS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated or not role_has(getattr(user, "role", ""), permission):
                raise Http404("页面不存在或您无权访问。")
            return view(request, *args, **kwargs)

        wrapped.kaohe_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: V) -> V:
    """Declare a view that anyone may open without logging in (login page, health check)."""
    view = login_not_required(view)
    view.kaohe_permission = PUBLIC  # type: ignore[attr-defined]
    return view
