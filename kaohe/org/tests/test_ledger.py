"""The org ledger: a district set up from one workbook, every rejected cell named, nothing half-written, and an
export that imports back unchanged — in process on the test database, and through `kaohe ledger` from an empty
one."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.test import TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.tests.factories import PASSWORD, UserFactory
from kaohe.core.ledger import HELP_SHEET, ledger_export, ledger_import, ledger_template
from kaohe.core.models import ChangeLog
from kaohe.lib import xlsx
from kaohe.lib.tests import xlsx_corpus
from kaohe.lib.tests.sheets import read_back
from kaohe.org.choices import UnitKind
from kaohe.org.ledgers import ORG_LEDGER
from kaohe.org.models import Department, Unit, UnitGroup

UNIT_HEADERS = ("编码", "名称", "类型", "上级编码", "分组编码", "参加考核", "排序", "停用年度")
GROUP_HEADERS = ("编码", "名称", "说明", "排序")
DEPARTMENT_HEADERS = ("编码", "名称", "简称", "排序")
Rows = list[tuple[str, ...]]


def district(
    *, towns: int = 14, villages: int = 3, departments: int = 8, root: str = "hx", prefix: str = "t"
) -> dict[str, Rows]:
    """A district's org tree: `towns` townships (the last two streets) alternating between two groups, each with
    `villages` villages, and `departments` departments. `root` is the district's code (an existing one in process)."""
    groups: Rows = [(f"{prefix}g1", "工业强镇", "", "1"), (f"{prefix}g2", "城区街道", "城区", "2")]
    units: Rows = [] if root != "hx" else [("hx", "和溪区", "区（县）", "", "", "是", "0", "")]
    for t in range(1, towns + 1):
        kind = "街道" if t > towns - 2 else "镇"
        code = f"{prefix}{t:02d}"
        units.append((code, f"和溪{t}{kind}", kind, root, f"{prefix}g{1 + t % 2}", "是", str(t), ""))
        units += [
            (f"{code}-{v:02d}", f"第{v}村", "村（社区）", code, "", "是", str(v), "2030" if v == 3 else "")
            for v in range(1, villages + 1)
        ]
    depts: Rows = [(f"{prefix}d{d}", f"和溪区第{d}局", f"{d}局", str(d)) for d in range(1, departments + 1)]
    return {"分组": groups, "单位": units, "部门": depts}


def workbook(
    sheets: Mapping[str, Sequence[Sequence[str]]], *, headers: Mapping[str, Sequence[str]] | None = None
) -> bytes:
    titles = {"分组": GROUP_HEADERS, "单位": UNIT_HEADERS, "部门": DEPARTMENT_HEADERS, **(headers or {})}
    return xlsx.write_workbook(
        [
            xlsx.Sheet(
                name,
                columns=[xlsx.Column(h, num_format="@") for h in titles[name]],
                rows=[[*r, *[""] * (len(titles[name]) - len(r))] for r in rows],  # short rows: blank cells
            )
            for name, rows in sheets.items()
        ]
    )


class InProcess(TestCase):
    """On the test database (the demo district is there): imported townships go under its district, 云溪区."""

    def setUp(self) -> None:
        self.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        self.root = Unit.objects.get(kind=UnitKind.DISTRICT).code

    def run_import(self, data: bytes, *, dry_run: bool = False, filename: str = "组织机构.xlsx"):  # type: ignore[no-untyped-def]
        return ledger_import(ledger=ORG_LEDGER, data=data, filename=filename, by=self.admin, dry_run=dry_run)

    def test_a_district_imports_with_its_groups_villages_and_departments(self) -> None:
        report = self.run_import(workbook(district(root=self.root)))
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.by_sheet(), [("分组", 2, 0, 0), ("单位", 56, 0, 0), ("部门", 8, 0, 0)])
        town = Unit.objects.select_related("parent", "group").get(code="t03")
        assert town.parent is not None and town.group is not None
        self.assertEqual(
            (town.name, town.kind, town.parent.code, town.group.code), ("和溪3镇", "town", self.root, "tg2")
        )
        self.assertEqual(Unit.objects.get(code="t13").kind, UnitKind.STREET)
        self.assertEqual(Unit.objects.filter(parent=town).count(), 3)
        self.assertEqual(Department.objects.get(code="td8").short_name, "8局")
        log = ChangeLog.objects.filter(object_type="org.unit", object_id=str(town.pk)).get()
        self.assertEqual((log.action, log.actor, log.reason), ("create", self.admin, "导入组织机构台账：组织机构.xlsx"))

    def test_a_bad_cell_in_a_300_row_workbook_writes_nothing_and_every_bad_cell_is_named(self) -> None:
        sheets = district(towns=14, villages=20, root=self.root)
        units = sheets["单位"]
        self.assertGreaterEqual(sum(len(r) for r in sheets.values()), 300)
        units[5] = (*units[5][:2], "镇子", *units[5][3:])  # 类型, Excel row 7, column C
        units[100] = (*units[100][:3], "nosuch", *units[100][4:])  # 上级编码, row 102, column D
        units[200] = (*units[200][:6], "第一")  # 排序, row 202, column G
        before = (
            Unit.objects.count(),
            UnitGroup.objects.count(),
            Department.objects.count(),
            ChangeLog.objects.count(),
        )
        report = self.run_import(workbook(sheets))
        self.assertFalse(report.ok)
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                "工作表“单位”第 7 行第 3 列（C 列）：须为“区（县）”、“镇”、“乡”、“街道”、“村（社区）”之一",
                "工作表“单位”第 102 行第 4 列（D 列）：找不到编码为“nosuch”的上级单位",
                "工作表“单位”第 202 行第 7 列（G 列）：须为整数",
            ],
        )
        self.assertIn("有 3 处错误，整份文件未导入", report.message)
        after = (Unit.objects.count(), UnitGroup.objects.count(), Department.objects.count(), ChangeLog.objects.count())
        self.assertEqual(after, before)

    def test_a_dry_run_reports_what_would_change_and_writes_nothing(self) -> None:
        before = (Unit.objects.count(), ChangeLog.objects.count())
        report = self.run_import(workbook(district(root=self.root)), dry_run=True)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.summary, "试导入：将新增 66 行、修改 0 行、未变 0 行（本次未写入任何数据）。")
        self.assertEqual((Unit.objects.count(), ChangeLog.objects.count()), before)

    def test_a_village_listed_before_its_township_imports(self) -> None:
        rows = [
            ("late-01", "后村", "村（社区）", "late", "", "是", "1"),
            ("late", "后镇", "镇", self.root, "", "是", "9"),
        ]
        report = self.run_import(workbook({"单位": rows}))
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(Unit.objects.get(code="late-01").parent, Unit.objects.get(code="late"))

    def test_two_rows_with_the_same_name_and_different_codes_import(self) -> None:
        sheets = {
            "单位": [("m1", "**镇", "镇", self.root, "", "是", "1"), ("m2", "**镇", "镇", self.root, "", "是", "2")]
        }
        self.assertTrue(self.run_import(workbook(sheets)).ok)
        self.assertEqual(list(Unit.objects.filter(name="**镇").values_list("code", flat=True)), ["m1", "m2"])

    def test_an_export_imports_back_unchanged(self) -> None:
        self.assertTrue(self.run_import(workbook(district(root=self.root))).ok)
        exported = ledger_export(ORG_LEDGER)
        logged = ChangeLog.objects.count()
        report = self.run_import(exported, filename=ORG_LEDGER.filename)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(report.written, 0)
        self.assertEqual(
            report.count("unchanged"), Unit.objects.count() + UnitGroup.objects.count() + Department.objects.count()
        )
        self.assertEqual(ChangeLog.objects.count(), logged)
        self.assertEqual(read_back(ledger_export(ORG_LEDGER)), read_back(exported))

    def test_a_changed_row_is_changed_and_logged_with_before_and_after(self) -> None:
        self.assertTrue(self.run_import(workbook(district(towns=2, villages=1, departments=1, root=self.root))).ok)
        moved = {"单位": [("t02-01", "新村", "村（社区）", "t01", "", "是", "1")]}
        report = self.run_import(workbook(moved), filename="调整.xlsx")
        self.assertEqual(report.by_sheet(), [("单位", 0, 1, 0)])
        village = Unit.objects.get(code="t02-01")
        self.assertEqual((village.name, village.parent.code), ("新村", "t01"))  # type: ignore[union-attr]
        log = ChangeLog.objects.filter(object_type="org.unit", object_id=str(village.pk), action="update").get()
        self.assertEqual(log.before, {"name": "第1村", "parent": Unit.objects.get(code="t02").pk})
        self.assertEqual(log.after, {"name": "新村", "parent": Unit.objects.get(code="t01").pk})
        self.assertEqual(log.reason, "导入组织机构台账：调整.xlsx")

    def test_a_districts_own_sheet_reads_by_its_headers_under_a_title_row(self) -> None:
        rows = [["和溪区乡镇名单（2027年）", "", ""], ["名称", "类型*", "编码", "上级编码"]]
        rows = [*rows, ["东岭镇", "镇", "own1", self.root], ["西岭乡", "乡", "own2", self.root]]
        data = xlsx.write_workbook(
            [xlsx.Sheet("Sheet1", columns=[xlsx.Column("")] * 4, rows=[r + [""] * (4 - len(r)) for r in rows])]
        )
        # One sheet not named after the ledger's: only a one-sheet ledger would take it; the org ledger names it.
        report = self.run_import(data)
        self.assertFalse(report.ok)
        self.assertEqual(
            report.message,
            "工作簿中没有“分组”、“单位”、“部门”工作表。请使用本系统下载的模板，或把工作表命名为“分组”、“单位”、“部门”之一。",
        )
        named = xlsx.write_workbook(
            [xlsx.Sheet("单位", columns=[xlsx.Column("")] * 4, rows=[r + [""] * (4 - len(r)) for r in rows])]
        )
        report = self.run_import(named)
        self.assertTrue(report.ok, report.lines())
        self.assertEqual(Unit.objects.get(code="own2").kind, UnitKind.TOWNSHIP)
        self.assertEqual(Unit.objects.get(code="own1").sort_order, 0)  # a column the file lacks takes its default

    def test_a_sheet_as_other_spreadsheet_programs_write_it_imports(self) -> None:
        """Inline strings, a true boolean, a number, cells without references: what LibreOffice, WPS and
        hand-rolled exporters write where Excel writes shared strings and "是"."""

        def text(value: str) -> str:
            return f'<c t="inlineStr"><is><t>{value}</t></is></c>'

        header = "".join(text(h) for h in ("编码", "名称", "类型", "上级编码", "参加考核", "排序"))
        row = "".join(text(v) for v in ("lo1", "东岭镇", "镇", self.root)) + '<c t="b"><v>0</v></c><c><v>3</v></c>'
        data = xlsx_corpus.package({"单位": xlsx_corpus.sheet_xml(f"<row>{header}</row><row>{row}</row>")})
        report = self.run_import(data)
        self.assertTrue(report.ok, report.lines())
        unit = Unit.objects.get(code="lo1")
        self.assertEqual((unit.name, unit.kind, unit.is_assessed, unit.sort_order), ("东岭镇", "town", False, 3))

    def test_missing_required_and_unknown_columns_are_named(self) -> None:
        data = workbook({"单位": [("x1", "镇", "hx")]}, headers={"单位": ("编码", "类型", "所属乡镇")})
        report = self.run_import(data)
        self.assertFalse(report.ok)
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                "工作表“单位”第 1 行第 1 列（A 列）：缺少必填列“名称”",
                "工作表“单位”第 1 行第 3 列（C 列）：无法识别的列“所属乡镇”，"
                "本台账的列为：编码、名称、类型、上级编码、分组编码、参加考核、排序、停用年度",
            ],
        )

    def test_a_repeated_code_and_a_missing_required_cell_are_named(self) -> None:
        rows = [
            ("r1", "甲镇", "镇", self.root, "", "是", "1"),
            ("r1", "乙镇", "镇", self.root, "", "是", "2"),
            ("r2", "", "镇", self.root, "", "", ""),
        ]
        report = self.run_import(workbook({"单位": rows}))
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                "工作表“单位”第 3 行第 1 列（A 列）：编码“r1”在本表第 2 行已出现过",
                "工作表“单位”第 4 行第 2 列（B 列）：必须填写",
            ],
        )
        self.assertFalse(Unit.objects.filter(code__in=["r1", "r2"]).exists())

    def test_the_services_refusal_is_reported_at_the_cell_of_its_field(self) -> None:
        group = UnitGroup.objects.first()
        assert group is not None
        rows = [
            ("v1", "错村", "村（社区）", self.root, group.code, "是", "1"),
            ("v2", "二区", "区（县）", "", "", "是", "1"),
        ]
        report = self.run_import(workbook({"单位": rows}))
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                "工作表“单位”第 2 行第 4 列（D 列）：村（社区）的上级单位类型不正确",
                "工作表“单位”第 3 行第 3 列（C 列）：系统中已有区（县）“云溪区”（yunxi），组织树只有一个根",
            ],
        )

    def test_a_user_without_the_permission_is_refused(self) -> None:
        clerk = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        data = workbook(district(towns=1, villages=0, departments=0, root=self.root))
        report = ledger_import(ledger=ORG_LEDGER, data=data, filename="x.xlsx", by=clerk)
        self.assertEqual((report.ok, report.message), (False, f"用户“{clerk.username}”没有导入组织机构台账的权限。"))
        self.assertFalse(Unit.objects.filter(code="t01").exists())

    def test_xls_csv_and_wps_files_are_told_what_to_save_as(self) -> None:
        cases = {
            "名单.xls": "不支持旧版 .xls 文件，请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再上传。",
            "名单.csv": "不支持 .csv 文件，请在 Excel 或 WPS 表格 中“另存为”Excel 工作簿（*.xlsx）后再上传。",
            "名单.et": "不支持 .et 文件，请在 WPS 表格 中“另存为”Excel 工作簿（*.xlsx）后再上传。",
        }
        for filename, message in cases.items():
            with self.subTest(filename):
                self.assertEqual(self.run_import(b"a,b\n", filename=filename).message, message)

    def test_the_template_has_the_headers_dropdowns_and_a_help_sheet_with_examples(self) -> None:
        book = read_back(ledger_template(ORG_LEDGER))
        self.assertEqual(list(book), ["分组", "单位", "部门", HELP_SHEET])
        self.assertEqual(
            book["单位"][0], ["编码*", "名称*", "类型*", "上级编码", "分组编码", "参加考核", "排序", "停用年度"]
        )
        help_text = "\n".join(" ".join(row) for row in book[HELP_SHEET])
        self.assertIn("工作表“单位”", help_text)
        self.assertIn("下拉选择：区（县）、镇、乡、街道、村（社区）", help_text)
        self.assertIn("qingshi-01 青石村 村（社区） qingshi", help_text)
        # The template itself imports as nothing to do: it holds no rows, only formatted blanks.
        report = self.run_import(ledger_template(ORG_LEDGER))
        self.assertEqual((report.ok, report.written), (True, 0))


class FromAnEmptyDatabase(TestCase):
    """The acceptance, as a district does it: `kaohe migrate`, `kaohe createadmin`, `kaohe ledger import org`,
    each in a database of its own (SQLite files under temporary directories); the second is set up from the
    first's export, and both exports agree field for field with each other and with the workbook imported."""

    def kaohe(self, var: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KAOHE_VAR_DIR": str(var), "KAOHE_ADMIN_PASSWORD": PASSWORD}
        for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"):
            env.pop(name, None)
        return subprocess.run(
            [sys.executable, "-m", "kaohe.cli", *args], env=env, capture_output=True, text=True, timeout=120
        )

    def set_up(self, var: Path, workbook_path: Path) -> subprocess.CompletedProcess[str]:
        for step in (("migrate", "-v0"), ("createadmin", "admin", "--role", "district_admin")):
            done = self.kaohe(var, *step)
            self.assertEqual(done.returncode, 0, done.stderr)
        return self.kaohe(var, "ledger", "import", "org", str(workbook_path), "--as", "admin")

    def test_a_district_set_up_and_copied_through_its_export(self) -> None:
        sheets = district()
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            source = base / "和溪区组织机构.xlsx"
            source.write_bytes(workbook(sheets))
            first = self.set_up(base / "a", source)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(first.stdout.strip(), "已导入组织机构台账：新增 67 行、修改 0 行、未变 0 行。")
            exported = base / "导出.xlsx"
            self.assertEqual(self.kaohe(base / "a", "ledger", "export", "org", str(exported)).returncode, 0)
            second = self.set_up(base / "b", exported)
            self.assertEqual(second.returncode, 0, second.stderr)
            again = base / "再导出.xlsx"
            self.assertEqual(self.kaohe(base / "b", "ledger", "export", "org", str(again)).returncode, 0)
            first_export, second_export = read_back(exported.read_bytes()), read_back(again.read_bytes())
            dry = self.kaohe(base / "b", "ledger", "import", "org", str(exported), "--as", "admin", "--dry-run")
        self.assertEqual(second_export, first_export)
        self.assertEqual(dry.stdout.strip(), "没有需要导入的修改：文件与系统中的组织机构一致（67 行未变）。")
        # Every field of every row, as imported: 14 townships in 2 groups, 42 villages, 8 departments.
        for name, rows in sheets.items():
            with self.subTest(sheet=name):
                self.assertEqual(sorted(tuple(r) for r in first_export[name][1:]), sorted(rows))
        towns = [r for r in first_export["单位"][1:] if r[2] in ("镇", "街道")]
        self.assertEqual((len(towns), len({r[4] for r in towns})), (14, 2))
        self.assertEqual(sum(r[2] == "村（社区）" for r in first_export["单位"]), 42)

    def test_a_refused_file_exits_1_naming_each_cell_and_an_unknown_ledger_is_named(self) -> None:
        sheets = district(towns=2, villages=0, departments=0)
        sheets["单位"][1] = (*sheets["单位"][1][:4], "nogroup", *sheets["单位"][1][5:])
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "org.xlsx"
            source.write_bytes(workbook(sheets))
            done = self.set_up(Path(tmp) / "a", source)
            unknown = self.kaohe(Path(tmp) / "a", "ledger", "export", "projects", str(Path(tmp) / "p.xlsx"))
            listed = self.kaohe(Path(tmp) / "a", "help", "ledger")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(
            done.stderr.strip().splitlines(),
            [
                "工作表“单位”第 3 行第 5 列（E 列）：找不到编码为“nogroup”的考核分组",
                "有 1 处错误，整份文件未导入（没有写入任何数据）。请修改后重新上传。",
            ],
        )
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("没有名为“projects”的台账。可用的台账：org（组织机构", unknown.stderr)
        self.assertIn("可用的台账：org（组织机构：区（县）、乡镇街道及其村（社区）", listed.stdout)
