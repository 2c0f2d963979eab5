"""Rate limits (SECURITY.md IV-8; issue 36): log-in attempts per client address, expensive exports per user.

A limit is N requests per window of S seconds (settings.KAOHE_RATE_LIMITS, from LOGIN_RATE_LIMIT and
EXPORT_RATE_LIMIT, written 20/60). Past it the view is not run: a Chinese 429 page with Retry-After.

The counts live in the shared cache (settings.CACHES["shared"]: Django's database cache by default, any other by
SHARED_CACHE_BACKEND), so every server process counts into the same window. Counting rests on the cache's `add`:
each request claims the next free numbered slot of its window, and `add` is atomic in every Django cache backend,
the database one included (its insert either creates the row or fails on the primary key), where the database
cache's `incr` is a read then a write that two processes can interleave."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

from .clients import client_address

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def clock() -> float:
    return time.time()


def rate_for(scope: str) -> Rate:
    count, seconds = settings.KAOHE_RATE_LIMITS[scope]
    return Rate(count, seconds)


def window_left(rate: Rate, now: float) -> int:
    """Seconds until the current window ends: what Retry-After says."""
    return rate.seconds - int(now) % rate.seconds


def hit(scope: str, ident: str, rate: Rate, *, now: float | None = None) -> bool:
    """Count one request of `ident` in `scope`; False once the window already holds `rate.count` of them.

    The claimed slots are always 0, 1, … n-1: a request claims the first free one at or after the hint (the next
    slot as last claimed), so the cost stays a few cache calls whatever the limit. The hint is written without a
    lock; a stale one only means a few more failed `add`s, never a slot counted twice or skipped."""
    now = clock() if now is None else now
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    base = f"kaohe-rate:{scope}:{digest}:{int(now) // rate.seconds}"
    cache = caches[settings.KAOHE_RATE_LIMIT_CACHE]
    # A window's keys live a little past it, so that clocks a second apart between processes still find them.
    timeout = rate.seconds + 5
    slot = int(cache.get(f"{base}:next", 0))
    while slot < rate.count:
        if cache.add(f"{base}:{slot}", 1, timeout=timeout):
            cache.set(f"{base}:next", slot + 1, timeout=timeout)
            return True
        slot += 1
    return False


def too_many(rate: Rate) -> HttpResponse:
    seconds = window_left(rate, clock())
    page = render_to_string("429.html", {"seconds": seconds, "rate": rate})
    response = HttpResponse(page, status=429)
    response["Retry-After"] = str(seconds)
    return response


def by_address(request: HttpRequest) -> str:
    return client_address(request)


def by_user(request: HttpRequest) -> str:
    user = request.user
    return f"user:{user.pk}" if user.is_authenticated else f"address:{client_address(request)}"


def rate_limited(scope: str, key: Callable[[HttpRequest], str], *, methods: tuple[str, ...] = ()) -> Callable[[V], V]:
    """Limit a view by settings.KAOHE_RATE_LIMITS[scope], counted per `key(request)`; only `methods` if given."""

    def decorator(view: V) -> V:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not methods or request.method in methods:
                rate = rate_for(scope)
                if not hit(scope, key(request), rate):
                    return too_many(rate)
            return view(request, *args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorator
