"""The org tree: district → townships/streets → villages, departments as data owners, unit groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kaohe.core.models import BaseModel

from .choices import ASSESSED_KINDS, UnitKind

if TYPE_CHECKING:
    from kaohe.accounts.models import User

# Stable codes: they appear in Excel templates, imports, URLs and the API, and never change.
code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", "编码只能包含字母、数字、下划线和连字符，最长 32 位。"
)


class UnitGroup(BaseModel):
    """A group (分组/分类) of assessed units with its own targets and weights, e.g. 工业主导型."""

    code = models.CharField("编码", max_length=32, unique=True, validators=[code_validator])
    name = models.CharField("名称", max_length=64, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核分组"
        verbose_name_plural = "考核分组"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet["Unit"]):
    def visible_to(self, user: User) -> UnitQuerySet:
        """Units the user may see: a township user sees his township and its villages only."""
        if not user.is_authenticated or not user.role_has_business_view:
            return self.none()
        if user.is_township_scoped:
            if user.unit_id is None:
                return self.none()
            return self.filter(Q(pk=user.unit_id) | Q(parent_id=user.unit_id))
        return self.all()

    def assessed(self, year: int | None = None) -> UnitQuerySet:
        """The townships assessed in `year` (default: this year): of an assessed kind, taking part, and not
        deactivated by then. A unit deactivated from a year keeps everything of the years before."""
        year = year or timezone.localdate().year
        return self.filter(kind__in=ASSESSED_KINDS, is_assessed=True).filter(
            Q(inactive_from__isnull=True) | Q(inactive_from__gt=year)
        )


class Unit(BaseModel):
    """A node of the org tree. Townships (镇/乡/街道) are the assessed units."""

    code = models.CharField("编码", max_length=32, unique=True, validators=[code_validator])
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    group = models.ForeignKey(
        UnitGroup, verbose_name="考核分组", null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    is_assessed = models.BooleanField("参加考核", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    # Units with data are never deleted: from this year on the unit is out of the boards and entry forms, and
    # every year before keeps its figures, targets and boards.
    inactive_from = models.PositiveSmallIntegerField(
        "停用年度", null=True, blank=True, validators=[MinValueValidator(2000), MaxValueValidator(9999)],
        help_text="从该年度起停用：不再参加考核、不再填报；以往年度的数据和成绩单保留。",
    )  # fmt: skip

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        # Names may repeat (published tables mask names, "**镇"); the code alone identifies a unit.
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def kind_label(kind: str) -> str:
        return str(dict(UnitKind.choices).get(kind, kind))

    def is_active_in(self, year: int) -> bool:
        return self.inactive_from is None or self.inactive_from > year

    @property
    def is_township(self) -> bool:
        return self.kind in ASSESSED_KINDS

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        allowed = ALLOWED_PARENT_KIND.get(self.kind, ())
        if self.kind == UnitKind.DISTRICT:
            other = Unit.objects.filter(kind=UnitKind.DISTRICT).exclude(pk=self.pk).first()
            if other is not None:
                raise ValidationError({"kind": f"系统中已有区（县）“{other.name}”（{other.code}），组织树只有一个根。"})
        if not allowed and self.parent_id is not None:
            raise ValidationError({"parent": "区（县）是组织树的根，不能有上级单位。"})
        if allowed and (self.parent is None or self.parent.kind not in allowed):
            raise ValidationError({"parent": f"{self.get_kind_display()}的上级单位类型不正确。"})
        if self.group_id is not None and self.kind not in ASSESSED_KINDS:
            raise ValidationError({"group": "只有乡镇、街道可以加入考核分组。"})


class Department(BaseModel):
    """A district department (区级部门) that owns data: 统计局, 财政局, 商务局, 发改局 …"""

    code = models.CharField("编码", max_length=32, unique=True, validators=[code_validator])
    name = models.CharField("名称", max_length=64, unique=True)
    short_name = models.CharField("简称", max_length=16, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


ALLOWED_PARENT_KIND: dict[str, tuple[str, ...]] = {
    UnitKind.DISTRICT: (),
    UnitKind.TOWN: (UnitKind.DISTRICT,),
    UnitKind.TOWNSHIP: (UnitKind.DISTRICT,),
    UnitKind.STREET: (UnitKind.DISTRICT,),
    UnitKind.VILLAGE: ASSESSED_KINDS,
}
