"""The Excel pages: who sees which template, downloads, uploads with their result, and hostile files."""

from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kaohe.collection import templates_xlsx
from kaohe.collection.tests.test_importers import amount, cell_of, download, edit, snapshot
from kaohe.core.models import ChangeLog
from kaohe.lib.tests import xlsx_corpus as corpus
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Indicator, Target
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase

NEXT = DEMO_MONTH + 1  # an open month: nothing saved, nothing submitted
VALUES_UPLOAD = "/data/excel/values/upload/"
TARGETS_UPLOAD = "/data/excel/targets/upload/"


def upload(
    client: Client, url: str, content: bytes, name: str = "模板.xlsx", action: str = "import"
) -> tuple[int, str]:
    response = client.post(url, {"file": SimpleUploadedFile(name, content), "action": action})
    return response.status_code, response.content.decode()


class PageTests(WorldTestCase):
    def test_urls(self) -> None:
        self.assertEqual(reverse("excel:index"), "/data/excel/")
        self.assertEqual(reverse("excel:values_template", args=[DEMO_YEAR, 10]), f"/data/excel/values/{DEMO_YEAR}/10/")
        self.assertEqual(reverse("excel:values_upload"), VALUES_UPLOAD)
        self.assertEqual(reverse("excel:targets_template", args=[DEMO_YEAR]), f"/data/excel/targets/{DEMO_YEAR}/")
        self.assertEqual(reverse("excel:targets_upload"), TARGETS_UPLOAD)

    def test_each_role_is_offered_its_own_templates(self) -> None:
        page = self.client_for("dept_officer").get("/data/excel/", {"year": DEMO_YEAR, "month": 7}).content.decode()
        self.assertIn("数据填报模板 · 统计局", page)
        self.assertIn(f'href="/data/excel/values/{DEMO_YEAR}/7/"', page)
        self.assertIn(f'action="{VALUES_UPLOAD}"', page)
        self.assertNotIn(TARGETS_UPLOAD, page)
        page = self.client_for("township_clerk").get("/data/excel/").content.decode()
        self.assertIn("数据填报模板 · 青石镇", page)
        page = self.client_for("district_admin").get("/data/excel/").content.decode()
        self.assertIn(f'href="/data/excel/targets/{DEMO_YEAR}/"', page)
        self.assertIn(f'action="{TARGETS_UPLOAD}"', page)
        self.assertNotIn(VALUES_UPLOAD, page)
        page = self.client_for("district_reviewer").get("/data/excel/").content.decode()
        self.assertIn('data-testid="excel-nothing"', page)
        self.assertNotIn("/upload/", page)

    def test_the_menu_links_the_page(self) -> None:
        self.assertIn('href="/data/excel/"', self.client_for("township_clerk").get("/").content.decode())

    def test_download_the_department_template(self) -> None:
        logged = ChangeLog.objects.count()
        response = self.client_for("dept_officer").get(f"/data/excel/values/{DEMO_YEAR}/{DEMO_MONTH}/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], templates_xlsx.XLSX_CONTENT_TYPE)
        disposition = response["Content-Disposition"]
        self.assertEqual(
            unquote(disposition.split("filename*=UTF-8''")[1]),
            f"{DEMO_YEAR}年1-{DEMO_MONTH}月_统计局_数据填报模板.xlsx",
        )
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(book[templates_xlsx.VALUES_SHEET].cell(3, 1).value, templates_xlsx.CODE_MARK)
        self.assertEqual(ChangeLog.objects.count(), logged + 1)  # the export is audited
        row = ChangeLog.objects.latest("pk")
        self.assertEqual((row.action, row.actor_username), ("export", "tongjiju"))

    def test_downloads_outside_the_scheme_answer_404(self) -> None:
        officer = self.client_for("dept_officer")
        self.assertEqual(officer.get(f"/data/excel/values/{DEMO_YEAR}/13/").status_code, 404)
        self.assertEqual(officer.get("/data/excel/values/1999/1/").status_code, 404)
        self.assertEqual(self.client_for("district_admin").get("/data/excel/targets/1999/").status_code, 404)
        self.assertEqual(self.client_for("district_reviewer").get(f"/data/excel/targets/{DEMO_YEAR}/").status_code, 404)


class UploadTests(WorldTestCase):
    def test_upload_preview_then_import(self) -> None:
        client = self.client_for("dept_officer")
        content = edit(download("tongjiju", month=NEXT), {("qingshi", "gyzcz"): Decimal("1234.5")})
        before = snapshot()
        status, page = upload(client, VALUES_UPLOAD, content, action="preview")
        self.assertEqual(status, 200)
        self.assertIn("试导入：将写入 1 个数据，涉及 1 份报送（本次未写入任何数据）。", page)
        self.assertEqual(snapshot(), before)
        status, page = upload(client, VALUES_UPLOAD, content)
        self.assertEqual(status, 200)
        self.assertIn("已导入 1 个数据，涉及 1 份报送。", page)
        self.assertEqual(amount("qingshi", "gyzcz", NEXT), Decimal("1234.5"))

    def test_every_rejected_cell_is_listed(self) -> None:
        content = edit(
            download("tongjiju", month=NEXT), {("qingshi", "gyzcz"): "abc", ("baisha", "gdzc"): Decimal("-5")}
        )
        status, page = upload(self.client_for("dept_officer"), VALUES_UPLOAD, content)
        self.assertEqual(status, 400)
        self.assertIn("文件有 2 处错误，未导入任何数据。", page)
        row, column = cell_of(content, "qingshi", "gyzcz")
        letter = openpyxl.utils.get_column_letter(column)
        self.assertIn(
            f'<tr data-cell="{letter}{row}"><td>数据填报</td><td class="text-end">{row}</td>'
            f'<td class="text-center">{letter}</td><td>“abc”不是数字</td></tr>',
            page,
        )
        self.assertIn("不能为负数（-5）", page)
        self.assertIsNone(amount("qingshi", "gyzcz", NEXT))

    def test_a_clerk_cannot_import_into_another_township(self) -> None:
        book = openpyxl.load_workbook(io.BytesIO(download("qingshi_tb", month=NEXT)))
        ws = book[templates_xlsx.VALUES_SHEET]
        ws.cell(templates_xlsx.FIRST_DATA_ROW, 1).value = "baisha"
        ws.cell(templates_xlsx.FIRST_DATA_ROW, 4).value = 10
        out = io.BytesIO()
        book.save(out)
        before = snapshot()
        status, page = upload(self.client_for("township_clerk"), VALUES_UPLOAD, out.getvalue())
        self.assertEqual(status, 400)
        self.assertIn("不在您的填报范围内，只能导入本乡镇的数据", page)
        self.assertEqual(snapshot(), before)

    def test_reviewers_and_leaders_cannot_reach_the_upload(self) -> None:
        content = download("tongjiju", month=NEXT)
        for role in ("district_reviewer", "district_leader", "supervisor", "district_admin", "audit_admin"):
            client = self.client_for(role)
            self.assertEqual(client.get(VALUES_UPLOAD).status_code, 404, role)
            self.assertEqual(upload(client, VALUES_UPLOAD, content)[0], 404, role)
        self.assertEqual(upload(self.client_for("township_clerk"), TARGETS_UPLOAD, content)[0], 404)

    def test_a_targets_file_on_the_values_upload_is_refused(self) -> None:
        content = templates_xlsx.targets_template(year=DEMO_YEAR).content
        status, page = upload(self.client_for("dept_officer"), VALUES_UPLOAD, content)
        self.assertEqual(status, 400)
        self.assertIn("这是目标任务模板", page)

    def test_no_file(self) -> None:
        response = self.client_for("dept_officer").post(VALUES_UPLOAD, {"action": "import"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("请选择要上传的 Excel 文件。", response.content.decode())


class HostileUploadTests(WorldTestCase):
    """SECURITY.md IV-6 through the page: each file is refused with a Chinese message and writes nothing."""

    def assertRefused(self, content: bytes, name: str, message: str) -> None:
        before = snapshot()
        status, page = upload(self.client_for("dept_officer"), VALUES_UPLOAD, content, name=name)
        self.assertEqual(status, 400, page)
        self.assertIn(message, page)
        self.assertIn('data-testid="import-refused"', page)
        self.assertEqual(snapshot(), before)

    def test_macro_workbook(self) -> None:
        self.assertRefused(download("tongjiju", month=NEXT), "模板.xlsm", "不支持含宏的 .xlsm 文件")

    def test_zip_bomb(self) -> None:
        self.assertRefused(corpus.zip_bomb(), "模板.xlsx", "疑似压缩炸弹")

    def test_renamed_binary(self) -> None:
        exe = corpus.renamed_binaries()["exe"]
        self.assertRefused(exe, "模板.xlsx", "文件内容不是 Excel 工作簿（.xlsx），可能是修改了扩展名的其他文件。")

    def test_formula_cell(self) -> None:
        content = edit(download("tongjiju", month=NEXT), {("qingshi", "gyzcz"): "=SUM(D5:D9)"})
        self.assertRefused(content, "模板.xlsx", "工作簿含有 1 个公式单元格")
        self.assertIsNone(amount("qingshi", "gyzcz", NEXT))

    def test_billion_laughs(self) -> None:
        self.assertRefused(corpus.billion_laughs(), "模板.xlsx", "XML 实体声明")


class TargetsUploadTests(WorldTestCase):
    YEAR = DEMO_YEAR + 2

    def setUp(self) -> None:
        admin = self.users["district_admin"]
        scheme = scheme_services.scheme_create(year=self.YEAR, name="草稿方案", by=admin)
        category = scheme_services.category_create(scheme=scheme, code="economy", name="经济发展", by=admin)
        source = Indicator.objects.get(scheme__year=DEMO_YEAR, scheme__scenario="", code="gyzcz")
        self.indicator = scheme_services.indicator_create(
            scheme=scheme, by=admin, code="gyzcz", name=source.name, unit=source.unit, kind=source.kind,
            owner=source.owner, source=source.source, rule=source.rule, weight=Decimal(100), category=category,
        )  # fmt: skip
        scheme_services.target_set(indicator=self.indicator, unit=self.own_unit, amount=Decimal(500), by=admin,
                                   stretch=Decimal(600))  # fmt: skip

    def targets_file(self, values: dict[str, object]) -> bytes:
        response = self.client_for("district_admin").get(f"/data/excel/targets/{self.YEAR}/")
        self.assertEqual(response.status_code, 200)
        return edit(response.content, {(u, "gyzcz"): v for u, v in values.items()}, sheet=templates_xlsx.TARGETS_SHEET)

    def target(self, unit: str) -> Decimal | None:
        row = Target.objects.filter(indicator=self.indicator, unit__code=unit).first()
        return row.amount if row else None

    def test_targets_round_trip(self) -> None:
        content = self.targets_file({"baisha": Decimal("321.5"), "qingshi": Decimal(550)})
        status, page = upload(self.client_for("district_admin"), TARGETS_UPLOAD, content, name="目标.xlsx")
        self.assertEqual(status, 200, page)
        self.assertIn("已导入 2 个目标，涉及 2 个乡镇。", page)
        self.assertEqual((self.target("baisha"), self.target("qingshi")), (Decimal("321.5"), Decimal(550)))
        kept = Target.objects.get(indicator=self.indicator, unit=self.own_unit)
        self.assertEqual(kept.stretch, Decimal(600))  # not in the file: kept
        self.assertTrue(ChangeLog.objects.filter(action="import", object_repr__contains="目标.xlsx").exists())
        # A blank cell cancels the task (无任务), as in the matrix.
        content = self.targets_file({"baisha": None})
        status, page = upload(self.client_for("district_admin"), TARGETS_UPLOAD, content)
        self.assertEqual(status, 200, page)
        self.assertIsNone(self.target("baisha"))

    def test_bad_targets_are_all_reported(self) -> None:
        content = self.targets_file({"baisha": Decimal(0), "qingshi": Decimal(700), "longquan": "多"})
        before = snapshot()
        status, page = upload(self.client_for("district_admin"), TARGETS_UPLOAD, content)
        self.assertEqual(status, 400)
        self.assertIn("目标值须大于0（收到 0）", page)
        self.assertIn("奋斗目标 600 低于年度目标 700", page)  # at the stretch cell, in the file beside the annual one
        self.assertIn("“多”不是数字", page)
        self.assertEqual(snapshot(), before)
        self.assertEqual(self.target("qingshi"), Decimal(500))

    def test_a_published_scheme_is_refused(self) -> None:
        content = templates_xlsx.targets_template(year=DEMO_YEAR).content
        status, page = upload(self.client_for("district_admin"), TARGETS_UPLOAD, content)
        self.assertEqual(status, 400)
        self.assertIn("考核方案已发布，不能直接修改；目标变更请提交任务调整。", page)
