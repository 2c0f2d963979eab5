"""Writes of the core app: the change log every other service records into."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from .choices import ChangeAction
from .context import current_origin
from .models import ChangeLog

if TYPE_CHECKING:
    from kaohe.accounts.models import User


def to_jsonable(value: Any) -> Any:
    """JSON-safe form that keeps exactness: Decimals become strings, never floats."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as a JSON-safe dict (foreign keys by their raw id)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = to_jsonable(getattr(obj, attname))
    return result


def changelog_record(
    *,
    action: ChangeAction | str,
    by: User | None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    success: bool = True,
    username: str = "",
) -> ChangeLog:
    """Append one change-log row. Called by services inside their own transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    origin = current_origin.get()
    actor = by if by is not None and by.is_authenticated else None
    return ChangeLog.objects.create(
        actor=actor,
        actor_username=actor.username if actor else username,
        actor_role=actor.role if actor else "",
        actor_scope=actor.scope_code if actor else "",
        ip=origin.ip if origin else None,
        request_id=origin.request_id if origin else "",
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=to_jsonable(before) if before is not None else None,
        after=to_jsonable(after) if after is not None else None,
        reason=reason,
        success=success,
    )


@transaction.atomic
def model_update(
    *, instance: models.Model, data: Mapping[str, Any], by: User, reason: str = ""
) -> tuple[models.Model, bool]:
    """Set the given fields, validate, save and log the before/after of the fields that changed."""
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return instance, False
    before = snapshot(instance, changed)
    for name in changed:
        setattr(instance, name, data[name])
    instance.full_clean()
    instance.save(update_fields=[*changed, *(["updated_at"] if hasattr(instance, "updated_at") else [])])
    changelog_record(
        action=ChangeAction.UPDATE, by=by, obj=instance, before=before, after=snapshot(instance, changed), reason=reason
    )
    return instance, True


class ChangeLogBatch:
    """Change-log rows as changelog_record writes them (actor, role, scope, IP, request id), collected for one
    bulk insert in the caller's transaction: the road for bulk writes (imports), where one INSERT a row would cost
    the import its speed. `sql_params` gives the same shared fields to a writer that inserts the rows in SQL."""

    def __init__(self, by: User, reason: str, now: dt.datetime | None = None) -> None:
        origin = current_origin.get()
        self.by = by
        self.now = now or timezone.now()
        self.common: dict[str, Any] = {
            "at": self.now,
            "actor": by,
            "actor_username": by.username,
            "actor_role": by.role,
            "actor_scope": by.scope_code,
            "ip": origin.ip if origin else None,
            "request_id": origin.request_id if origin else "",
            "reason": reason,
        }
        self.rows: list[ChangeLog] = []

    def add(self, action: str, object_type: str, object_id: str, object_repr: str, before: Any, after: Any) -> None:
        self.rows.append(
            ChangeLog(
                action=action, object_type=object_type, object_id=object_id, object_repr=object_repr[:200],
                before=before, after=after, **self.common,
            )
        )  # fmt: skip

    @staticmethod
    def insert_select_sql(
        *,
        action: str,
        object_type: str,
        object_id: str,
        object_repr: str,
        before: str,
        after: str,
        source: str,
        prefix: str = "",
    ) -> str:
        """INSERT … SELECT of change-log rows for a set-based writer: one row per row of `source` (a FROM clause
        and what follows it; `prefix` a WITH clause it reads); the other arguments are SQL expressions over it.
        The actor, origin and reason come
        from `sql_params`, so every row carries what changelog_record would give it."""
        return f"""{prefix}
        INSERT INTO {ChangeLog._meta.db_table} (at, actor_id, actor_username, actor_role, actor_scope, ip, request_id,
                                    action, object_type, object_id, object_repr, before, after, reason, success)
        SELECT %(at)s, %(actor)s, %(username)s, %(role)s, %(scope)s, %(ip)s::inet, %(request_id)s,
               {action}, {object_type}, {object_id}, left({object_repr}, 200), {before}, {after}, %(reason)s, true
        {source}"""

    def sql_params(self) -> dict[str, Any]:
        c = self.common
        return {
            "at": c["at"], "actor": self.by.pk, "username": c["actor_username"], "role": c["actor_role"],
            "scope": c["actor_scope"], "ip": c["ip"], "request_id": c["request_id"], "reason": c["reason"],
        }  # fmt: skip

    def save(self) -> None:
        ChangeLog.objects.bulk_create(self.rows, batch_size=5000)
