"""The scheme screens: who sees what, the publish button, the all-or-nothing targets matrix, adjustments and items.

Schemes are built for years the demo does not use (2030+), through the services.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from decimal import Decimal
from typing import Any, ClassVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from kaohe.accounts.models import User
from kaohe.core.models import ChangeLog
from kaohe.org.models import UnitGroup
from kaohe.schemes import services
from kaohe.schemes.choices import ItemKind, RequestStatus, SchemeStatus
from kaohe.schemes.forms import parse_stages, validate_evidence
from kaohe.schemes.models import Indicator, ItemRecord, ItemType, Scheme, Target, TargetAdjustment
from kaohe.schemes.selectors import describe_grade_rule, describe_plan_curve, describe_rule
from kaohe.test import WorldTestCase, world_scheme

DRAFT, PUBLISHED = 2030, 2031


BUSINESS_ROLES = [
    "district_admin", "dept_officer", "township_clerk", "township_leader", "district_reviewer", "district_leader",
    "supervisor",
]  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

MEDIA = tempfile.mkdtemp(prefix="kaohe-test-media-")  # uploaded evidence goes here, never into var/media


def tearDownModule() -> None:
    shutil.rmtree(MEDIA, ignore_errors=True)


def office_file(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<xml/>")
    return buffer.getvalue()


class SchemeViewTestCase(WorldTestCase):
    admin: ClassVar[User]
    draft: ClassVar[Scheme]
    published: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.admin = cls.users["district_admin"]
        cls.draft = world_scheme(DRAFT, cls.admin)
        cls.published = world_scheme(PUBLISHED, cls.admin, publish=True)

    def target(self, scheme: Scheme, unit: Any, code: str = "ind0") -> Target:
        return Target.objects.get(indicator__scheme=scheme, indicator__code=code, unit=unit)


class SchemePageTests(SchemeViewTestCase):
    def test_every_page_renders_for_every_business_role(self) -> None:
        urls = [
            reverse("schemes:list"),
            reverse("schemes:detail", args=[DRAFT]),
            reverse("schemes:detail", args=[PUBLISHED]),
            reverse("schemes:targets", args=[DRAFT]),
            reverse("schemes:targets", args=[PUBLISHED]),
            reverse("schemes:adjustment_list", args=[PUBLISHED]),
            reverse("schemes:item_list", args=[PUBLISHED]),
            reverse("schemes:target_detail", args=[self.target(self.published, self.own_unit).pk]),
        ]
        for role in BUSINESS_ROLES:
            client = self.client_for(role)
            for url in urls:
                with self.subTest(role=role, url=url):
                    self.assertEqual(client.get(url).status_code, 200)

    def test_the_three_separated_admins_see_no_scheme(self) -> None:
        for role in ("system_admin", "security_admin", "audit_admin"):
            with self.subTest(role=role):
                self.assertEqual(self.client_for(role).get(reverse("schemes:detail", args=[DRAFT])).status_code, 404)

    def test_an_unknown_year_answers_404(self) -> None:
        self.assertEqual(self.client_for("district_admin").get("/schemes/2099/").status_code, 404)

    def test_the_list_shows_each_year_with_its_status(self) -> None:
        page = self.client_for("district_leader").get(reverse("schemes:list")).content.decode()
        self.assertIn(f'data-year="{DRAFT}"', page)
        self.assertIn("草稿", page)
        self.assertIn("已发布", page)
        self.assertNotIn("新建方案", page)
        self.assertIn("新建方案", self.client_for("district_admin").get(reverse("schemes:list")).content.decode())

    def test_the_overview_shows_rules_in_words_and_the_publish_button_to_the_admin_only(self) -> None:
        page = self.client_for("district_admin").get(reverse("schemes:detail", args=[DRAFT])).content.decode()
        self.assertIn("完成率×分值，封顶120%", page)
        self.assertIn("统计数据", page)
        self.assertIn('data-testid="publish"', page)
        self.assertIn(reverse("schemes:indicator_edit", args=[self.draft.indicators.first().pk]), page)  # type: ignore[union-attr]
        page = self.client_for("district_leader").get(reverse("schemes:detail", args=[DRAFT])).content.decode()
        self.assertNotIn('data-testid="publish"', page)
        self.assertNotIn("编辑</a>", page)

    def test_a_published_scheme_is_shown_frozen_without_edit_controls(self) -> None:
        page = self.client_for("district_admin").get(reverse("schemes:detail", args=[PUBLISHED])).content.decode()
        self.assertIn("已发布（冻结）", page)
        self.assertNotIn('data-testid="publish"', page)
        self.assertNotIn("新增指标", page)
        self.assertNotIn("/edit/", page)

    def test_the_publish_button_publishes(self) -> None:
        client = self.client_for("district_admin")
        response = client.post(reverse("schemes:publish", args=[DRAFT]), follow=True)
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, SchemeStatus.PUBLISHED)
        self.assertContains(response, "已发布（冻结）")
        self.assertNotContains(response, 'data-testid="publish"')

    def test_publishing_a_scheme_with_problems_shows_them_instead(self) -> None:
        scheme = world_scheme(2032, self.admin, weights=(60, 30))
        response = self.client_for("district_admin").post(reverse("schemes:publish", args=[2032]), follow=True)
        scheme.refresh_from_db()
        self.assertEqual(scheme.status, SchemeStatus.DRAFT)
        self.assertContains(response, "方案未发布：请先解决下列问题。")
        self.assertContains(response, "工业主导型的指标分值合计为 90，应为满分 100（少10）。")

    def test_publishing_answers_post_only_and_only_to_the_admin(self) -> None:
        self.assertEqual(
            self.client_for("district_admin").get(reverse("schemes:publish", args=[DRAFT])).status_code, 405
        )
        response = self.client_for("district_leader").post(reverse("schemes:publish", args=[DRAFT]))
        self.assertEqual(response.status_code, 404)
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, SchemeStatus.DRAFT)

    def test_the_admin_creates_a_scheme_and_a_category(self) -> None:
        client = self.client_for("district_admin")
        grade = {"grade-method": "bands", "grade-rows": 1, "grade-item-0-grade": "优秀", "grade-item-0-min": "90",
                 "grade-else": "合格"}  # fmt: skip
        response = client.post(reverse("schemes:create"), {"year": 2033, "name": "2033年方案", **grade})
        self.assertRedirects(response, reverse("schemes:detail", args=[2033]))
        response = client.post(
            reverse("schemes:category_create", args=[2033]), {"code": "xm", "name": "项目建设", "sort_order": 1}
        )
        self.assertRedirects(response, reverse("schemes:detail", args=[2033]))
        page = client.get(reverse("schemes:detail", args=[2033])).content.decode()
        self.assertIn("项目建设", page)
        self.assertIn("按总分：≥90分 优秀，其余 合格；一票否决定为 不合格", page)

    def test_the_admin_adds_item_types_to_a_draft(self) -> None:
        client = self.client_for("district_admin")
        url = reverse("schemes:item_type_create", args=[DRAFT])
        response = client.post(url, {"kind": "veto", "code": "aq", "name": "安全生产事故"})
        self.assertContains(response, "一票否决项须指定否决后果。")
        data = {"kind": "bonus", "code": "zs", "name": "招商特别贡献", "points": "2", "cap": "6"}
        self.assertRedirects(client.post(url, data), reverse("schemes:detail", args=[DRAFT]))
        self.assertEqual(self.draft.item_types.get().cap, Decimal(6))
        self.assertRedirects(
            client.get(reverse("schemes:item_type_create", args=[PUBLISHED])),
            reverse("schemes:detail", args=[PUBLISHED]),
        )

    def test_a_scheme_with_a_bad_grade_rule_is_not_created(self) -> None:
        response = self.client_for("district_admin").post(
            reverse("schemes:create"),
            {"year": 2033, "name": "x", "grade-method": "bands", "grade-rows": 2, "grade-item-0-grade": "优秀",
             "grade-item-0-min": "80", "grade-item-1-grade": "良好", "grade-item-1-min": "90", "grade-else": "合格"},
        )  # fmt: skip
        self.assertContains(response, "须由高到低排列且不重复")
        self.assertFalse(Scheme.objects.filter(year=2033).exists())


class IndicatorFormTests(SchemeViewTestCase):
    def form_data(self, indicator: Indicator, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": indicator.code, "name": indicator.name, "category": indicator.category_id, "unit": indicator.unit,
            "kind": indicator.kind, "direction": indicator.direction, "owner": indicator.owner_id,
            "source": indicator.source, "frequency": indicator.frequency, "weight": "60",
            "rule-family": "ratio", "rule-basis": "annual", "rule-cap": "120", "counts_for_schedule": "on",
            "decimal_places": 2, "rate_places": 2,
            "sort_order": 0,
        }  # fmt: skip
        data.update(overrides)
        return data

    def test_the_form_shows_every_attribute_of_the_indicator(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        page = self.client_for("district_admin").get(reverse("schemes:indicator_edit", args=[indicator.pk]))
        self.assertContains(page, "测试指标0")
        self.assertContains(page, 'name="rule-cap" value="120"')
        # The weight as people write it, in a text box with the number pad: 60, never 60.0000.
        self.assertContains(page, f'name="weight" value="{indicator.weight.normalize():f}"')
        self.assertNotContains(page, 'name="weight" value="60.0000"')
        self.assertContains(page, "封顶（%）")
        for label in ("计量单位", "数据责任部门", "数据来源", "频次", "分月计划", "计入序时统计", "工业主导型分值"):
            self.assertContains(page, label)

    def test_a_bad_rule_shows_the_engines_message_next_to_the_field_and_saves_nothing(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        data = self.form_data(indicator, name="改过的名字", **{"rule-cap": "0"})
        response = self.client_for("district_admin").post(reverse("schemes:indicator_edit", args=[indicator.pk]), data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<div class="text-danger small" data-testid="error-rule-cap">须大于0')
        indicator.refresh_from_db()
        self.assertEqual((indicator.name, indicator.rule), ("测试指标0", {"family": "ratio", "cap": "1.2"}))

    def test_a_number_that_is_not_one_is_explained_in_chinese(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        data = self.form_data(indicator, **{"rule-cap": "一百二"})
        response = self.client_for("district_admin").post(reverse("schemes:indicator_edit", args=[indicator.pk]), data)
        self.assertContains(response, 'data-testid="error-rule-cap">输入一个数字')

    def test_a_bad_plan_curve_is_shown_next_to_the_curve(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        curve = {f"plan_curve_{i}": v for i, v in enumerate(["0.1", "0.2", "0.3", "0.2"] + ["0.5"] * 7 + ["0.9"])}
        response = self.client_for("district_admin").post(
            reverse("schemes:indicator_edit", args=[indicator.pk]), self.form_data(indicator, **curve)
        )
        self.assertContains(response, 'data-testid="error-plan_curve">分月计划有误')
        indicator.refresh_from_db()
        self.assertIsNone(indicator.plan_curve)

    def test_a_valid_edit_is_saved_exactly_as_typed(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        curve = ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "1"]
        data = self.form_data(
            indicator, name="地区生产总值", **{"rule-cap": "115"},
            **{f"plan_curve_{i}": v for i, v in enumerate(curve)},
        )  # fmt: skip
        response = self.client_for("district_admin").post(reverse("schemes:indicator_edit", args=[indicator.pk]), data)
        self.assertRedirects(response, reverse("schemes:detail", args=[DRAFT]))
        indicator.refresh_from_db()
        self.assertEqual(indicator.name, "地区生产总值")
        # 115 % is stored as exactly 1.15, never through a float.
        self.assertEqual(indicator.rule, {"family": "ratio", "basis": "annual", "cap": "1.15"})
        self.assertEqual(indicator.plan_curve, curve)

    def test_the_admin_creates_an_indicator_with_a_group_weight(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        group = UnitGroup.objects.get(code="service")
        data = self.form_data(indicator, code="tax", name="税收收入", weight="0", **{f"group_{group.pk}": "10"})
        response = self.client_for("district_admin").post(reverse("schemes:indicator_create", args=[DRAFT]), data)
        self.assertRedirects(response, reverse("schemes:detail", args=[DRAFT]))
        created = self.draft.indicators.get(code="tax")
        self.assertEqual(created.group_weights.get().weight, Decimal(10))

    def test_a_duplicate_code_is_refused(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        response = self.client_for("district_admin").post(
            reverse("schemes:indicator_create", args=[DRAFT]), self.form_data(indicator, code="ind1")
        )
        self.assertContains(response, "指标编码“ind1”已存在。")

    def test_a_published_indicator_cannot_be_edited(self) -> None:
        indicator = self.published.indicators.get(code="ind0")
        client = self.client_for("district_admin")
        response = client.post(reverse("schemes:indicator_edit", args=[indicator.pk]), self.form_data(indicator))
        self.assertRedirects(response, reverse("schemes:detail", args=[PUBLISHED]))
        self.assertRedirects(
            client.get(reverse("schemes:indicator_create", args=[PUBLISHED])),
            reverse("schemes:detail", args=[PUBLISHED]),
        )

    def test_only_the_admin_reaches_the_indicator_form(self) -> None:
        indicator = self.draft.indicators.get(code="ind0")
        for role in ("district_leader", "dept_officer", "township_leader"):
            with self.subTest(role=role):
                url = reverse("schemes:indicator_edit", args=[indicator.pk])
                self.assertEqual(self.client_for(role).get(url).status_code, 404)


class TargetMatrixTests(SchemeViewTestCase):
    def key(self, unit: Any, code: str) -> str:
        return f"{unit.pk}-{self.draft.indicators.get(code=code).pk}"

    def save(self, data: dict[str, str], **kwargs: Any) -> Any:
        """POST the matrix as the page would: with the fingerprint of the targets it showed."""
        page = self.client_for("district_admin").get(reverse("schemes:targets", args=[DRAFT]))
        fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page.content.decode())
        assert fingerprint is not None
        data = {"fingerprint": fingerprint.group(1), **data}
        return self.client_for("district_admin").post(reverse("schemes:targets_save", args=[DRAFT]), data, **kwargs)

    def test_a_township_user_sees_only_his_own_row(self) -> None:
        for role in ("township_clerk", "township_leader"):
            with self.subTest(role=role):
                page = self.client_for(role).get(reverse("schemes:targets", args=[PUBLISHED])).content.decode()
                self.assertIn('data-unit="qingshi"', page)
                self.assertNotIn('data-unit="baisha"', page)
                self.assertNotIn(
                    reverse("schemes:target_detail", args=[self.target(self.published, self.other_unit).pk]), page
                )
        page = self.client_for("district_leader").get(reverse("schemes:targets", args=[PUBLISHED])).content.decode()
        self.assertEqual(page.count("data-unit="), 14)

    def test_a_draft_is_editable_by_the_admin_only(self) -> None:
        url = reverse("schemes:targets", args=[DRAFT])
        self.assertContains(self.client_for("district_admin").get(url), f'name="a-{self.key(self.own_unit, "ind0")}"')
        self.assertNotContains(self.client_for("district_leader").get(url), 'name="a-')

    def test_the_save_is_all_or_nothing_and_names_every_bad_cell(self) -> None:
        logs = ChangeLog.objects.count()
        data = {
            f"a-{self.key(self.own_unit, 'ind0')}": "150",
            f"a-{self.key(self.other_unit, 'ind0')}": "0",
            f"a-{self.key(self.own_unit, 'ind1')}": "200",
            f"g-{self.key(self.own_unit, 'ind1')}": "3:80, 6:50",
        }
        response = self.save(data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "白沙镇 · 测试指标0：目标值须大于0")
        self.assertContains(response, "青石镇 · 测试指标1：分期目标须逐期不减")
        self.assertContains(response, 'value="150"')  # what was typed is kept for correction
        self.assertEqual(self.target(self.draft, self.own_unit).amount, Decimal(100))
        self.assertEqual(ChangeLog.objects.count(), logs)

    def test_a_typo_in_one_cell_also_saves_nothing(self) -> None:
        data = {f"a-{self.key(self.own_unit, 'ind0')}": "150", f"a-{self.key(self.other_unit, 'ind0')}": "12o"}
        response = self.save(data)
        self.assertContains(response, "白沙镇 · 测试指标0：“12o”不是有效的数字。")
        self.assertEqual(self.target(self.draft, self.own_unit).amount, Decimal(100))

    def test_a_valid_save_writes_only_the_changed_cells(self) -> None:
        logs = ChangeLog.objects.count()
        data = {
            f"a-{self.key(self.own_unit, 'ind0')}": "1,500",
            f"s-{self.key(self.own_unit, 'ind0')}": "1800",
            f"g-{self.key(self.own_unit, 'ind0')}": "3:300，9：1200",
            f"a-{self.key(self.other_unit, 'ind0')}": "100",  # unchanged
            f"a-{self.key(self.other_unit, 'ind1')}": "",  # cleared: no task for this township
        }
        response = self.save(data)
        self.assertRedirects(response, reverse("schemes:targets", args=[DRAFT]))
        target = self.target(self.draft, self.own_unit)
        self.assertEqual((target.amount, target.stretch, target.stages), (1500, 1800, {"3": "300", "9": "1200"}))
        self.assertFalse(
            Target.objects.filter(indicator__code="ind1", indicator__scheme=self.draft, unit=self.other_unit)
        )
        self.assertEqual(ChangeLog.objects.count(), logs + 2)

    def test_a_save_from_a_page_older_than_the_targets_is_refused(self) -> None:
        page = self.client_for("district_admin").get(reverse("schemes:targets", args=[DRAFT])).content.decode()
        fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page).group(1)  # type: ignore[union-attr]
        # Meanwhile another admin changes a target.
        services.target_set(
            indicator=self.draft.indicators.get(code="ind0"), unit=self.other_unit, amount=Decimal(120), by=self.admin
        )
        data = {"fingerprint": fingerprint, f"a-{self.key(self.own_unit, 'ind0')}": "150"}
        response = self.client_for("district_admin").post(reverse("schemes:targets_save", args=[DRAFT]), data)
        self.assertContains(response, "打开本页后，这些目标已被他人修改")
        self.assertEqual(self.target(self.draft, self.own_unit).amount, Decimal(100))
        self.assertEqual(self.target(self.draft, self.other_unit).amount, Decimal(120))

    def test_a_published_matrix_is_read_only_with_adjust_links_in_scope(self) -> None:
        own = self.target(self.published, self.own_unit)
        adjust = reverse("schemes:adjustment_request", args=[own.pk])
        url = reverse("schemes:targets", args=[PUBLISHED])
        admin = self.client_for("district_admin").get(url)
        self.assertNotContains(admin, 'name="a-')
        self.assertContains(admin, adjust)
        self.assertContains(self.client_for("township_leader").get(url), adjust)
        self.assertNotContains(self.client_for("township_clerk").get(url), adjust)  # no target.adjust
        response = self.client_for("district_admin").post(reverse("schemes:targets_save", args=[PUBLISHED]), {})
        self.assertRedirects(response, reverse("schemes:detail", args=[PUBLISHED]))

    def test_a_combo_indicator_has_no_column_of_its_own(self) -> None:
        services.indicator_create(
            scheme=self.draft, by=self.admin, code="combo", name="签约综合完成率", unit="%", kind="cumulative",
            owner=self.draft.indicators.get(code="ind0").owner, source="self", category=self.draft.categories.get(),
            rule={"family": "combo", "parts": [{"indicator": "ind0", "share": "0.5"},
                                               {"indicator": "ind1", "share": "0.5"}]},
        )  # fmt: skip
        page = self.client_for("district_admin").get(reverse("schemes:targets", args=[DRAFT])).content.decode()
        self.assertNotIn('data-indicator="combo"', page)
        self.assertIn("组合指标“签约综合完成率”由其组成指标的完成率计分，没有自己的目标。", page)

    def test_the_matrix_filters_by_category(self) -> None:
        response = self.client_for("district_admin").get(reverse("schemes:targets", args=[DRAFT]) + "?category=jjfz")
        self.assertContains(response, "测试指标0")
        response = self.client_for("district_admin").get(reverse("schemes:targets", args=[DRAFT]) + "?category=nope")
        self.assertEqual(response.status_code, 404)


@override_settings(MEDIA_ROOT=MEDIA)
class AdjustmentTests(SchemeViewTestCase):
    def request_url(self, unit: Any) -> str:
        return reverse("schemes:adjustment_request", args=[self.target(self.published, unit).pk])

    def post_request(self, role: str = "township_leader", **overrides: Any) -> Any:
        data: dict[str, Any] = {
            "effective_month": 7, "new_amount": "80", "new_stages": "", "reason": "受洪灾影响，两家企业停产",
            "evidence": SimpleUploadedFile("批复.pdf", PDF, content_type="application/pdf"),
        }  # fmt: skip
        data.update(overrides)
        return self.client_for(role).post(self.request_url(self.own_unit), data)

    def test_an_out_of_scope_target_answers_404(self) -> None:
        other = self.target(self.published, self.other_unit)
        for role in ("township_clerk", "township_leader"):
            with self.subTest(role=role):
                client = self.client_for(role)
                self.assertEqual(client.get(reverse("schemes:target_detail", args=[other.pk])).status_code, 404)
                self.assertEqual(client.get(self.request_url(self.other_unit)).status_code, 404)
        own = reverse("schemes:target_detail", args=[self.target(self.published, self.own_unit).pk])
        self.assertEqual(self.client_for("township_clerk").get(own).status_code, 200)
        self.assertEqual(self.client_for("township_clerk").get(self.request_url(self.own_unit)).status_code, 404)

    def test_the_leader_asks_and_the_admin_approves(self) -> None:
        response = self.post_request()
        target = self.target(self.published, self.own_unit)
        self.assertRedirects(response, reverse("schemes:target_detail", args=[target.pk]))
        adjustment = target.adjustments.get()
        self.assertEqual((adjustment.new_amount, adjustment.requested_by), (Decimal(80), self.users["township_leader"]))
        self.assertTrue(adjustment.evidence.name.endswith(".pdf"))

        listing = self.client_for("district_admin").get(reverse("schemes:adjustment_list", args=[PUBLISHED]))
        self.assertContains(listing, '<strong data-testid="pending-count">1</strong>', html=False)
        self.assertContains(listing, f'data-testid="approve-{adjustment.pk}"')
        self.assertNotContains(
            self.client_for("township_leader").get(reverse("schemes:adjustment_list", args=[PUBLISHED])), "approve-"
        )

        response = self.client_for("district_admin").post(
            reverse("schemes:adjustment_approve", args=[adjustment.pk]), {"note": "同意"}
        )
        self.assertRedirects(response, reverse("schemes:adjustment_list", args=[PUBLISHED]))
        target.refresh_from_db()
        self.assertEqual((target.amount, target.version), (Decimal(80), 2))

        page = self.client_for("township_clerk").get(reverse("schemes:target_detail", args=[target.pk]))
        self.assertContains(page, "100 → <strong>80</strong>")
        self.assertContains(page, "受洪灾影响，两家企业停产")
        self.assertContains(page, "同意")
        self.assertContains(page, "年度目标 100；分期目标 —")  # the change log's before
        self.assertContains(page, "年度目标 80；分期目标 —")
        self.assertContains(page, "已调整 1 次")

        download = self.client_for("township_clerk").get(reverse("schemes:adjustment_evidence", args=[adjustment.pk]))
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment", download["Content-Disposition"])
        self.assertEqual(b"".join(download.streaming_content), PDF)  # type: ignore[attr-defined]

    def test_a_reason_is_required_and_a_bad_new_target_is_named(self) -> None:
        response = self.post_request(reason="")
        self.assertContains(response, 'data-testid="error-reason"')
        response = self.post_request(new_amount="90", new_stages="3:95")
        self.assertContains(response, "3月的分期目标 95 超过年度目标 90。")
        self.assertFalse(TargetAdjustment.objects.filter(target__indicator__scheme=self.published).exists())

    def test_evidence_must_be_a_real_document_of_at_most_10_mb(self) -> None:
        cases = [
            (SimpleUploadedFile("a.exe", PDF), "只接受 PDF"),
            (SimpleUploadedFile("a.pdf", PNG), "文件内容与扩展名“.pdf”不符"),
            (SimpleUploadedFile("a.docx", office_file("xl/workbook.xml")), "文件内容与扩展名“.docx”不符"),
            (SimpleUploadedFile("a.pdf", PDF + b"0" * (10 * 1024 * 1024)), "不能超过 10 MB"),
        ]
        for upload, message in cases:
            with self.subTest(upload.name, message=message):
                self.assertContains(self.post_request(evidence=upload), message)
        self.assertFalse(TargetAdjustment.objects.filter(target__indicator__scheme=self.published).exists())

    def test_a_rejection_needs_a_note(self) -> None:
        self.post_request(evidence="")
        adjustment = TargetAdjustment.objects.get(target__indicator__scheme=self.published)
        url = reverse("schemes:adjustment_reject", args=[adjustment.pk])
        response = self.client_for("district_admin").post(url, {"note": ""}, follow=True)
        self.assertContains(response, "驳回须填写意见。")
        adjustment.refresh_from_db()
        self.assertEqual(adjustment.status, RequestStatus.PENDING)
        self.client_for("district_admin").post(url, {"note": "依据不足", "back": "target"})
        adjustment.refresh_from_db()
        self.assertEqual((adjustment.status, adjustment.decision_note), (RequestStatus.REJECTED, "依据不足"))
        response = self.client_for("district_admin").post(url, {"note": "再次"}, follow=True)
        self.assertContains(response, services.ADJUSTMENT_DECIDED)

    def test_only_the_admin_decides(self) -> None:
        self.post_request(evidence="")
        adjustment = TargetAdjustment.objects.get(target__indicator__scheme=self.published)
        for role in ("township_leader", "dept_officer", "district_leader"):
            with self.subTest(role=role):
                url = reverse("schemes:adjustment_approve", args=[adjustment.pk])
                self.assertEqual(self.client_for(role).post(url).status_code, 404)
        adjustment.refresh_from_db()
        self.assertEqual(adjustment.status, RequestStatus.PENDING)

    def test_a_draft_target_is_changed_directly_not_adjusted(self) -> None:
        url = reverse("schemes:adjustment_request", args=[self.target(self.draft, self.own_unit).pk])
        response = self.client_for("district_admin").get(url, follow=True)
        self.assertContains(response, services.SCHEME_NOT_PUBLISHED.format(year=DRAFT))


@override_settings(MEDIA_ROOT=MEDIA)
class ItemRecordTests(SchemeViewTestCase):
    item_type: ClassVar[ItemType]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        scheme = world_scheme(2033, cls.admin, weights=(100,), publish=False)
        cls.item_type = services.item_type_create(
            scheme=scheme, by=cls.admin, kind=ItemKind.BONUS, code="zs", name="引进亿元项目", points=Decimal(2),
            cap=Decimal(6),
        )  # fmt: skip
        services.item_type_create(
            scheme=scheme, by=cls.admin, kind=ItemKind.VETO, code="aq", name="安全生产", veto_effect="fail_grade"
        )
        services.scheme_publish(scheme=scheme, by=cls.admin)

    def test_the_overview_lists_item_types_with_caps(self) -> None:
        page = self.client_for("district_leader").get(reverse("schemes:detail", args=[2033]))
        self.assertContains(page, "引进亿元项目")
        self.assertContains(page, '<td class="text-end">6</td>', html=False)
        self.assertContains(page, "等次定为不合格")

    def test_a_department_proposes_and_the_admin_approves(self) -> None:
        url = reverse("schemes:item_propose", args=[2033])
        self.assertEqual(self.client_for("dept_officer").get(url).status_code, 200)
        self.assertEqual(self.client_for("township_leader").get(url).status_code, 404)
        data = {
            "item_type": self.item_type.pk, "unit": self.own_unit.pk, "month": 5, "points": "",
            "reason": "新引进亿元项目1个", "evidence": SimpleUploadedFile("协议.xlsx", office_file("xl/workbook.xml")),
        }  # fmt: skip
        response = self.client_for("dept_officer").post(url, data)
        self.assertRedirects(response, reverse("schemes:item_list", args=[2033]))
        record = ItemRecord.objects.get(item_type=self.item_type)
        self.assertEqual(
            (record.points, record.unit, record.status), (Decimal(2), self.own_unit, RequestStatus.PENDING)
        )

        # The township sees its own record; another township's user would not.
        self.assertContains(
            self.client_for("township_clerk").get(reverse("schemes:item_list", args=[2033])), "新引进亿元项目1个"
        )
        response = self.client_for("district_admin").post(
            reverse("schemes:item_reject", args=[record.pk]), {}, follow=True
        )
        self.assertContains(response, "驳回须填写意见。")
        self.client_for("district_admin").post(reverse("schemes:item_approve", args=[record.pk]), {"note": ""})
        record.refresh_from_db()
        self.assertEqual((record.status, record.decided_by), (RequestStatus.APPROVED, self.admin))

    def test_another_townships_record_is_out_of_scope(self) -> None:
        record = services.item_record_propose(
            item_type=self.item_type, unit=self.other_unit, month=3, reason="x", by=self.admin
        )
        page = self.client_for("township_clerk").get(reverse("schemes:item_list", args=[2033]))
        self.assertNotContains(page, f'data-record="{record.pk}"')
        url = reverse("schemes:item_evidence", args=[record.pk])
        self.assertEqual(self.client_for("township_clerk").get(url).status_code, 404)


class RuleWordingTests(SimpleTestCase):
    """describe_rule covers every family of the engine, in the words an admin reads."""

    CASES: ClassVar[list[tuple[dict[str, Any], str]]] = [
        ({"family": "ratio", "cap": "1.2"}, "完成率×分值，封顶120%"),
        ({"family": "ratio", "basis": "schedule"}, "序时完成率×分值，封顶100%"),
        (
            {"family": "combo", "parts": [{"indicator": "qs", "share": "0.5"}, {"indicator": "je", "share": "0.5"}]},
            "【签约个数完成率×50%+je完成率×50%】×分值，封顶100%",
        ),
        (
            {"family": "base_per_pp", "base": 20, "over_points": "0.5", "max_bonus": 10},
            "完成率达到100%得20分；超过部分每个百分点加0.5分，最多加10分；未完成按完成比例计分",
        ),
        (
            {
                "family": "base_per_pp",
                "basis": "schedule",
                "base": 300,
                "over_points": 5,
                "max_bonus": 50,
                "under": "per_pp",
                "under_points": 5,
            },
            "序时完成率达到100%得300分；超过部分每个百分点加5分，最多加50分；未完成每个百分点扣5分",
        ),
        (
            {
                "family": "piecewise_pp",
                "limit": 10,
                "segments": [
                    {"from": 0, "to": 1, "per_pp": "-0.1"},
                    {"from": 1, "to": "1.3", "per_pp": "0.2"},
                    {"from": "1.3", "per_pp": "0.1"},
                ],
            },
            "完成率100%以下每差1个百分点扣0.1分；100%–130%每超1个百分点加0.2分；130%以上每超1个百分点加0.1分；合计不超过±10分",
        ),
        (
            {"family": "bands", "bands": [{"min": 1, "points": 100}, {"min": "0.8", "points": 75}]},
            "按完成率分档：≥100%得100分，≥80%得75分，其余得0分",
        ),
        ({"family": "efficacy"}, "功效系数法：本组最好的计100、最差的计60，其余按差距折算，再×分值÷100"),
        (
            {"family": "rank_points", "points": [60, 57], "pool": "all"},
            "按完成值在全区排名：第1名60分、第2名57分，其余0分；并列取较高名次",
        ),
        ({"family": "share_of_total"}, "分值×本单位完成值÷本组合计"),
        ({"family": "per_item", "points": 2, "cap": 6}, "每个（项）计2分，最多6分"),
        ({"family": "per_event", "points": "1.5"}, "基础分值，每发生一次扣1.5分，扣完为止"),
        (
            {"family": "growth_vs_target", "over_points": "0.5", "under_points": 1, "max_bonus": 5},
            "增速达到目标得分值；高于目标每个百分点加0.5分，最多加5分；低于目标每个百分点扣1分",
        ),
    ]

    def test_every_family_reads_in_chinese(self) -> None:
        families = set()
        for rule, words in self.CASES:
            families.add(rule["family"])
            with self.subTest(rule["family"]):
                self.assertEqual(describe_rule(rule, {"qs": "签约个数"}), words)
        from kaohe.scoring import RULE_FAMILIES

        self.assertEqual(families, set(RULE_FAMILIES))

    def test_no_rule_and_a_bad_rule(self) -> None:
        self.assertEqual(describe_rule(None), "不计分（仅统计序时）")
        self.assertEqual(describe_rule({"family": "ratio", "cap": "0"}), "评分规则有误：cap：须大于0，收到 0")

    def test_grade_rules_and_plan_curves(self) -> None:
        rule = {"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}], "else": "合格"}
        self.assertEqual(describe_grade_rule(rule), "按全区名次比例：前30% 优秀，其余 合格；一票否决定为 不合格")
        self.assertEqual(describe_plan_curve(None), "按月平均（N/12）")
        self.assertTrue(describe_plan_curve(["0.1"] * 11 + ["1"]).startswith("1月10%、2月10%"))

    def test_staged_targets_are_typed_as_month_and_amount(self) -> None:
        self.assertEqual(parse_stages("3:1200， 9月：3600"), {"3": "1200", "9": "3600"})
        self.assertEqual(parse_stages(""), {})
        for bad in ("3-1200", "3:1200, 3:1300", "三月:10"):
            with self.subTest(bad), self.assertRaises(Exception):
                parse_stages(bad)

    def test_an_office_file_is_recognised_by_its_content(self) -> None:
        validate_evidence(SimpleUploadedFile("a.docx", office_file("word/document.xml")))
        validate_evidence(SimpleUploadedFile("a.PNG", PNG))
