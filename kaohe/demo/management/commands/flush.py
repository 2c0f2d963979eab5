"""`kaohe flush`: Django's flush, only of a database `kaohe demo` built (or one with no change log yet), as the
owner role with the change log's TRUNCATE trigger off for that one transaction.

A district's database keeps its audit log: flushing it is refused with a Chinese message and nothing changes,
whoever asks, the owner included. Kaohe itself flushes for `kaohe demo --reset`; the test suite its test database
(which holds the demo)."""

from __future__ import annotations

from typing import Any

from django.core.management import CommandError
from django.core.management.commands import flush
from django.db import DatabaseError, transaction

from kaohe.core.database import application_role, as_owner, change_log_truncatable, insufficient_privilege
from kaohe.demo import services

NOT_DISPOSABLE = (
    "拒绝清空：这个数据库不是 kaohe demo 创建的演示库（没有演示库标记），清空会删除其中的全部数据和审计日志"
    "（变更记录）。未做任何改动。"
)


class Command(flush.Command):
    help = "清空 kaohe demo 创建的演示库（其他已有审计日志的数据库一律拒绝）。"

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        role = application_role(alias)
        try:
            with as_owner(alias) as connection, transaction.atomic(using=alias):
                if not services.demo_may_be_emptied():
                    raise CommandError(NOT_DISPOSABLE)
                with change_log_truncatable(connection):
                    super().handle(*args, **options)
        except (DatabaseError, CommandError) as exc:
            if not insufficient_privilege(exc):
                raise
            raise CommandError(
                f"未清空：数据库角色 {role} 无权清空数据库，未做任何改动。"
                "请以表的所有者角色运行：设置 DATABASE_OWNER_URL（见 docs/deployment.md）。"
            ) from None
