"""The client's address, as lockout (accounts.lockout) and rate limits (core.ratelimit) count it.

Behind a reverse proxy the connection's address is the proxy's, the same for everybody: counting by it would lock
the whole district out at once. With PROXY_COUNT proxies in front, each appending its peer to X-Forwarded-For, the
client is the PROXY_COUNT-th entry from the right; anything further left was written by the client and is not
trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "KAOHE_PROXY_COUNT", 0))
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
