"""The current request's origin (IP, request id), for change-log rows written deep inside services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    ip: str | None
    request_id: str


current_origin: ContextVar[RequestOrigin | None] = ContextVar("kaohe_request_origin", default=None)
