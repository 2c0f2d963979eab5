"""`kaohe flush`: Django's flush as the owner role, the change log's TRUNCATE trigger disabled for that one
transaction. Only the owner may disable it, so the application role can never empty the change log; Kaohe itself
flushes only a database `kaohe demo` built (`kaohe demo --reset`), and the test suite its throw-away database."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import transaction

from kaohe.core.database import CHANGE_LOG, as_owner

TRIGGER = "core_changelog_no_truncate"


class Command(flush.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with as_owner(alias) as connection:
            if connection.vendor != "postgresql":
                super().handle(*args, **options)
                return
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {CHANGE_LOG} DISABLE TRIGGER {TRIGGER}")
                super().handle(*args, **options)
                cursor.execute(f"ALTER TABLE {CHANGE_LOG} ENABLE TRIGGER {TRIGGER}")
