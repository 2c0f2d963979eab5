"""`kaohe import FILE --as USERNAME [--dry-run]`: per-cell errors and exit 1, or a one-line summary."""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path

from django.core.management import CommandError, call_command

from kaohe.collection import importers
from kaohe.collection.tests.test_importers import amount, cell_of, download, edit, snapshot
from kaohe.lib.xlsx import describe_cell
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

NEXT = DEMO_MONTH + 1


class ImportCommandTests(WorldTestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, content: bytes, name: str = "统计局11月.xlsx") -> str:
        path = Path(self.dir.name) / name
        path.write_bytes(content)
        return str(path)

    def call(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            call_command("import", *args, stdout=out, stderr=err)
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, out.getvalue(), err.getvalue()

    def test_errors_are_printed_per_cell_and_exit_1(self) -> None:
        content = edit(
            download("tongjiju", month=NEXT), {("qingshi", "gyzcz"): "abc", ("baisha", "gyzcz"): Decimal("1.005")}
        )
        before = snapshot()
        code, out, err = self.call(self.write(content), "--as", "tongjiju")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        first, second = cell_of(content, "qingshi", "gyzcz"), cell_of(content, "baisha", "gyzcz")
        self.assertEqual(
            err.splitlines(),
            [
                f"{describe_cell('数据填报', *first)}：“abc”不是数字",
                f"{describe_cell('数据填报', *second)}：小数位数超过该指标允许的 2 位（1.005），"
                "系统不会自动四舍五入，请修正后再上传",
                "文件有 2 处错误，未导入任何数据。请逐一修正后重新上传。",
            ],
        )
        self.assertEqual(snapshot(), before)

    def test_dry_run_writes_nothing_then_the_import_does(self) -> None:
        content = edit(download("tongjiju", month=NEXT), {("qingshi", "gyzcz"): 12, ("baisha", "gdzc"): 34})
        path = self.write(content)
        before = snapshot()
        code, out, err = self.call(path, "--as", "tongjiju", "--dry-run")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, "试导入：将写入 2 个数据，涉及 2 份报送（本次未写入任何数据）。\n")
        self.assertEqual(snapshot(), before)
        code, out, err = self.call(path, "--as", "tongjiju")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, "已导入 2 个数据，涉及 2 份报送。\n")
        self.assertEqual(amount("baisha", "gdzc", NEXT), Decimal(34))

    def test_the_user_s_scope_applies(self) -> None:
        code, _, err = self.call(self.write(download("tongjiju", month=NEXT)), "--as", "caizhengju")
        self.assertEqual(code, 1)
        self.assertIn("本模板是统计局的数据，只有统计局的数据员可以导入。", err)

    def test_unknown_user_or_file(self) -> None:
        with self.assertRaisesMessage(CommandError, "用户“nobody”不存在或已停用。"):
            self.call(self.write(b"x"), "--as", "nobody")
        with self.assertRaisesMessage(CommandError, "找不到文件"):
            self.call(str(Path(self.dir.name) / "missing.xlsx"), "--as", "tongjiju")

    def test_a_hostile_file_is_refused(self) -> None:
        code, _, err = self.call(self.write(b"MZ\x90\x00" + bytes(100), "a.xlsx"), "--as", "tongjiju")
        self.assertEqual(code, 1)
        self.assertIn("可能是修改了扩展名的其他文件", err)

    def test_year_is_passed_to_the_import(self) -> None:
        # --year carries a targets table into another year; a values template keeps its own year and says so.
        code, out, err = self.call(
            self.write(download("tongjiju", month=NEXT)), "--as", "tongjiju", "--year", str(DEMO_YEAR + 1)
        )
        self.assertEqual((code, out), (1, ""))
        self.assertIn(importers.VALUES_YEAR_FIXED.format(year=DEMO_YEAR), err)
