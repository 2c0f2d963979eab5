"""Account writes: create, edit, unlock, change password, and the login/logout audit trail."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.services import changelog_record, snapshot

from .choices import Role
from .models import User
from .names import username_key

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# 三员 (SECURITY.md AC-5): their accounts are made, re-roled and reset only on the server's command line, so that
# no web session — the security admin's included — can create or become one.
SERVER_ONLY_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
SERVER_ONLY = (
    "系统管理员、安全管理员、审计管理员账号只能在服务器上用 kaohe createadmin 创建、用 kaohe resetpassword 重置密码，"
    "不能在网页上设置或修改。"
)
OWN_ACCOUNT = "不能修改本人账号的角色、所属单位或部门、启用状态（AC-6）：请由另一位安全管理员办理。"
SCOPE_FIELDS = ("role", "unit", "department", "is_active")

USER_FIELDS = ("username", "full_name", "role", "unit", "department", "is_active")


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
    """Create an account with a validated password; `by` is None on the server's command line (createadmin), the
    only place an account of the three admin roles is made."""
    if by is not None and role in SERVER_ONLY_ROLES:
        _refuse(by, None, SERVER_ONLY, {"username": username, "role": role})
    with transaction.atomic():
        return _user_create(
            username=username, password=password, role=role, by=by, full_name=full_name, unit_id=unit_id,
            department_id=department_id, is_active=is_active, reason=reason,
        )  # fmt: skip


def _user_create(
    *, username: str, password: str, role: str, by: User | None, full_name: str, unit_id: int | None,
    department_id: int | None, is_active: bool, reason: str,
) -> User:  # fmt: skip
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        unit_id=unit_id,
        department_id=department_id,
        is_active=is_active,
        # Set by the security admin, the first password is his, not the user's: it must be replaced at first login.
        password_one_time=by is not None,
    )
    if User.objects.filter(username_key=username_key(username)).exists():
        raise ApplicationError(f"用户名 {username} 已被使用（用户名不区分大小写、全角半角）。")
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    changelog_record(action=ChangeAction.CREATE, by=by, obj=user, after=snapshot(user, USER_FIELDS), reason=reason)
    return user


def _refuse(by: User, user: User | None, message: str, attempt: dict[str, object]) -> None:
    """Log a refused escalation (who tried what on whom), outside any transaction that will roll back, and raise."""
    changelog_record(
        action=ChangeAction.REFUSED, by=by, obj=user or by, after={k: str(v) for k, v in attempt.items()},
        reason=message,
    )  # fmt: skip
    raise ApplicationError(message)


def user_update(*, user: User, by: User | None, data: dict[str, object], password: str = "", reason: str = "") -> User:
    """Change an account's profile, role, scope or status; a new password is validated first and is a one-time
    password (whoever set it, the web's security admin or `kaohe resetpassword`, knows it). From the web (`by`
    set) nobody changes his own role, scope or status, and no account of the three admin roles is given, taken
    out of, or reset; each refusal is logged."""
    if by is not None:
        changed = {k: v for k, v in data.items() if getattr(user, k) != v}
        if user.pk == by.pk and set(changed) & set(SCOPE_FIELDS):
            _refuse(by, user, OWN_ACCOUNT, changed)
        if user.role in SERVER_ONLY_ROLES and (password or set(changed) & set(SCOPE_FIELDS)):
            _refuse(by, user, SERVER_ONLY, {**changed, **({"password": "（重置）"} if password else {})})
        if data.get("role") in SERVER_ONLY_ROLES and "role" in changed:
            _refuse(by, user, SERVER_ONLY, changed)
    return _user_update(user=user, by=by, data=data, password=password, reason=reason)


@transaction.atomic
def _user_update(*, user: User, by: User | None, data: dict[str, object], password: str, reason: str) -> User:
    before = snapshot(user, USER_FIELDS)
    for field, value in data.items():
        setattr(user, field, value)
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.password_one_time = True
    user.full_clean()
    user.save()
    after = snapshot(user, USER_FIELDS)
    if password:
        before["password"], after["password"] = "（旧）", "（已重置，一次性密码）"
    changelog_record(action=ChangeAction.UPDATE, by=by, obj=user, before=before, after=after, reason=reason)
    return user


@transaction.atomic
def user_unlock(*, user: User, by: User, reason: str) -> int:
    """Lift a login lockout before its 30 minutes are over; returns how many failures were cleared."""
    from axes.utils import reset

    if not reason.strip():
        raise ApplicationError("解除锁定必须填写原因。")
    cleared = int(reset(username=user.username_key))
    changelog_record(action=ChangeAction.UNLOCK, by=by, obj=user, reason=reason)
    return cleared


def address_unlock(*, address: str, by: User, reason: str) -> int:
    """Lift an address's login pause (accounts.lockout) before its time is over; returns the failures cleared."""
    import ipaddress

    from axes.utils import reset

    if not reason.strip():
        raise ApplicationError("解除锁定必须填写原因。")
    try:
        address = str(ipaddress.ip_address(address.strip()))
    except ValueError:
        raise ApplicationError("地址格式不正确。") from None
    cleared = int(reset(ip=address))
    changelog_record(
        action=ChangeAction.UNLOCK, by=by, object_type="accounts.address", object_id=address, object_repr=address,
        reason=reason,
    )  # fmt: skip
    return cleared


SAME_PASSWORD = "新密码不能与原密码相同。"


@transaction.atomic
def user_change_own_password(*, user: User, new_password: str) -> None:
    """The owner's own password; it replaces a one-time password, so it must differ from it."""
    if user.check_password(new_password):
        raise ApplicationError(SAME_PASSWORD)
    validate_password(new_password, user)
    was_one_time = user.password_one_time
    user.set_password(new_password)
    user.password_one_time = False
    user.save(update_fields=["password", "password_one_time"])
    reason = "替换一次性密码" if was_one_time else ""
    changelog_record(action=ChangeAction.PASSWORD, by=user, obj=user, reason=reason)


def login_record(*, user: User) -> None:
    """A successful log-in clears its own name's failures, at every address; an address's count of guesses at
    other names stays (accounts.lockout)."""
    from axes.utils import reset

    reset(username=user.username_key)
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
