"""The named test world: the demo district (云溪区) with one user per role, plus login helpers."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.demo import services as demo
from kaohe.org.models import Department, Unit
from kaohe.schemes.models import Scheme

OWN_UNIT = "qingshi"  # the demo's township clerk and leader belong here
OTHER_UNIT = "baisha"
DEMO_YEAR = demo.DEMO_YEAR
DEMO_MONTH = demo.DEMO_MONTH  # the latest month with data in the demo


class WorldTestCase(TestCase):
    """TestCase on the demo district (loaded once per test session by conftest.py).

    `self.users[role]` is the demo's account of that role.
    """

    users: ClassVar[dict[str, User]]
    own_unit: ClassVar[Unit]
    other_unit: ClassVar[Unit]

    @classmethod
    def setUpTestData(cls) -> None:
        accounts = {a.username for a in demo.ACCOUNTS}
        cls.users = {u.role: u for u in User.objects.filter(username__in=accounts).select_related("unit", "department")}
        cls.own_unit = Unit.objects.get(code=OWN_UNIT)
        cls.other_unit = Unit.objects.get(code=OTHER_UNIT)

    def client_for(self, role: str) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(self.users[role])
        return client


ALL_ROLES = [r.value for r in Role]


def world_scheme(
    year: int, admin: User, *, weights: tuple[int, ...] = (60, 40), publish: bool = False, targets: bool = True
) -> Scheme:
    """A small scheme (`small_scheme`) for a year the demo does not use, on the demo's townships and 统计局, for
    tests of pages the demo's accounts of every role are shown."""
    from kaohe.schemes.tests.factories import small_scheme

    units = Unit.objects.assessed(year) if targets else Unit.objects.none()
    owner = Department.objects.get(code="tongji")
    return small_scheme(year, units=units, owner=owner, weights=weights, publish_by=admin if publish else None)


# --- one demo load per run: a snapshot of the loaded world, restored instead of reloaded ----------------------

SNAPSHOT_SCHEMA = "kaohe_world"
LOADS = {"count": 0, "counting": 1}  # demo loads this run, outside tests whose subject is the loader itself


def count_loads() -> None:
    """Count every call of the demo loader from now on (conftest, at the start of the run)."""
    original = demo.demo_load

    @functools.wraps(original)
    def counted() -> None:
        original()
        if LOADS["counting"]:
            LOADS["count"] += 1

    demo.demo_load = counted


@contextmanager
def loader_under_test() -> Iterator[None]:
    """Around a test whose subject is the demo loader itself (`kaohe demo --reset`): its loads are not counted."""
    LOADS["counting"] = 0
    try:
        yield
    finally:
        LOADS["counting"] = 1


def world_load() -> None:
    """Load the demo district into the (empty) test database: the one load of a run, taken by conftest."""
    demo.demo_load()


def application_role_ready(role: str) -> None:
    """As the owner (a superuser in tests): the application role exists (created the first time, as a login role
    with the test-only password and no other attribute) and holds its grants on the new test database. Two
    workers may race to create it."""
    from django.conf import settings
    from django.db import connection

    from kaohe.core.database import grant_application_role

    if connection.vendor != "postgresql" or role == connection.settings_dict["USER"]:
        return
    password = settings.TEST_APPLICATION_PASSWORD.replace("'", "''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {connection.ops.quote_name(role)} LOGIN PASSWORD '{password}'; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        grant_application_role(cursor, role)


def _tables() -> list[str]:
    from django.db import connection

    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def world_snapshot() -> None:
    """Keep a copy of every table as the demo left it (PostgreSQL: a schema of plain copies, taken in well under
    a second), for `world_restore` after tests that commit."""
    from kaohe.core.database import as_owner

    with as_owner() as connection:
        if connection.vendor != "postgresql":
            return
        _copy_tables(connection)


def _copy_tables(connection: BaseDatabaseWrapper) -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE; CREATE SCHEMA {SNAPSHOT_SCHEMA}")
        for table in _tables():
            cursor.execute(f"CREATE TABLE {SNAPSHOT_SCHEMA}.{q(table)} AS TABLE public.{q(table)}")


def world_restore() -> None:
    """Put every table back as the demo left it: after tests that commit (browser tests, TransactionTestCase),
    instead of emptying the database and loading the demo again. On SQLite (the smoke set) it reloads."""
    from django.core.management import call_command
    from django.db import connection

    from kaohe.core.database import as_owner

    if connection.vendor != "postgresql":
        call_command("flush", interactive=False, verbosity=0)
        world_load()
        return
    with as_owner() as owner:  # the owner, a superuser in tests: replica mode and TRUNCATE are the owner's
        _put_tables_back(owner)


def _put_tables_back(connection: BaseDatabaseWrapper) -> None:
    from django.apps import apps
    from django.core.management.color import no_style

    q = connection.ops.quote_name
    tables = _tables()
    with connection.cursor() as cursor:
        # Rows come back table by table in any order: foreign-key and other triggers wait while they do.
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(f"TRUNCATE {', '.join(q(t) for t in tables)} RESTART IDENTITY CASCADE")
            for table in tables:
                # Table names come from Django's own introspection, quoted: nothing here is user input.
                cursor.execute(f"INSERT INTO {q(table)} SELECT * FROM {SNAPSHOT_SCHEMA}.{q(table)}")  # noqa: S608
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
            cursor.execute(sql)
