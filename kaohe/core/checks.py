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
