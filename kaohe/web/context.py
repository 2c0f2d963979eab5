"""The left menu, built from the user's permissions so nobody sees a link he may not open."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from kaohe.accounts.permissions import role_has

MENU: list[tuple[str, str, str]] = [
    ("首页", "home", "home.view"),
    ("成绩单", "assessment:index", "scores.view"),
    ("驾驶舱", "assessment:dashboard_index", "scores.view"),
    ("组织机构", "org:tree", "org.view"),
    ("考核方案", "schemes:list", "scheme.view"),
    ("数据采集与审核", "collection:index", "data.view"),
    ("Excel 导入", "excel:index", "data.view"),
    ("用户与权限", "accounts:user_list", "users.manage"),
    ("审计日志", "core:changelog_list", "audit.view"),
    ("系统状态", "core:system_status", "system.view"),
    ("修改密码", "accounts:password_change", "account.self"),
]


@functools.cache
def _url(name: str, prefix: str) -> str:
    """A menu address, reversed once per process and script prefix (every page shows the menu; reversing its ten
    links on each request cost more than a cached page's content)."""
    return reverse(name)


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": _menu(request, user), "idle_seconds": settings.SESSION_COOKIE_AGE}


def _menu(request: HttpRequest, user: Any) -> list[dict[str, str | bool]]:
    path = request.path
    items: list[dict[str, str | bool]] = [
        {"label": label, "url": _url(name, get_script_prefix()), "active": False}
        for label, name, permission in MENU
        if role_has(user.role, permission)
    ]
    # The longest menu address the current page starts with is the active one (驾驶舱 lives under 成绩单's path).
    matches = [i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(str(i["url"])))]
    if matches:
        max(matches, key=lambda item: len(str(item["url"])))["active"] = True
    return items
