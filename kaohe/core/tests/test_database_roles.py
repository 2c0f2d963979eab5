"""SECURITY.md AU-3 on PostgreSQL: the application role cannot rewrite the change log, a trigger refuses TRUNCATE
even to the owner, and `kaohe check` warns when the server's role could rewrite it (owner or superuser).

The suite itself runs as the application role (settings_test, conftest): these tests first make sure of that."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import psycopg.errors
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from kaohe import serving
from kaohe.core.database import as_owner, owner_configured
from kaohe.core.models import ChangeLog
from kaohe.core.services import changelog_record
from kaohe.test import WorldTestCase

ROOT = serving.ROOT
INSUFFICIENT_PRIVILEGE = psycopg.errors.InsufficientPrivilege.sqlstate


def sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


class ApplicationRoleTests(WorldTestCase):
    def test_the_suite_connects_as_a_role_that_neither_owns_the_change_log_nor_is_a_superuser(self) -> None:
        self.assertEqual(connection.vendor, "postgresql")
        self.assertTrue(owner_configured())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, r.rolsuper, pg_get_userbyid(c.relowner) FROM pg_roles r, pg_class c "
                "WHERE r.rolname = current_user AND c.oid = 'core_changelog'::regclass"
            )
            user, superuser, owner = cursor.fetchone()
        self.assertEqual(user, settings.DATABASES["default"]["USER"])  # kaohe_app unless TEST_APPLICATION_ROLE
        self.assertFalse(superuser)
        self.assertNotEqual(owner, user)

    def test_au3_update_delete_and_truncate_of_the_change_log_are_refused_to_the_application_role(self) -> None:
        row = ChangeLog.objects.order_by("pk").first()
        assert row is not None
        statements: dict[str, tuple[str, list[str | int]]] = {
            "UPDATE": ("UPDATE core_changelog SET reason = %s WHERE id = %s", ["篡改", row.pk]),
            "DELETE": ("DELETE FROM core_changelog WHERE id = %s", [row.pk]),
            "TRUNCATE": ("TRUNCATE core_changelog", []),
        }
        for name, (sql, params) in statements.items():
            with (
                self.subTest(name),
                self.assertRaises(DatabaseError) as refused,
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, params)
            # Refused for want of the privilege (REVOKE), before any trigger is reached.
            self.assertEqual(sqlstate(refused.exception), INSUFFICIENT_PRIVILEGE, name)
        self.assertEqual(ChangeLog.objects.get(pk=row.pk).reason, row.reason)

    def test_au3_the_application_role_may_still_append_to_the_change_log(self) -> None:
        before = ChangeLog.objects.count()
        changelog_record(action="export", by=self.users["district_admin"], object_type="core.test")
        self.assertEqual(ChangeLog.objects.count(), before + 1)


def check_output() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_au3_a_trigger_refuses_truncate_of_the_change_log_even_to_its_owner(django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), as_owner() as owner:
        before = ChangeLog.objects.count()
        for sql in ("TRUNCATE core_changelog", "TRUNCATE accounts_user CASCADE"):  # CASCADE reaches the log
            try:
                with transaction.atomic(), owner.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '10s'")
                    cursor.execute(sql)
            except DatabaseError as refused:
                assert "变更记录只能追加，不能清空" in str(refused), sql
            else:
                raise AssertionError(f"{sql} was not refused")
        assert ChangeLog.objects.count() == before > 0


def test_au3_kaohe_check_warns_when_the_server_s_role_owns_the_change_log(django_db_blocker: Any) -> None:
    role = connection.settings_dict["USER"]
    with django_db_blocker.unblock():
        assert "kaohe.W002" not in check_output()  # the application role: nothing to warn about
        with as_owner() as owner:
            superuser = check_output()
            assert "kaohe.W002" in superuser and "超级用户" in superuser
            with transaction.atomic(), owner.cursor() as cursor:
                # The application role made owner of the table, as a one-role installation leaves it.
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                cursor.execute(f"ALTER TABLE core_changelog OWNER TO {owner.ops.quote_name(role)}")
                cursor.execute(f"SET LOCAL ROLE {owner.ops.quote_name(role)}")
                owning = check_output()
                transaction.set_rollback(True)
            assert "kaohe.W002" in owning and f"应用连接数据库的角色 {role} 是变更记录表的所有者" in owning


def deployment_sql(database: str, owner: str, app: str) -> tuple[list[str], list[str]]:
    """docs/deployment.md's step 1, as written there, for a database and roles of the test's own: the statements
    before `\\connect` (on the server) and after it (in the new database)."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    script = text.split("<<'SQL'\n", 1)[1].split("\nSQL\n", 1)[0]
    script = script.replace("kaohe_owner", owner).replace("kaohe_app", app)
    script = re.sub(r"\bDATABASE kaohe\b", f"DATABASE {database}", script).replace("'所有者的口令'", "'o'")
    script = script.replace("'应用的口令'", "'a'")
    server, _, inside = script.partition("\\connect kaohe\n")
    return statements(server), statements(inside)


def statements(script: str) -> list[str]:
    return [s.strip() for s in re.sub(r"--[^\n]*", "", script).split(";") if s.strip()]


def test_au3_docs_deployment_two_roles_from_an_empty_database(django_db_blocker: Any, tmp_path: Path) -> None:
    """docs/deployment.md followed on a new database: the application role alone cannot migrate (a Chinese
    message, exit 1); with DATABASE_OWNER_URL it can; `kaohe flush` is refused even as the owner; the server's
    role may append to the change log only, and `kaohe check` finds nothing to warn about."""
    with django_db_blocker.unblock(), as_owner() as owner:
        owned = owner.settings_dict
    suffix = str(owned["NAME"]).removeprefix("test_")
    database, owner_role, app_role = f"kaohe_deploy_{suffix}", f"deploy_owner_{suffix}", f"deploy_app_{suffix}"
    on_server, in_database = deployment_sql(database, owner_role, app_role)
    admin = {"host": owned["HOST"], "port": owned["PORT"], "user": owned["USER"], "autocommit": True}
    cleanup = [f"DROP DATABASE IF EXISTS {database}", *(f"DROP ROLE IF EXISTS {r}" for r in (owner_role, app_role))]

    def url(role: str, password: str) -> str:
        return f"postgres://{role}:{password}@{owned['HOST']}:{owned['PORT']}/{database}"

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_OWNER_URL"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "kaohe.settings", "KAOHE_VAR_DIR": str(tmp_path), "SECRET_KEY": "d" * 60,
        "DATABASE_URL": url(app_role, "a"),
    })  # fmt: skip
    with psycopg.connect(dbname="postgres", **admin) as server:
        for sql in cleanup:
            server.execute(sql)
        try:
            for sql in on_server:
                server.execute(sql)
            with psycopg.connect(dbname=database, **admin) as inside:
                for sql in in_database:
                    inside.execute(sql)
            refused = run_kaohe(env, "migrate", "--verbosity", "0")
            assert refused.returncode == 1
            assert f"数据库角色 {app_role} 无权建表或改表" in refused.stderr and "DATABASE_OWNER_URL" in refused.stderr
            migrated = run_kaohe({**env, "DATABASE_OWNER_URL": url(owner_role, "o")}, "migrate", "--verbosity", "0")
            assert migrated.returncode == 0, migrated.stderr
            created = run_kaohe({**env, "KAOHE_ADMIN_PASSWORD": "Deploy@2026x"}, "createadmin", "anquan")
            assert created.returncode == 0, created.stderr
            flushed = run_kaohe({**env, "DATABASE_OWNER_URL": url(owner_role, "o")}, "flush", "--noinput")
            assert flushed.returncode == 1 and "拒绝清空" in flushed.stderr  # even the owner: a district's log stays
            checked = run_kaohe(env, "check")
            assert checked.returncode == 0 and "kaohe.W002" not in checked.stderr, checked.stderr
            with psycopg.connect(url(app_role, "a"), autocommit=True) as app:
                assert app.execute("SELECT count(*) FROM core_changelog").fetchone() == (1,)  # createadmin's row
                for sql in ("UPDATE core_changelog SET reason = 'x'", "DELETE FROM core_changelog",
                            "TRUNCATE core_changelog", "ALTER TABLE core_changelog DISABLE TRIGGER ALL"):  # fmt: skip
                    try:
                        app.execute(sql)
                    except psycopg.errors.InsufficientPrivilege:
                        continue
                    raise AssertionError(f"{sql} was not refused to the application role")
        finally:
            for sql in cleanup:
                server.execute(sql)


def run_kaohe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*serving.KAOHE, *args], cwd=serving.ROOT, env=env, capture_output=True, text=True, timeout=300
    )
