"""`kaohe check`: settings that would quietly weaken a control, named in Chinese."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

# Caches each server process keeps to itself (or none at all): rate-limit counts there are not shared.
UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "只在单个进程内有效",
    "django.core.cache.backends.dummy.DummyCache": "不保存任何数据",
    "django.core.cache.backends.filebased.FileBasedCache": "计数不是原子操作",
}


@checks.register(checks.Tags.security, checks.Tags.caches)
def rate_limit_cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    backend = str(settings.CACHES[settings.KAOHE_RATE_LIMIT_CACHE]["BACKEND"])
    why = UNSHARED_CACHES.get(backend)
    if why is None:
        return []
    return [
        checks.Warning(
            f"限流计数使用的共享缓存 {backend} {why}，多个服务进程会各自计数，限流形同虚设。",
            hint="SHARED_CACHE_BACKEND 留空即使用数据库缓存表，或设为各进程共用的 Redis、Memcached。",
            id="kaohe.W001",
        )
    ]


@checks.register(checks.Tags.security)
def application_role_cannot_rewrite_the_change_log(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """PostgreSQL: the server's role must not own the change log (nor be a superuser), or its triggers protect
    nothing (SECURITY.md AU-3). A database that cannot be reached is the business of other checks."""
    from django.db import DatabaseError, connection

    from kaohe.core.database import changelog_owner_problem

    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            problem = changelog_owner_problem(cursor)
    except DatabaseError:
        return []
    if problem is None:
        return []
    return [
        checks.Warning(
            problem,
            hint="按 docs/deployment.md 建立两个角色：所有者角色只用于 kaohe migrate（DATABASE_OWNER_URL），"
            "服务以不拥有任何表的应用角色连接（DATABASE_URL）。",
            id="kaohe.W002",
        )
    ]
