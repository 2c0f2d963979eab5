"""A stored scheme the engine refuses is a Chinese 409 page and exit 1, never a 500; a published scheme can be
returned to draft with a logged reason, and its boards then say it is being revised."""

from __future__ import annotations

from io import StringIO
from typing import ClassVar

from django.core.management import CommandError, call_command
from django.urls import reverse

from kaohe.accounts.models import User
from kaohe.collection.models import Value
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.org.choices import UnitKind
from kaohe.org.models import Unit
from kaohe.schemes import services
from kaohe.schemes.models import Indicator, Scheme
from kaohe.schemes.tests.factories import IndicatorFactory
from kaohe.test import DEMO_MONTH, DEMO_YEAR, WorldTestCase, world_scheme

YEAR = 2044
COMBO = {"family": "combo", "parts": [{"indicator": "ind0", "share": "0.5"}, {"indicator": "ind1", "share": "0.5"}]}
REFUSAL = "指标“招商综合”：比率/水平类指标不能用“组合完成率”计分"


class RefusedStoredScheme(WorldTestCase):
    scheme: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        admin = cls.users["district_admin"]
        scheme = world_scheme(YEAR, admin, weights=(60, 40))
        IndicatorFactory.create(scheme=scheme, category=scheme.categories.get(), code="zh", name="招商综合", rule=COMBO)
        cls.scheme = services.scheme_publish(scheme=scheme, by=admin)
        Indicator.objects.filter(scheme=scheme, code="zh").update(kind="ratio")  # changed outside Kaohe

    def test_every_page_that_scores_answers_409_naming_the_indicator(self) -> None:
        own = self.own_unit.code
        pages = [
            reverse("assessment:scoreboard", args=[YEAR, 3]),
            reverse("assessment:export", args=[YEAR, 3]),
            reverse("assessment:dashboard", args=[YEAR, 3]),
            reverse("assessment:warnings", args=[YEAR, 3]),
            reverse("assessment:unit", args=[YEAR, 3, own]),
            reverse("assessment:indicator", args=[YEAR, 3, "ind0"]),
            reverse("assessment:explain", args=[YEAR, 3, own, "zh"]),
        ]
        client = self.client_for("district_admin")
        for url in pages:
            with self.subTest(url=url):
                response = client.get(url)
                self.assertEqual(response.status_code, 409)
                self.assertContains(response, f"{YEAR}年考核方案无法计分：{REFUSAL}", status_code=409)
                self.assertContains(response, "退回修改", status_code=409)

    def test_kaohe_score_exits_1_with_the_same_message(self) -> None:
        with self.assertRaises(CommandError) as ctx:
            call_command("score", "--period", f"{YEAR}-03", stdout=StringIO())
        self.assertEqual(ctx.exception.returncode, 1)
        self.assertIn(f"{YEAR}年考核方案无法计分：{REFUSAL}", str(ctx.exception))


class ReturnToDraft(WorldTestCase):
    admin: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.admin = cls.users["district_admin"]

    def test_a_returned_scheme_keeps_its_figures_logs_the_reason_and_its_boards_say_so(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        figures = Value.objects.filter(submission__scheme=scheme).count()
        self.assertGreater(figures, 0)
        services.scheme_return(scheme=scheme, reason="组合指标类型填错", by=self.admin)
        scheme.refresh_from_db()
        self.assertTrue(scheme.is_returned)
        row = ChangeLog.objects.filter(object_type="schemes.scheme", object_id=str(scheme.pk)).latest("id")
        self.assertEqual((row.action, row.reason, row.actor), (ChangeAction.RETURN, "组合指标类型填错", self.admin))
        self.assertEqual(row.after, {"status": "draft"})
        self.assertEqual(Value.objects.filter(submission__scheme=scheme).count(), figures)
        client = self.client_for("district_leader")
        for url in (
            reverse("assessment:scoreboard", args=[DEMO_YEAR, DEMO_MONTH]),
            reverse("assessment:dashboard", args=[DEMO_YEAR, DEMO_MONTH]),
            reverse("assessment:index"),
        ):
            with self.subTest(url=url):
                self.assertContains(client.get(url, follow=True), "方案已退回修改")
        with self.assertRaises(CommandError) as ctx:
            call_command("score", "--period", f"{DEMO_YEAR}-{DEMO_MONTH:02d}", stdout=StringIO())
        self.assertIn("已退回修改", str(ctx.exception))
        # Corrected and published again, the board is back with the same figures.
        services.scheme_publish(scheme=scheme, by=self.admin)
        response = client.get(reverse("assessment:scoreboard", args=[DEMO_YEAR, DEMO_MONTH]))
        self.assertContains(response, self.own_unit.name)
        self.assertNotContains(response, "方案已退回修改")

    def test_the_reason_is_required_and_only_a_published_scheme_returns(self) -> None:
        scheme = Scheme.objects.official().get(year=DEMO_YEAR)
        response = self.client_for("district_admin").post(reverse("schemes:return", args=[DEMO_YEAR]), {"reason": " "})
        self.assertRedirects(response, reverse("schemes:detail", args=[DEMO_YEAR]))
        scheme.refresh_from_db()
        self.assertTrue(scheme.is_published)
        draft = world_scheme(YEAR + 1, self.admin, targets=False)
        with self.assertRaises(ApplicationError):
            services.scheme_return(scheme=draft, reason="x", by=self.admin)

    def test_the_admin_returns_it_from_the_scheme_page(self) -> None:
        client = self.client_for("district_admin")
        self.assertContains(client.get(reverse("schemes:detail", args=[DEMO_YEAR])), 'data-testid="return"')
        response = client.post(reverse("schemes:return", args=[DEMO_YEAR]), {"reason": "目标下达有误"}, follow=True)
        badge = '<span class="badge text-bg-danger" data-testid="scheme-status">已退回修改</span>'
        self.assertContains(response, badge)
        self.assertContains(client.get(reverse("schemes:list")), "已退回修改")
        self.assertTrue(Scheme.objects.official().get(year=DEMO_YEAR).is_returned)

    def test_others_cannot_return_a_scheme(self) -> None:
        response = self.client_for("district_leader").post(reverse("schemes:return", args=[DEMO_YEAR]), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertTrue(Scheme.objects.official().get(year=DEMO_YEAR).is_published)


class VillagePages(WorldTestCase):
    def test_the_unit_page_of_a_village_is_not_found(self) -> None:
        village = Unit.objects.filter(kind=UnitKind.VILLAGE, parent=self.own_unit).first()
        assert village is not None
        for role in ("district_admin", "township_clerk"):
            with self.subTest(role=role):
                response = self.client_for(role).get(
                    reverse("assessment:unit", args=[DEMO_YEAR, DEMO_MONTH, village.code])
                )
                self.assertEqual(response.status_code, 404)
