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
    "org.manage": "管理组织机构（单位、分组、部门）",
    "scheme.view": "查看考核方案与目标",
    "scheme.manage": "编制与发布考核方案",
    "scheme.simulate": "模拟方案：测算并与正式成绩单对比",
    "target.adjust": "申请任务调整",
    "target.decide": "审批任务调整",
    "items.propose": "提出加扣分与否决",
    "items.decide": "审批加扣分与否决",
    "data.view": "查看填报数据",
    "scores.view": "查看成绩单与预警",
    "data.enter": "填报与提交数据",
    "data.review": "审核数据（通过或退回）",
    "data.unlock": "解锁已审核数据",
    "users.manage": "用户与权限管理",
    "audit.view": "查看审计日志",
    "system.view": "系统配置与状态",
}

_BUSINESS = frozenset({"home.view", "account.self", "org.view", "scheme.view", "data.view", "scores.view"})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: _BUSINESS
    | {
        "org.manage",
        "scheme.manage",
        "scheme.simulate",
        "target.adjust",
        "target.decide",
        "items.propose",
        "items.decide",
        "data.review",
        "data.unlock",
    },
    Role.DEPT_OFFICER: _BUSINESS | {"data.enter", "target.adjust", "items.propose"},
    Role.TOWNSHIP_CLERK: _BUSINESS | {"data.enter"},
    Role.TOWNSHIP_LEADER: _BUSINESS | {"data.enter", "target.adjust"},
    Role.DISTRICT_REVIEWER: _BUSINESS | {"data.review"},
    Role.DISTRICT_LEADER: _BUSINESS | {"scheme.simulate"},
    Role.SUPERVISOR: _BUSINESS,
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
