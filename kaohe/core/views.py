"""The audit admin's change-log reader and the system admin's status page."""

from __future__ import annotations

import platform

import django
from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.accounts.permissions import requires

from .choices import ChangeAction
from .models import ChangeLog


@requires("audit.view")
def changelog_list(request: HttpRequest) -> HttpResponse:
    rows = ChangeLog.objects.select_related("actor").order_by("-at", "-id")
    action = request.GET.get("action", "")
    username = request.GET.get("user", "").strip()
    if action in ChangeAction.values:
        rows = rows.filter(action=action)
    if username:
        rows = rows.filter(actor_username__icontains=username)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/changelog_list.html",
        {"page": page, "actions": ChangeAction.choices, "action": action, "username": username},
    )


@requires("system.view")
def system_status(request: HttpRequest) -> HttpResponse:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    info = [
        ("数据库", "PostgreSQL" if connection.vendor == "postgresql" else "SQLite（嵌入式）"),
        ("待执行的数据库迁移", str(len(pending))),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("时区", settings.TIME_ZONE),
        ("调试模式", "开启" if settings.DEBUG else "关闭"),
        ("会话空闲超时", f"{settings.SESSION_COOKIE_AGE // 60} 分钟"),
        (
            "登录失败锁定",
            f"同一账号 {settings.AXES_FAILURE_LIMIT} 次、同一地址 {settings.KAOHE_ADDRESS_FAILURE_LIMIT} 次失败后锁定 "
            f"{int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} 分钟",
        ),
    ]
    return render(request, "core/system_status.html", {"info": info})
