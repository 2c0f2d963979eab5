from __future__ import annotations

import os
import sqlite3
import subprocess
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import TestCase, TransactionTestCase

from kaohe import serving
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.core.choices import ChangeAction
from kaohe.core.models import ChangeLog
from kaohe.demo.models import DemoMark
from kaohe.demo.services import ACCOUNTS, DEMO_YEAR, demo_is_loaded
from kaohe.org.models import Department, Unit, UnitGroup
from kaohe.schemes.choices import RequestStatus
from kaohe.schemes.models import ItemRecord, Scheme, Target
from kaohe.test import loader_under_test, world_restore


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.smoke
class DemoCommandTests(TestCase):
    # The test session starts with the demo loaded (conftest.py), as `make demo` leaves the database.
    def test_the_district_has_its_units_groups_departments_and_one_account_per_role(self) -> None:
        self.assertEqual(Unit.objects.assessed().count(), 14)
        self.assertEqual(UnitGroup.objects.count(), 2)
        self.assertGreaterEqual(Department.objects.count(), 4)
        self.assertEqual(set(User.objects.values_list("role", flat=True)), {r.value for r in Role})

    def test_the_org_tree_came_in_through_the_org_ledger_import(self) -> None:
        # The shipped workbook, through the import a district uses: one import row for each group, unit and
        # department, written by the district admin.
        imported = ChangeLog.objects.filter(reason="导入组织机构台账：org.xlsx", actor_username="kaoheban")
        self.assertEqual(
            imported.count(), UnitGroup.objects.count() + Unit.objects.count() + Department.objects.count()
        )
        self.assertEqual(Unit.objects.get(code="qingshi").group.code, "industry")  # type: ignore[union-attr]

    def test_the_schemes_and_targets_came_in_through_the_scheme_and_targets_imports(self) -> None:
        # This year and last, each from the shipped scheme workbook and a targets workbook, then published.
        for year, table in ((DEMO_YEAR, "targets.xlsx"), (DEMO_YEAR - 1, "targets-last-year.xlsx")):
            scheme = Scheme.objects.official().get(year=year)
            self.assertTrue(scheme.is_published)
            self.assertEqual(scheme.name, f"云溪区{year}年度乡镇经济工作目标责任制考核方案")
            self.assertTrue(
                ChangeLog.objects.filter(
                    reason="导入考核方案工作簿：scheme.xlsx", object_type="schemes.scheme", object_id=str(scheme.pk)
                ).exists()
            )
            self.assertEqual(
                ChangeLog.objects.filter(
                    reason="导入考核方案工作簿：scheme.xlsx", object_type="schemes.indicator",
                    object_id__in=[str(pk) for pk in scheme.indicators.values_list("pk", flat=True)],
                ).count(),
                scheme.indicators.count(),
            )  # fmt: skip
            imported = ChangeLog.objects.get(object_type="collection.import_targets", object_repr__endswith=table)
            self.assertEqual(imported.actor_username, "kaoheban")
            self.assertIn(f"{year}年目标任务", imported.object_repr)
            # Every target was created by that import: one change-log row each, with the import as its reason.
            targets = [str(pk) for pk in Target.objects.filter(indicator__scheme=scheme).values_list("pk", flat=True)]
            self.assertGreater(len(targets), 300)
            created = ChangeLog.objects.filter(
                object_type="schemes.target", object_id__in=targets, action=ChangeAction.CREATE,
                reason=f"Excel 导入：{table}",
            )  # fmt: skip
            self.assertEqual(created.count(), len(targets))

    def test_the_scheme_scores_the_non_economic_work_too(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        categories = set(scheme.categories.values_list("name", flat=True))
        self.assertLessEqual({"民生保障", "安全生产", "社会稳定", "营商环境"}, categories)
        for name in ("民生保障", "安全生产", "社会稳定", "营商环境"):
            self.assertTrue(scheme.indicators.filter(category__name=name).exists(), name)
        kinds = {(t.kind, t.code) for t in scheme.item_types.all()}
        self.assertLessEqual({("veto", "aqsc"), ("deduction", "aqyh"), ("deduction", "xfwt"), ("bonus", "ysgg"),
                              ("deduction", "yshj")}, kinds)  # fmt: skip
        # One township vetoed for its safety accident: approved, proposed by the 应急管理局, decided by the 考核办.
        veto = ItemRecord.objects.get(item_type__scheme=scheme, item_type__code="aqsc", status=RequestStatus.APPROVED)
        self.assertEqual((veto.unit.code, veto.month), ("taoyuan", 9))
        self.assertEqual((veto.proposed_by.username, veto.decided_by.username), ("yingjiju", "kaoheban"))  # type: ignore[union-attr]

    def test_it_does_not_load_twice_and_prints_the_accounts(self) -> None:
        output = run_demo()
        self.assertIn("未重复加载", output)
        self.assertEqual(Unit.objects.assessed().count(), 14)
        for account in ACCOUNTS:
            self.assertIn(account.username, output)
        self.assertIn("Kaohe@2026demo", output)

    def test_a_database_with_other_accounts_is_refused_in_chinese_and_left_as_it_was(self) -> None:
        # A database set up by hand (kaohe createadmin kaoheban …) but with no org tree yet: the demo's own
        # account names are taken, so it must refuse with a message, never a traceback, and write nothing.
        units = Unit.objects.count()
        with (
            mock.patch("kaohe.demo.services.demo_is_loaded", return_value=False),
            self.assertRaises(CommandError) as ctx,
        ):
            run_demo()
        self.assertIn("未加载演示区：", str(ctx.exception))
        self.assertIn("演示区只加载到空数据库", str(ctx.exception))
        self.assertEqual(Unit.objects.count(), units)


@pytest.mark.smoke
class DemoResetTests(TransactionTestCase):
    # --reset flushes the database, which PostgreSQL refuses inside a test's wrapping transaction. The run's own
    # load (conftest) is the first; the reset under test is the second, and the only load a test may make.
    def test_it_is_deterministic(self) -> None:
        if not demo_is_loaded():
            world_restore()
        first = list(Unit.objects.order_by("code").values_list("code", "name", "kind", "group__code", "parent__code"))
        with loader_under_test():
            run_demo("--reset")
        second = list(Unit.objects.order_by("code").values_list("code", "name", "kind", "group__code", "parent__code"))
        self.assertEqual(first, second)
        self.assertEqual(DemoMark.objects.count(), 1)  # the rebuilt database is the demo's again


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


class DemoResetRefusalTests(TestCase):
    def test_reset_refuses_a_database_the_demo_did_not_build_and_changes_nothing(self) -> None:
        DemoMark.objects.all().delete()  # as a district's database: the demo's data, but no mark
        before = row_counts()
        with self.assertRaises(CommandError) as ctx:
            run_demo("--reset")
        self.assertIn("拒绝重置：这个数据库不是 kaohe demo 创建的演示库", str(ctx.exception))
        self.assertIn("未做任何改动", str(ctx.exception))
        self.assertEqual(row_counts(), before)

    def test_the_demo_marks_the_database_it_builds(self) -> None:
        self.assertEqual(DemoMark.objects.count(), 1)


def test_kaohe_demo_reset_on_a_district_s_own_database_exits_non_zero_and_keeps_every_row(tmp_path: Path) -> None:
    """From the command line, as an operator would: `kaohe migrate`, `kaohe createadmin`, then `kaohe demo
    --reset` (or `kaohe flush`) by mistake. Each exits 1 with the Chinese refusal; the account and its audit row
    are still there."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update({"KAOHE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kaohe.settings"})
    env["KAOHE_ADMIN_PASSWORD"] = "Anquan#2026good"
    serving.kaohe(env, "migrate", "-v0")
    serving.kaohe(env, "createadmin", "anquan", "--name", "安全管理员")
    database = tmp_path / "kaohe.sqlite3"

    def rows() -> dict[str, list[tuple[object, ...]]]:
        with sqlite3.connect(database) as db:
            return {
                "users": db.execute("SELECT username FROM accounts_user").fetchall(),
                "log": db.execute("SELECT action, object_repr FROM core_changelog ORDER BY id").fetchall(),
            }

    before = rows()
    assert before["users"] == [("anquan",)]
    refused = subprocess.run(
        [*serving.KAOHE, "demo", "--reset"], cwd=serving.ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert refused.returncode == 1
    assert "拒绝重置" in refused.stderr
    assert rows() == before
    # Nor does Django's own flush, which Kaohe's replaces: a database with an audit log and no mark is kept.
    flushed = subprocess.run(
        [*serving.KAOHE, "flush", "--noinput"], cwd=serving.ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert flushed.returncode == 1
    assert "拒绝清空" in flushed.stderr and "未做任何改动" in flushed.stderr
    assert rows() == before
