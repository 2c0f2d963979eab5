"""`kaohe migrate`: Django's migrate, then the shared cache's table (core.ratelimit keeps its counts there).

The cache table is no model, so no migration makes it; `createcachetable` is idempotent and does nothing when the
shared cache is not the database."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.commands import migrate


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        call_command("createcachetable", database=options["database"], verbosity=options["verbosity"])
