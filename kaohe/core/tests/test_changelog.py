from __future__ import annotations

from decimal import Decimal
from unittest import mock

from django.db import connection, transaction
from django.db.utils import DatabaseError

from kaohe.core.models import ChangeLog
from kaohe.core.services import model_update, to_jsonable
from kaohe.org.models import Unit
from kaohe.test import WorldTestCase


class ChangeLogTests(WorldTestCase):
    def test_model_update_logs_only_the_changed_fields(self) -> None:
        admin = self.users["district_admin"]
        model_update(instance=self.own_unit, data={"name": "青石新镇", "sort_order": 1}, by=admin, reason="区划调整")
        row = ChangeLog.objects.get(action="update", object_type="org.unit")
        self.assertEqual(row.before, {"name": "青石镇"})
        self.assertEqual(row.after, {"name": "青石新镇"})
        self.assertEqual((row.actor_username, row.actor_role, row.reason), ("kaoheban", "district_admin", "区划调整"))

    def test_an_unchanged_update_writes_nothing(self) -> None:
        before = ChangeLog.objects.count()
        _, changed = model_update(instance=self.own_unit, data={"name": "青石镇"}, by=self.users["district_admin"])
        self.assertFalse(changed)
        self.assertEqual(ChangeLog.objects.count(), before)

    def test_a_failed_log_write_rolls_back_the_change(self) -> None:
        # The log row is written in the same transaction: if it cannot be written, the change is undone.
        with (
            mock.patch.object(ChangeLog.objects, "create", side_effect=DatabaseError("disk full")),
            self.assertRaises(DatabaseError),
        ):
            model_update(instance=self.own_unit, data={"name": "不应保存"}, by=self.users["district_admin"])
        self.assertEqual(Unit.objects.get(pk=self.own_unit.pk).name, "青石镇")

    def test_decimals_are_kept_exact_as_strings(self) -> None:
        self.assertEqual(to_jsonable({"v": Decimal("12345.6789")}), {"v": "12345.6789"})

    def test_rows_cannot_be_updated_or_deleted_on_postgresql(self) -> None:
        if connection.vendor != "postgresql":
            self.fail("this test runs on PostgreSQL, the production database")
        row = ChangeLog.objects.first()
        assert row is not None
        with self.assertRaises(DatabaseError), transaction.atomic():
            ChangeLog.objects.filter(pk=row.pk).update(reason="篡改")
        with self.assertRaises(DatabaseError), transaction.atomic():
            ChangeLog.objects.filter(pk=row.pk).delete()
