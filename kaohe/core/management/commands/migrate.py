"""`kaohe migrate`: Django's migrate as the owner role, then the shared cache's table, then the application role's
grants (core.database). With one role for everything (no DATABASE_OWNER_URL) it is Django's migrate and the table.

The cache table is no model, so no migration makes it; `createcachetable` is idempotent and does nothing when the
shared cache is not the database."""

from __future__ import annotations

from typing import Any

from django.core.management import CommandError, call_command
from django.core.management.commands import migrate
from django.db import DatabaseError
from django.db.migrations.exceptions import MigrationSchemaMissing

from kaohe.core.database import (
    application_role,
    as_owner,
    grant_application_role,
    insufficient_privilege,
    owner_configured,
)


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        role = application_role(alias)
        try:
            with as_owner(alias) as connection:
                super().handle(*args, **options)
                call_command("createcachetable", database=alias, verbosity=options["verbosity"])
                # Connected as another role than the application's only with an owner on PostgreSQL; inside an outer
                # as_owner (the test suite's set-up) the role is the owner's own, with nothing to grant.
                if role != connection.settings_dict["USER"]:
                    with connection.cursor() as cursor:
                        grant_application_role(cursor, role)
        except (DatabaseError, MigrationSchemaMissing) as exc:
            if not insufficient_privilege(exc) or owner_configured():
                raise
            # The application role of docs/deployment.md may not create tables: say what to set, not a traceback.
            raise CommandError(
                f"数据库角色 {role} 无权建表或改表，未做任何迁移。请以表的所有者角色迁移：设置 DATABASE_OWNER_URL"
                "（见 docs/deployment.md）后重新运行 kaohe migrate。"
            ) from None
