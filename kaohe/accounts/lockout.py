"""Login lockout (SECURITY.md IA-4; issue 36): what failed log-ins are counted by, and when they lock.

Failures are counted twice: by the account's normalised name (accounts.names), wherever they come from, and by the
client's address (core.clients), whatever names were tried. A name locks after LOGIN_FAILURE_LIMIT failures; an
address after LOGIN_ADDRESS_FAILURE_LIMIT, a larger number, because a township office sits behind one address and
its clerks' typing mistakes add up there. The three separated admins (三员) are never locked by name alone, only
by name at one address and by address: whoever guesses at the security admin's name locks himself out, not the
security admin, who can still log in from his own desk and unlock the rest.

A successful log-in clears the failures of its own name only (accounts.services.login_record), never an address's:
otherwise an attacker with any account of his own could wipe the count of his guesses at other names."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt, AccessBase
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from .choices import SEPARATED_ADMIN_ROLES
from .names import username_key

NAME = "username"
ADDRESS = "ip_address"
NAME_AT_ADDRESS = [NAME, ADDRESS]
Parameters = list[str | list[str]]


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Lockout counts per account key: every spelling that logs in as a user counts against his lock, the dotless
    ı, upper case and full width included."""
    from .services import loggable_username

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return loggable_username(username_key(str(username)))


def _is_separated_admin(key: str) -> bool:
    from .models import User

    return User.objects.filter(username_key=key, role__in=SEPARATED_ADMIN_ROLES).exists()


def lockout_parameters(
    request_or_attempt: HttpRequest | AccessBase, credentials: dict[str, Any] | None = None
) -> Parameters:
    """AXES_LOCKOUT_PARAMETERS: by name and by address; a separated admin by name at an address and by address."""
    if isinstance(request_or_attempt, AccessBase):
        key = request_or_attempt.username or ""
    else:
        key = axes_username(request_or_attempt, credentials)
    memo: dict[str, Parameters] = getattr(request_or_attempt, "_kaohe_lockout", {})
    if key not in memo:
        memo[key] = [NAME_AT_ADDRESS, ADDRESS] if key and _is_separated_admin(key) else [NAME, ADDRESS]
        setattr(request_or_attempt, "_kaohe_lockout", memo)  # noqa: B010 - a memo on the request, for this one log-in
    return memo[key]


def address_failure_limit() -> int:
    return int(settings.KAOHE_ADDRESS_FAILURE_LIMIT)


def cool_off_start() -> Any:
    return timezone.now() - settings.AXES_COOLOFF_TIME


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes ships no type hints
    """Axes' database handler, with an address held against its own, larger limit."""

    def failure_counts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> list[tuple[Any, int]]:
        parameters = lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        return [
            (parameter, int(rows.aggregate(total=Sum("failures_since_start"))["total"] or 0))
            for parameter, rows in zip(parameters, attempts, strict=True)
        ]

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The name's failures; an address past its own limit counts as the name limit reached."""
        limit = get_failure_limit(request, credentials)
        worst = 0
        for parameter, count in self.failure_counts(request, credentials):
            if parameter == ADDRESS:
                worst = max(worst, limit if count >= address_failure_limit() else 0)
            else:
                worst = max(worst, count)
        return worst

    def address_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return any(p == ADDRESS and n >= address_failure_limit() for p, n in self.failure_counts(request, credentials))


def locked_names() -> set[str]:
    """The account keys locked now by their own failures (name-wide), for the security admin's user list."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=cool_off_start())
        .values("username")
        .annotate(total=Sum("failures_since_start"))
    )
    from .models import User

    over = {r["username"] for r in rows if r["username"] and r["total"] >= settings.AXES_FAILURE_LIMIT}
    admins = User.objects.filter(username_key__in=over, role__in=SEPARATED_ADMIN_ROLES)
    return over - set(admins.values_list("username_key", flat=True))


def locked_addresses() -> list[tuple[str, int]]:
    """Addresses locked now, with their failure counts, busiest first."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=cool_off_start())
        .values("ip_address")
        .annotate(total=Sum("failures_since_start"))
        .order_by("-total", "ip_address")
    )
    limit = address_failure_limit()
    return [(r["ip_address"], int(r["total"])) for r in rows if r["ip_address"] and r["total"] >= limit]
