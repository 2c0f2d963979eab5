"""Two PostgreSQL roles (SECURITY.md AU-3): the owner of the tables runs migrations and empties a demo database
(`kaohe flush`); the application role the server connects as may read and write rows, never alter a table, and never
update, delete or truncate the change log. docs/deployment.md creates the roles; this module grants and checks.

Without DATABASE_OWNER_URL (the embedded SQLite database, or one PostgreSQL role for everything) the owner is the
application's own connection and nothing here changes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

CHANGE_LOG = "core_changelog"
NO_TRUNCATE = "core_changelog_no_truncate"  # the trigger of migration core/0005


def owner_configured() -> bool:
    return bool(settings.DATABASE_OWNER)


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """The connection `alias`, connected as the owner role for the duration. Only this thread's connection changes
    (each thread has its own); it is closed before and after, so nothing done as the owner stays open."""
    connection = connections[alias]
    owner: dict[str, Any] | None = settings.DATABASE_OWNER
    if not owner or connection.vendor != "postgresql":
        yield connection
        return
    application = connection.settings_dict
    connection.close()
    # A copy: the application's settings stay as they are for every other thread. The database name is read from
    # the application's settings, which Django's test runner points at the test database.
    connection.settings_dict = {**application, **owner}
    try:
        yield connection
    finally:
        connection.close()
        application["NAME"] = connection.settings_dict["NAME"]  # Django's test runner names its test database
        connection.settings_dict = application


@contextmanager
def change_log_truncatable(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Inside the caller's transaction, as the owner: the change log's TRUNCATE trigger off until the block ends.
    Only the owner may; the application role gets a permission error and the transaction rolls back."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {CHANGE_LOG} DISABLE TRIGGER {NO_TRUNCATE}")
        yield
        cursor.execute(f"ALTER TABLE {CHANGE_LOG} ENABLE TRIGGER {NO_TRUNCATE}")


def application_role(alias: str = DEFAULT_DB_ALIAS) -> str:
    return str(connections[alias].settings_dict["USER"] or "")


def grant_statements(role: str) -> list[str]:
    """What the application role may do: rows of every table, no DDL, and the change log append-only. Run after
    every migration (new tables need their grants)."""
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {CHANGE_LOG} FROM {quoted}",
    ]


def grant_application_role(cursor: Any, role: str) -> None:
    for statement in grant_statements(role):
        cursor.execute(statement)


def changelog_owner_problem(cursor: Any) -> str | None:
    """Why the connected role could rewrite the change log despite its triggers, in Chinese, or None: it owns the
    table (an owner may disable a trigger) or is a superuser (who may do anything)."""
    cursor.execute(
        "SELECT pg_get_userbyid(c.relowner), current_user, r.rolsuper FROM pg_class c "
        "JOIN pg_roles r ON r.rolname = current_user WHERE c.oid = to_regclass(%s)",
        [CHANGE_LOG],
    )
    row = cursor.fetchone()
    if row is None:  # not migrated yet: nothing to protect
        return None
    owner, user, superuser = row
    if superuser:
        return f"应用以超级用户 {user} 连接数据库，变更记录的只追加保护对它无效。"
    if owner == user:
        return f"应用连接数据库的角色 {user} 是变更记录表的所有者，可以停用保护触发器后改写记录。"
    return None


def insufficient_privilege(error: BaseException) -> bool:
    """Whether PostgreSQL refused `error` (or what it wraps) for want of a privilege (SQLSTATE 42501)."""
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) == "42501":
            return True
        seen = seen.__cause__ or seen.__context__
    return False
