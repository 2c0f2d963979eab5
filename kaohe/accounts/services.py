"""Account writes: create, edit, unlock, change password, and the login/logout audit trail."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.services import changelog_record, snapshot

from .models import User

CONTROL = re.compile(r"[\x00-\x1f\x7f]")

USER_FIELDS = ("username", "full_name", "role", "unit", "department", "is_active")


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    by: User | None,
    full_name: str = "",
    unit_id: int | None = None,
    department_id: int | None = None,
    is_active: bool = True,
    reason: str = "",
) -> User:
    """Create an account with a validated password; `by` is None only for the first administrator."""
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        unit_id=unit_id,
        department_id=department_id,
        is_active=is_active,
    )
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(f"用户名 {username} 已被使用（用户名不区分大小写）。")
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    changelog_record(action=ChangeAction.CREATE, by=by, obj=user, after=snapshot(user, USER_FIELDS), reason=reason)
    return user


@transaction.atomic
def user_update(*, user: User, by: User, data: dict[str, object], password: str = "", reason: str = "") -> User:
    """Change an account's profile, role, scope or status; a new password is validated first."""
    before = snapshot(user, USER_FIELDS)
    for field, value in data.items():
        setattr(user, field, value)
    if password:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean()
    user.save()
    after = snapshot(user, USER_FIELDS)
    if password:
        before["password"], after["password"] = "（旧）", "（已重置）"
    changelog_record(action=ChangeAction.UPDATE, by=by, obj=user, before=before, after=after, reason=reason)
    return user


@transaction.atomic
def user_unlock(*, user: User, by: User, reason: str) -> int:
    """Lift a login lockout before its 30 minutes are over; returns how many failures were cleared."""
    from axes.utils import reset

    if not reason.strip():
        raise ApplicationError("解除锁定必须填写原因。")
    cleared = int(reset(username=user.username.lower()))
    changelog_record(action=ChangeAction.UNLOCK, by=by, obj=user, reason=reason)
    return cleared


@transaction.atomic
def user_change_own_password(*, user: User, new_password: str) -> None:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    changelog_record(action=ChangeAction.PASSWORD, by=user, obj=user)


def login_record(*, user: User) -> None:
    changelog_record(action=ChangeAction.LOGIN, by=user, obj=user)


def logout_record(*, user: User) -> None:
    changelog_record(action=ChangeAction.LOGOUT, by=user, obj=user)


def loggable_username(raw: str) -> str:
    """A typed log-in name as the audit log can hold it: control characters shown as U+FFFD, at most 150 long."""
    return CONTROL.sub("\ufffd", raw)[:150]


def login_failure_record(*, username: str, locked: bool = False) -> None:
    """Every failed log-in is audited, whatever was typed as the name (NUL and control characters included)."""
    name = loggable_username(username)
    changelog_record(
        action=ChangeAction.LOCKOUT if locked else ChangeAction.LOGIN_FAILED,
        by=None,
        username=name,
        object_type="accounts.user",
        object_repr=name,
        success=False,
    )
