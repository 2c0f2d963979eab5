"""完成阶段目标% on the 成绩单: a township with 上半年 and 前三季度 targets, July measured against 前三季度, the same
figure on the page, in the export and in `kaohe score --json`."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import ClassVar

import openpyxl
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.assessment import selectors
from kaohe.assessment.inputs import Mode
from kaohe.collection import services as collection
from kaohe.collection.tests.factories import SubmissionFactory, ValueFactory, owner_of
from kaohe.org.tests.factories import DepartmentFactory, UnitFactory
from kaohe.schemes.models import Scheme
from kaohe.schemes.tests.factories import CategoryFactory, IndicatorFactory, SchemeFactory, TargetFactory, published
from kaohe.test import DEMO_YEAR, WorldTestCase

YEAR = 2086


class StagedTargetsOnTheBoard(TestCase):
    admin: ClassVar[User]
    scheme: ClassVar[Scheme]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = UserFactory.create(role=Role.DISTRICT_ADMIN)
        t1, t2 = UnitFactory.create(code="s1", name="甲镇"), UnitFactory.create(code="s2", name="乙镇")
        scheme = SchemeFactory.create(year=YEAR)
        tax = IndicatorFactory.create(
            scheme=scheme, category=CategoryFactory.create(scheme=scheme), code="tax", name="税收收入",
            owner=DepartmentFactory.create(), source="self", weight=Decimal(100), stage_months=[6, 9],
            rule={"family": "ratio", "basis": "schedule", "cap": "1.2"},
        )  # fmt: skip
        TargetFactory.create(indicator=tax, unit=t1, amount=Decimal(1000), stages={"6": "400", "9": "700"})
        TargetFactory.create(indicator=tax, unit=t2, amount=Decimal(1000))
        cls.scheme = published(scheme)
        reviewer = UserFactory.create(role=Role.DISTRICT_REVIEWER)
        for unit, amount in ((t1, "560"), (t2, "600")):
            submission = SubmissionFactory.create(scheme=cls.scheme, unit=unit, month=7)
            ValueFactory.create(submission=submission, indicator=tax, amount=Decimal(amount))
            collection.submission_submit(submission=submission, by=owner_of(submission))
            collection.submission_approve(submission=submission, by=reviewer)

    def test_the_grid_holds_the_stage_and_its_completion(self) -> None:
        grid = selectors.grid(scheme=self.scheme, month=7, mode=Mode.OFFICIAL)
        figures = grid.figures["tax"]
        by_code = {line.code: line.index for line in grid.lines}
        self.assertEqual((figures.stage[by_code["s1"]], figures.stage_completion[by_code["s1"]]), (9, 8000))
        self.assertEqual((figures.stage[by_code["s2"]], figures.stage_completion[by_code["s2"]]), (None, None))
        self.assertEqual(figures.completion[by_code["s1"]], 5600)  # the annual completion, side by side

    def test_page_export_and_json_say_the_same(self) -> None:
        self.client.force_login(self.admin)
        page = self.client.get(reverse("assessment:scoreboard", args=[YEAR, 7])).content.decode()
        self.assertIn("完成阶段目标%", page)
        self.assertIn('data-testid="stage">前三季度 80.00%</div>', page)
        # 甲镇 in the table and on its phone card; 乙镇 has no stages, so no stage line.
        self.assertEqual(page.count('data-testid="stage"'), 2)

        export = self.client.get(reverse("assessment:export", args=[YEAR, 7]))
        ws = openpyxl.load_workbook(io.BytesIO(export.content)).active
        assert ws is not None
        headers = [c.value for c in ws[3]]
        column = headers.index("完成阶段目标%") + 1
        row = next(r[0].row for r in ws.iter_rows(min_row=4) if r[0].value == "甲镇")
        self.assertEqual(ws.cell(row=row, column=column).value, 0.8)
        self.assertEqual(headers[column - 2], "全年完成%")

        out = io.StringIO()
        call_command("score", "--period", f"{YEAR}-07", "--json", stdout=out)
        cells = {u["code"]: u["indicators"][0] for u in json.loads(out.getvalue())["units"]}
        self.assertEqual(
            {k: cells["s1"][k] for k in ("stage", "stage_target", "stage_completion", "stage_gap_pp")},
            {"stage": "前三季度", "stage_target": "700", "stage_completion": "0.8", "stage_gap_pp": "-20"},
        )
        self.assertIsNone(cells["s2"]["stage"])
        self.assertIn("前三季度目标700，完成阶段目标80.00%", cells["s1"]["explanation"])


class DemoStages(WorldTestCase):
    def test_kaohe_score_json_on_the_demos_july_carries_the_stage(self) -> None:
        out = io.StringIO()
        call_command("score", "--period", f"{DEMO_YEAR}-07", "--json", stdout=out)
        units = json.loads(out.getvalue())["units"]
        cells = [c for u in units for c in u["indicators"] if c["code"] == "gdzc" and c["status"] != "no_target"]
        self.assertTrue(cells)
        for cell in cells:
            self.assertEqual(cell["stage"], "前三季度")
            if cell["actual"] is not None:
                self.assertEqual(
                    Decimal(cell["stage_completion"]), Decimal(cell["actual"]) / Decimal(cell["stage_target"])
                )
                self.assertIn("前三季度目标", cell["explanation"])
