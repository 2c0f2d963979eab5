"""Gatekeepers: the one way views reach a single object. Out of scope answers 404, never 403."""

from __future__ import annotations

from django.http import Http404

from kaohe.org.models import Unit

from .models import User
from .permissions import role_has

NOT_FOUND = "页面不存在或您无权访问。"


def access_unit(user: User, code: str, action: str = "view") -> Unit:
    """The unit with this code if `user` may `action` it; 404 otherwise (also for unknown codes)."""
    if action != "view":
        raise Http404(NOT_FOUND)
    try:
        return Unit.objects.visible_to(user).select_related("parent", "group").get(code=code)
    except Unit.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_user(user: User, pk: int, action: str = "manage") -> User:
    """Accounts are managed by the security admin only (三员分立)."""
    if not role_has(user.role, "users.manage"):
        raise Http404(NOT_FOUND)
    try:
        return User.objects.select_related("unit", "department").get(pk=pk)
    except User.DoesNotExist:
        raise Http404(NOT_FOUND) from None
