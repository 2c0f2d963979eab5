"""Monthly figures and their review: one submission per unit, period and data owner.

A township's self-reported figures form one submission (owner = None); each department's figures for
a township form another. Values are year-to-date cumulative (1–N月累计), Decimal, never float.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from kaohe.core.models import BaseModel
from kaohe.org.models import Department, Unit
from kaohe.schemes.models import AMOUNT_DIGITS, AMOUNT_PLACES, Indicator, Scheme
from kaohe.scoring import period_label

from .choices import SubmissionStatus


class Submission(BaseModel):
    """The review unit: (unit, year, month, owner) → draft / submitted / approved / returned."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="submissions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="submissions")
    month = models.PositiveSmallIntegerField("月份", validators=[MinValueValidator(1), MaxValueValidator(12)])
    owner = models.ForeignKey(
        Department, verbose_name="数据责任部门", null=True, blank=True, on_delete=models.PROTECT,
        related_name="submissions", help_text="空：乡镇自报。",
    )  # fmt: skip
    status = models.CharField("状态", max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    # Optimistic locking: every save names the version it was based on (SECURITY.md DI-1).
    version = models.PositiveIntegerField("版本", default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    first_submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    return_reason = models.TextField("退回原因", blank=True)
    # A pending 解锁申请 (one at a time): who asked, when, why. Whoever holds data.unlock decides it — under 四眼原则
    # never the one who asked (collection.services.submission_unlock).
    unlock_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="解锁申请人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    unlock_requested_at = models.DateTimeField("解锁申请时间", null=True, blank=True)
    unlock_reason = models.TextField("解锁申请理由", blank=True)

    class Meta:
        verbose_name = "报送"
        verbose_name_plural = "报送"
        ordering = ["scheme", "month", "unit__sort_order", "owner__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "unit", "month", "owner"], name="collection_submission_unique",
                nulls_distinct=False,
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        owner = self.owner.short_name if self.owner else "乡镇自报"
        return f"{self.unit} {self.scheme.year}年{period_label(self.month)}（{owner}）"

    @property
    def owner_label(self) -> str:
        return (self.owner.short_name or self.owner.name) if self.owner else "乡镇自报"


class Value(BaseModel):
    """One indicator's year-to-date figure for one unit and month."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    amount = models.DecimalField("1-N月累计", max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    # A cumulative figure may fall below last month's only as a flagged statistical revision.
    is_revision = models.BooleanField("统计修订", default=False)
    note = models.TextField("说明", blank=True)
    evidence = models.FileField("佐证材料", upload_to="evidence/values/%Y/%m/", null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "填报值"
        verbose_name_plural = "填报值"
        constraints = [models.UniqueConstraint(fields=["submission", "indicator"], name="collection_value_unique")]

    def __str__(self) -> str:
        return f"{self.submission.unit} {self.indicator} {self.amount}"

    def clean(self) -> None:
        # Every door (form, grid, API) saves through values_save's full_clean; the Excel import checks the same
        # bounds cell by cell (importers.parse_cell) before its bulk write.
        problem = None if self.amount is None else self.indicator.out_of_bounds(Decimal(self.amount))
        if problem:
            raise ValidationError({"amount": problem})
