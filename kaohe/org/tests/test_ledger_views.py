"""The org ledger's page: the district admin downloads the template and the export, tries a file (试导入) and
imports it; a refused file lists every rejected cell; nobody else reaches the page."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.core.models import ChangeLog
from kaohe.lib import xlsx
from kaohe.org.choices import UnitKind
from kaohe.org.models import Unit

from .test_ledger import district, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerPageTests(TestCase):
    admin: ClassVar[User]
    root: ClassVar[str]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        cls.root = Unit.objects.get(kind=UnitKind.DISTRICT).code

    def client_for(self, user: User) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client

    def upload(self, data: bytes, action: str, name: str = "和溪区组织机构.xlsx"):  # type: ignore[no-untyped-def]
        file = SimpleUploadedFile(name, data, content_type=XLSX)
        return self.client_for(self.admin).post(reverse("org:ledger"), {"file": file, "action": action})

    def test_the_org_page_links_the_ledger_for_the_admin_only(self) -> None:
        self.assertContains(self.client_for(self.admin).get(reverse("org:tree")), 'data-testid="org-ledger"')
        leader = UserFactory.create(role=Role.DISTRICT_LEADER)
        self.assertNotContains(self.client_for(leader).get(reverse("org:tree")), 'data-testid="org-ledger"')

    def test_the_page_offers_the_template_and_the_export(self) -> None:
        page = self.client_for(self.admin).get(reverse("org:ledger"))
        self.assertContains(page, "组织机构台账：导入与导出")
        self.assertContains(page, f'href="{reverse("org:ledger_template")}"')
        self.assertContains(page, f'href="{reverse("org:ledger_export")}"')

    def test_the_downloads_are_workbooks_named_in_chinese_and_the_export_is_audited(self) -> None:
        client = self.client_for(self.admin)
        template = client.get(reverse("org:ledger_template"))
        self.assertEqual(template["Content-Type"], XLSX)
        self.assertIn(f"filename*=utf-8''{quote('组织机构台账模板.xlsx')}", template["Content-Disposition"])
        self.assertIn("单位", [s.name for s in xlsx.read_workbook(template.content, filename="t.xlsx").sheets])
        export = client.get(reverse("org:ledger_export"))
        self.assertEqual(export["Content-Type"], XLSX)
        rows = xlsx.read_workbook(export.content, filename="e.xlsx").sheet("单位").rows
        self.assertIn([self.root, Unit.objects.get(code=self.root).name, "区（县）", None, None, "是", 0, None], rows)
        log = ChangeLog.objects.filter(action="export", object_type="ledger.org").get()
        self.assertEqual((log.actor, log.object_repr), (self.admin, "导出组织机构台账"))

    def test_a_preview_reports_and_writes_nothing_then_the_import_writes(self) -> None:
        data = workbook(district(towns=3, villages=2, departments=1, root=self.root))
        preview = self.upload(data, "preview")
        self.assertContains(preview, "试导入：将新增 12 行、修改 0 行、未变 0 行（本次未写入任何数据）。")
        self.assertContains(preview, '<td>单位</td><td class="text-end">9</td>', html=False)
        self.assertFalse(Unit.objects.filter(code="t01").exists())
        done = self.upload(data, "import")
        self.assertContains(done, "已导入组织机构台账：新增 12 行、修改 0 行、未变 0 行。")
        self.assertEqual(Unit.objects.filter(parent__code="t01").count(), 2)

    def test_a_refused_file_lists_every_rejected_cell_and_writes_nothing(self) -> None:
        sheets = district(towns=3, villages=2, departments=1, root=self.root)
        sheets["单位"][0] = (*sheets["单位"][0][:2], "镇子", *sheets["单位"][0][3:])
        response = self.upload(workbook(sheets), "import")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "有 1 处错误，整份文件未导入", status_code=400)
        self.assertContains(response, 'data-cell="C2"', status_code=400)
        self.assertFalse(Unit.objects.filter(code="t01").exists())

    def test_a_csv_is_told_what_to_save_as(self) -> None:
        response = self.upload(b"code,name\n", "import", name="乡镇.csv")
        self.assertContains(response, "请在 Excel 或 WPS 表格 中“另存为”Excel 工作簿（*.xlsx）", status_code=400)

    def test_no_one_else_reaches_the_page_or_the_downloads(self) -> None:
        for role in (Role.DISTRICT_LEADER, Role.DISTRICT_REVIEWER, Role.TOWNSHIP_CLERK, Role.SYSTEM_ADMIN):
            client = self.client_for(
                UserFactory.create(
                    role=role, unit=Unit.objects.filter(kind="town").first() if role == Role.TOWNSHIP_CLERK else None
                )
            )
            for name in ("org:ledger", "org:ledger_template", "org:ledger_export"):
                with self.subTest(role=role, page=name):
                    self.assertEqual(client.get(reverse(name)).status_code, 404)
