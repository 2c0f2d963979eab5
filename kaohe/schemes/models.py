"""The year's scheme (考核方案): indicators, rules, weights, targets, adjustments and item types.

Edited in draft, then published; a published scheme is frozen and its targets change only through
approved adjustments (任务调整) with their full before/after history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from kaohe.core.models import BaseModel
from kaohe.org.models import Department, Unit, UnitGroup, code_validator

from .choices import (
    UNIT_CHOICES,
    DataSource,
    Direction,
    Frequency,
    IndicatorKind,
    ItemKind,
    RequestStatus,
    SchemeStatus,
    VetoEffect,
)

AMOUNT_DIGITS, AMOUNT_PLACES = 20, 4  # 4 decimals: 万元 amounts to the cent and beyond
POINTS_DIGITS, POINTS_PLACES = 10, 4
month_validators = [MinValueValidator(1), MaxValueValidator(12)]


def validate_stage_months(value: object) -> None:
    if not isinstance(value, list) or any(type(m) is not int or not 1 <= m <= 12 for m in value):
        raise ValidationError("分期目标月份须为 1 到 12 之间的月份。")
    if value != sorted(set(value)):
        raise ValidationError("分期目标月份须由小到大、不重复。")


class SchemeQuerySet(models.QuerySet["Scheme"]):
    """Every lookup of a year's scheme says which it means: the official one, or the scenarios beside it."""

    def official(self) -> SchemeQuerySet:
        return self.filter(scenario="")

    def published(self) -> SchemeQuerySet:
        return self.official().filter(status=SchemeStatus.PUBLISHED)

    def scenarios(self) -> SchemeQuerySet:
        return self.exclude(scenario="")


class Scheme(BaseModel):
    """One year's assessment scheme: the official one, or a scenario (模拟方案) kept beside it.

    A year has exactly one official scheme. A scenario is a draft copy of it, edited like a draft to see what a rule or
    weight change would do on the year's approved figures; it is never published, never scored officially and never
    shown to townships.
    """

    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2000)])
    name = models.CharField("名称", max_length=100)
    scenario = models.CharField("模拟方案名称", max_length=64, blank=True, default="", help_text="留空即正式方案。")
    status = models.CharField("状态", max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What every group's indicator weights add up to: 100 for a township's whole assessment, 3 for a sub-assessment.
    total_points = models.DecimalField(
        "满分", max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, default=Decimal(100),
        validators=[MinValueValidator(Decimal("0.0001"))], help_text="各考核分组的指标分值合计须等于满分。",
    )  # fmt: skip
    # Grades by bands or rank share, as the engine's grade rule (validated by kaohe.scoring.parse).
    grade_rule = models.JSONField("等次规则", null=True, blank=True)
    townships_see_published_scores = models.BooleanField("乡镇可查看已发布的其他乡镇得分", default=True)
    # 四眼原则 (SECURITY.md §9, 2-person rule): whoever proposes an item, a target adjustment or an unlock does not
    # approve it. A one-person 考核办 switches it off; every self-approval is then logged as such.
    four_eyes = models.BooleanField("四眼原则（提出人不能审批本人提出的事项）", default=True)
    # Data-quality thresholds (DHIS2-style): z-score against peers and change against last year.
    outlier_z = models.DecimalField("同类异常阈值（Z 分数）", max_digits=6, decimal_places=2, default=Decimal("3"))
    outlier_yoy = models.DecimalField(
        "同比异常阈值（倍）", max_digits=6, decimal_places=2, default=Decimal("3"),
        help_text="本期累计值高于上年同期的该倍数，或低于其倒数时提示。",
    )  # fmt: skip
    report_deadline_day = models.PositiveSmallIntegerField(
        "月报截止日", default=10, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="次月几日前报送视为及时。",
    )  # fmt: skip

    objects = SchemeQuerySet.as_manager()

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year", "scenario"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(scenario=""), name="schemes_one_official_scheme_per_year",
                violation_error_message="该年度已有正式考核方案。",
            ),
            models.UniqueConstraint(
                fields=["year", "scenario"], condition=~models.Q(scenario=""), name="schemes_scenario_name_unique",
                violation_error_message="该年度已有同名模拟方案。",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.label

    @property
    def is_scenario(self) -> bool:
        return self.scenario != ""

    @property
    def ref(self) -> str:
        """How addresses name the scheme: the year for the official one, s<pk> for a scenario."""
        return f"s{self.pk}" if self.is_scenario else str(self.year)

    @property
    def label(self) -> str:
        return f"{self.name}（模拟：{self.scenario}）" if self.is_scenario else self.name

    @property
    def is_published(self) -> bool:
        return self.status == SchemeStatus.PUBLISHED

    @property
    def is_returned(self) -> bool:
        """Published once and returned to draft for revision (退回修改): its figures stay, its boards wait."""
        return self.status == SchemeStatus.DRAFT and self.published_at is not None


class Category(BaseModel):
    """A category of indicators (经济发展 / 项目建设 / 招商引资 …)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField("编码", max_length=32, validators=[code_validator])
    name = models.CharField("名称", max_length=64)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "指标类别"
        verbose_name_plural = "指标类别"
        ordering = ["scheme", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="schemes_category_code_unique")]

    def __str__(self) -> str:
        return self.name


# The largest figure of each unit of measure a township reports: a count of projects or enterprises is a few
# hundred at most, a township's money figures are far below a trillion 元; beyond these a digit was typed too many.
UNIT_MAX: dict[str, Decimal] = {
    "个": Decimal(100_000), "户": Decimal(100_000), "项": Decimal(100_000), "人": Decimal(10_000_000),
    "万元": Decimal(10) ** 10, "亿元": Decimal(10) ** 6, "万美元": Decimal(10) ** 9, "元": Decimal(10) ** 14,
}  # fmt: skip
PERCENT_MAX = Decimal(1000)  # a growth rate or level in %: a decline never passes −100 %
OUT_OF_BOUNDS_HIGH = "“{name}”的数值 {value} 超出合理范围（不超过 {high} {unit}），请核对是否多输了位数或单位"
OUT_OF_BOUNDS_LOW = "“{name}”的数值 {value}% 超出合理范围（不低于 {low}%），请核对"


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def for_year(self, year: int) -> IndicatorQuerySet:
        return self.filter(scheme__year=year, scheme__scenario="")


class Indicator(BaseModel):
    """An assessed indicator with its rule, weight and data owner."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT, related_name="indicators")
    code = models.CharField("编码", max_length=32, validators=[code_validator])
    name = models.CharField("名称", max_length=100)
    unit = models.CharField("计量单位", max_length=16, choices=UNIT_CHOICES)
    kind = models.CharField("类型", max_length=16, choices=IndicatorKind.choices)
    direction = models.CharField("方向", max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    owner = models.ForeignKey(
        Department, verbose_name="数据责任部门", on_delete=models.PROTECT, related_name="indicators"
    )
    source = models.CharField("数据来源", max_length=16, choices=DataSource.choices)
    frequency = models.CharField("频次", max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    plan_curve = models.JSONField("分月计划", null=True, blank=True, help_text="12 个累计比例，末项为 1。")
    # The months staged targets (分期目标) are handed down for, e.g. [3, 6, 9]: one column each in the targets workbook.
    stage_months = models.JSONField("分期目标月份", default=list, blank=True, validators=[validate_stage_months])
    interpolate_stages = models.BooleanField("分期目标按月插值", default=False)
    counts_for_schedule = models.BooleanField("计入序时统计", default=True)
    rule = models.JSONField("评分规则", null=True, blank=True)
    weight = models.DecimalField(
        "分值",
        max_digits=POINTS_DIGITS,
        decimal_places=POINTS_PLACES,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    part_of = models.ForeignKey(
        "self", verbose_name="所属总量指标", null=True, blank=True, on_delete=models.PROTECT, related_name="parts",
        help_text="本指标是另一指标的组成部分时（如工业投资属于固定资产投资），其值不得大于总量。",
    )  # fmt: skip
    requires_evidence = models.BooleanField("须上传佐证材料", default=False)
    # Figures are entered and shown with `decimal_places`; 完成%, 序时差 and 完成阶段目标% are shown with `rate_places`
    # (published tables print 84,000 万元 and 90.8%): both rounded half-up once from the exact value.
    decimal_places = models.PositiveSmallIntegerField("小数位数", default=2, validators=[MaxValueValidator(4)])
    rate_places = models.PositiveSmallIntegerField(
        "完成率小数位数", default=2, validators=[MaxValueValidator(4)],
        help_text="成绩单上完成%、序时差（个百分点）、完成阶段目标%显示的小数位数。",
    )  # fmt: skip
    sort_order = models.PositiveIntegerField("排序", default=0)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["scheme", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="schemes_indicator_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_derived(self) -> bool:
        """Scored from other indicators (a combo rule): it has no figures or targets of its own."""
        return isinstance(self.rule, dict) and self.rule.get("family") == "combo"

    def bounds(self) -> tuple[Decimal | None, Decimal]:
        """The range a reported figure of this indicator can lie in (lowest, highest); outside it the figure is a
        typing slip — a digit too many, a 万元 figure typed in 元 — not a township's result."""
        if self.unit == "%":
            return (Decimal(-100) if self.kind == IndicatorKind.GROWTH else Decimal(0)), PERCENT_MAX
        return None, UNIT_MAX.get(self.unit, UNIT_MAX["元"])

    def out_of_bounds(self, amount: Decimal) -> str | None:
        """Why `amount` cannot be this indicator's figure, in Chinese; None when it can."""
        low, high = self.bounds()
        if amount > high:
            return OUT_OF_BOUNDS_HIGH.format(name=self.name, value=f"{amount:,f}", unit=self.unit, high=f"{high:,}")
        if low is not None and amount < low:
            return OUT_OF_BOUNDS_LOW.format(name=self.name, value=f"{amount:f}", low=f"{low}")
        return None


class GroupWeight(BaseModel):
    """A group's own weight for an indicator (分组考核: 工业主导型 weighs industry more)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="group_weights")
    group = models.ForeignKey(UnitGroup, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(
        "分值", max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = "分组分值"
        verbose_name_plural = "分组分值"
        constraints = [models.UniqueConstraint(fields=["indicator", "group"], name="schemes_groupweight_unique")]


class Target(BaseModel):
    """A unit's annual target on an indicator, with optional stretch and staged targets (分期目标).

    `amount` is always the target in force now; its history is the approved adjustments.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="targets")
    amount = models.DecimalField("年度目标", max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    stretch = models.DecimalField(
        "奋斗目标", max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, null=True, blank=True
    )
    # {"3": "1200", "9": "3600"}: cumulative amount due by the end of month 3, 9 …
    stages = models.JSONField("分期目标", default=dict, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        verbose_name = "目标任务"
        verbose_name_plural = "目标任务"
        constraints = [models.UniqueConstraint(fields=["indicator", "unit"], name="schemes_target_unique")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.indicator}"


class TargetAdjustment(BaseModel):
    """A request to change a published target (任务调整), approved by the district admin."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="adjustments")
    effective_month = models.PositiveSmallIntegerField("自几月起生效", validators=month_validators)
    old_amount = models.DecimalField("调整前", max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    new_amount = models.DecimalField("调整后", max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    old_stages = models.JSONField("调整前分期目标", default=dict, blank=True)
    new_stages = models.JSONField("调整后分期目标", default=dict, blank=True)
    reason = models.TextField("调整理由")
    evidence = models.FileField("依据材料", upload_to="evidence/adjustments/%Y/", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "任务调整"
        verbose_name_plural = "任务调整"
        ordering = ["-created_at"]


class ItemType(BaseModel):
    """A bonus, deduction or veto item of the scheme, with its cap (加分 / 扣分 / 一票否决)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="item_types")
    kind = models.CharField("类型", max_length=16, choices=ItemKind.choices)
    code = models.CharField("编码", max_length=32, validators=[code_validator])
    name = models.CharField("名称", max_length=100)
    points = models.DecimalField(
        "每项分值", max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, null=True, blank=True
    )
    cap = models.DecimalField("封顶分值", max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, null=True, blank=True)
    veto_effect = models.CharField("否决后果", max_length=16, choices=VetoEffect.choices, blank=True)
    owner = models.ForeignKey(
        Department, verbose_name="提出部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 报表及时率 as a deduction: points per late or missing monthly report, computed, not typed.
    from_timeliness = models.BooleanField("按报表及时率自动计算", default=False)

    class Meta:
        verbose_name = "加扣分项"
        verbose_name_plural = "加扣分项"
        ordering = ["scheme", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="schemes_itemtype_code_unique")]

    def __str__(self) -> str:
        return self.name


class ItemRecord(BaseModel):
    """One bonus, deduction or veto for a unit, proposed by a department and approved by the admin."""

    item_type = models.ForeignKey(ItemType, on_delete=models.PROTECT, related_name="records")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="item_records")
    month = models.PositiveSmallIntegerField("月份", validators=month_validators)
    points = models.DecimalField(
        "分值",
        max_digits=POINTS_DIGITS,
        decimal_places=POINTS_PLACES,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    reason = models.TextField("事由")
    evidence = models.FileField("佐证材料", upload_to="evidence/items/%Y/", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "加扣分记录"
        verbose_name_plural = "加扣分记录"
        ordering = ["-created_at"]
