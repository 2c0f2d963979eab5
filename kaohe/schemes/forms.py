"""Forms of the scheme screens. They parse what people type; the services decide what is valid and write.

Rules and the grade rule are their own forms (`rule_forms`), built from the engine's parameter declarations:
numbers are kept exactly as typed, and the engine's parser judges them, its Chinese message shown at the field.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from kaohe.core.forms import NumberField, UploadForm
from kaohe.core.numbers import NumberError, typed_number
from kaohe.org.models import Department, Unit, UnitGroup, code_validator
from kaohe.scoring import RuleError, plan_curve_from_list, stage_label

from . import services
from .choices import UNIT_CHOICES, DataSource, Direction, Frequency, IndicatorKind, ItemKind, VetoEffect
from .models import (
    AMOUNT_PLACES,
    POINTS_DIGITS,
    POINTS_PLACES,
    Category,
    Indicator,
    ItemType,
    Scheme,
    Target,
)
from .rule_forms import GradeRuleForm, RuleForm
from .selectors import TargetMatrix, stages_text
from .services import TargetCell, TargetCellError

MONTH_CHOICES = [(m, f"{m}月") for m in range(1, 13)]

# --- evidence files --------------------------------------------------------------------------------------------------

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"
EVIDENCE_BAD_TYPE = "佐证材料只接受 PDF、JPG、PNG、DOCX、XLSX 文件。"
EVIDENCE_TOO_BIG = "佐证材料不能超过 10 MB（本文件 {size:.1f} MB）。"
EVIDENCE_MISMATCH = "文件内容与扩展名“{ext}”不符，请上传真实的 {ext} 文件。"
# Office files are zips; the member that makes them a document, not just any zip renamed.
_OFFICE_MEMBER = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
}


def validate_evidence(upload: UploadedFile) -> None:
    """Extension, size and magic bytes (SECURITY.md V5.2.1/5.2.2): the name alone proves nothing."""
    ext = Path(upload.name or "").suffix.lower()
    if ext not in _MAGIC:
        raise ValidationError(EVIDENCE_BAD_TYPE)
    size = upload.size or 0
    if size > MAX_EVIDENCE_BYTES:
        raise ValidationError(EVIDENCE_TOO_BIG.format(size=size / 1024 / 1024))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[ext]):
        raise ValidationError(EVIDENCE_MISMATCH.format(ext=ext))
    if ext in _OFFICE_MEMBER:
        try:
            # Only the zip's central directory is read: nothing is decompressed.
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        finally:
            upload.seek(0)
        if _OFFICE_MEMBER[ext] not in names:
            raise ValidationError(EVIDENCE_MISMATCH.format(ext=ext))


class EvidenceField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "佐证材料")
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "可选。PDF、JPG、PNG、DOCX、XLSX，不超过 10 MB。")
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(validators=[validate_evidence], **kwargs)


# --- numbers, JSON and staged targets --------------------------------------------------------------------------------


def parse_decimal(text: str) -> Decimal:
    """A number as typed in a cell: thousands separators and full-width digits tolerated, floats never involved."""
    try:
        value = typed_number(text)
    except NumberError as exc:
        raise ValidationError(
            f"“{text.strip()}”不是有效的数字。" if exc.code == "invalid" else f"{exc.message}。"
        ) from None
    if value is None:
        raise ValidationError(f"“{text.strip()}”不是有效的数字。")
    return value


_STAGE = re.compile(r"^\s*(\d{1,2})\s*月?\s*[:：=]\s*([^\s]+)\s*$")
STAGES_FORMAT = "分期目标请写成“月:累计目标”，多期用逗号分隔，如 3:1200, 9:3600。"


def parse_stages(text: str) -> dict[str, str]:
    """'3:1200, 9:3600' → {"3": "1200", "9": "3600"}; the service checks months, order and the annual cap."""
    stages: dict[str, str] = {}
    for part in re.split(r"[,，;；、\n]+", text.strip()):
        if not part.strip():
            continue
        match = _STAGE.match(part)
        if match is None:
            raise ValidationError(STAGES_FORMAT)
        month, amount = str(int(match.group(1))), match.group(2)
        if month in stages:
            raise ValidationError(f"分期目标中 {month} 月出现了两次。")
        stages[month] = str(parse_decimal(amount))
    return stages


# --- scheme, category, indicator -------------------------------------------------------------------------------------


class SchemeUploadForm(UploadForm):
    """The scheme workbook and the year it goes into (a year without a scheme gets a new draft)."""

    year = forms.IntegerField(
        label="导入到年度", min_value=2000, max_value=9999, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    scenario = forms.CharField(
        label="导入到模拟方案", max_length=64, required=False,
        help_text="留空即导入正式方案；或填已建立的模拟方案名称。",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )  # fmt: skip
    field_order = ("year", "scenario", "file")


class ScenarioForm(forms.Form):
    name = forms.CharField(
        label="模拟方案名称", max_length=64, help_text="如“工业指标加权”；同一年度内不能重名。",
        widget=forms.TextInput(attrs={"data-testid": "scenario-name"}),
    )  # fmt: skip


class SchemeCopyForm(forms.Form):
    """Copy a year's scheme into a new draft year, with a growth rate per volume indicator for its targets."""

    year = forms.IntegerField(label="新年度", min_value=2000, max_value=9999)
    name = forms.CharField(
        label="新方案名称", max_length=100, required=False, help_text="留空则把原名称中的年份换成新年度。"
    )
    targets = forms.BooleanField(label="复制目标任务", required=False, initial=True)

    def __init__(self, *args: Any, source: Scheme, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": source.year + 1, "targets": True})
        super().__init__(*args, **kwargs)
        self.source = source
        self.volume = list(
            source.indicators.filter(kind__in=services.VOLUME)
            .exclude(rule__family="combo")
            .order_by("sort_order", "code")
        )
        for ind in self.volume:
            self.fields[self.growth_field(ind)] = NumberField(
                label=f"{ind.name}增长率（%）", required=False, max_digits=8, decimal_places=4,
                help_text="填写则目标=上年1-12月实际×(1+增长率)；留空按上年目标复制。",
            )  # fmt: skip

    @staticmethod
    def growth_field(indicator: Indicator) -> str:
        return f"growth_{indicator.code}"

    def growth_fields(self) -> list[forms.BoundField]:
        return [self[self.growth_field(i)] for i in self.volume]

    def growth(self) -> dict[str, Decimal]:
        rates = {i.code: self.cleaned_data.get(self.growth_field(i)) for i in self.volume}
        return {code: rate for code, rate in rates.items() if rate is not None}


class SchemeForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(label="名称", max_length=100, help_text="如“2027年度乡镇经济工作目标责任制考核方案”。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grade_form = GradeRuleForm(self.data if self.is_bound else None)

    def is_valid(self) -> bool:
        own = super().is_valid()
        return self.grade_form.is_valid() and own

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if Scheme.objects.official().filter(year=year).exists():
            raise ValidationError(f"{year}年的考核方案已存在。")
        return year


class CategoryForm(forms.Form):
    code = forms.CharField(label="编码", max_length=32, validators=[code_validator], help_text="字母、数字，如 jjfz。")
    name = forms.CharField(label="名称", max_length=64, help_text="如 经济发展、项目建设、招商引资。")
    sort_order = forms.IntegerField(label="排序", min_value=0, initial=0)

    def __init__(self, *args: Any, scheme: Scheme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheme = scheme

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if self.scheme.categories.filter(code=code).exists():
            raise ValidationError(f"类别编码“{code}”已存在。")
        return code


class PlanCurveWidget(forms.MultiWidget):
    def __init__(self) -> None:
        inputs = [
            forms.TextInput(attrs={"inputmode": "decimal", "placeholder": f"{m}月", "title": f"{m}月累计比例",
                                   "aria-label": f"{m}月累计比例"})
            for m in range(1, 13)
        ]  # fmt: skip
        super().__init__(inputs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, list) and len(value) == 12:
            return [str(v) for v in value]
        return [None] * 12


class PlanCurveField(forms.MultiValueField):
    """分月计划: twelve cumulative shares, all filled or all empty. The engine checks the shape of the curve."""

    widget = PlanCurveWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = [forms.CharField(required=False) for _ in range(12)]
        super().__init__(fields=fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[str]) -> list[str] | None:
        values = [(v or "").strip() for v in data_list]
        if not any(values):
            return None
        if not all(values):
            missing = "、".join(f"{m}月" for m, v in enumerate(values, start=1) if not v)
            raise ValidationError(f"分月计划须填满 12 个月，或全部留空（缺 {missing}）。")
        curve = [str(parse_decimal(v)) for v in values]
        try:
            plan_curve_from_list(curve)
        except RuleError as exc:
            raise ValidationError(f"分月计划有误：{exc.message}") from None
        return curve


class IndicatorForm(forms.Form):
    code = forms.CharField(label="编码", max_length=32, validators=[code_validator])
    name = forms.CharField(label="名称", max_length=100)
    category: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="类别", queryset=Category.objects.none(), empty_label=None
    )
    unit = forms.ChoiceField(label="计量单位", choices=UNIT_CHOICES)
    kind = forms.ChoiceField(label="类型", choices=IndicatorKind.choices)
    direction = forms.ChoiceField(label="方向", choices=Direction.choices, initial=Direction.HIGHER)
    owner = forms.ModelChoiceField(label="数据责任部门", queryset=Department.objects.all())
    source = forms.ChoiceField(label="数据来源", choices=DataSource.choices)
    frequency = forms.ChoiceField(label="频次", choices=Frequency.choices, initial=Frequency.MONTHLY)
    weight = NumberField(
        label="分值", max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, initial=0,
        help_text="各分组的指标分值合计须等于方案的满分（未单独设分组分值的，按此分值计）。",
    )  # fmt: skip
    plan_curve = PlanCurveField(
        label="分月计划（累计比例）",
        help_text="可选。12 个月的累计完成比例，逐月不减，12 月为 1（如 0.05 … 1）；留空按 N/12。",
    )
    stage_months = forms.TypedMultipleChoiceField(
        label="分期目标月份", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        choices=[(m, stage_label(m)) for m in range(1, 13)],
        help_text="分期下达目标的月份（如一季度、上半年、前三季度）；目标任务表为每个月份列一栏。",
    )  # fmt: skip
    interpolate_stages = forms.BooleanField(label="分期目标按月插值", required=False)
    counts_for_schedule = forms.BooleanField(label="计入序时统计", required=False, initial=True)
    part_of: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="所属总量指标", queryset=Indicator.objects.none(), required=False,
        help_text="本指标是另一指标的组成部分时选择（其值不得大于总量）。",
    )  # fmt: skip
    requires_evidence = forms.BooleanField(label="须上传佐证材料", required=False)
    decimal_places = forms.IntegerField(
        label="小数位数", min_value=0, max_value=4, initial=2, help_text="填报与成绩单显示数值的小数位数。"
    )
    rate_places = forms.IntegerField(
        label="完成率小数位数", min_value=0, max_value=4, initial=2, help_text="成绩单上完成%、序时差显示的小数位数。"
    )
    sort_order = forms.IntegerField(label="排序", min_value=0, initial=0)

    MODEL_FIELDS = (
        "code", "name", "category", "unit", "kind", "direction", "owner", "source", "frequency", "weight",
        "plan_curve", "stage_months", "interpolate_stages", "counts_for_schedule", "part_of", "requires_evidence",
        "decimal_places", "rate_places", "sort_order",
    )  # fmt: skip

    def __init__(
        self, *args: Any, scheme: Scheme, instance: Indicator | None = None, rule_form: RuleForm | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        if rule_form is None:
            rule_form = RuleForm(self.data if self.is_bound else None, stored=instance.rule if instance else None)
        self.rule_form = rule_form
        self.scheme, self.instance = scheme, instance
        self.fields["category"].queryset = scheme.categories.order_by("sort_order", "code")  # type: ignore[attr-defined]
        others = scheme.indicators.order_by("sort_order", "code")
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        self.fields["part_of"].queryset = others  # type: ignore[attr-defined]
        self.groups = list(UnitGroup.objects.order_by("sort_order", "code"))
        current = {gw.group_id: gw.weight for gw in instance.group_weights.all()} if instance else {}
        for group in self.groups:
            self.fields[self.group_field(group)] = NumberField(
                label=f"{group.name}分值", required=False, max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES,
                initial=current.get(group.pk), help_text="留空则按上面的分值。",
            )  # fmt: skip

    @staticmethod
    def group_field(group: UnitGroup) -> str:
        return f"group_{group.pk}"

    @staticmethod
    def initial_from(indicator: Indicator) -> dict[str, Any]:
        return {name: getattr(indicator, name) for name in IndicatorForm.MODEL_FIELDS}

    def is_valid(self) -> bool:
        own = super().is_valid()
        return self.rule_form.is_valid() and own  # both, so every error shows at once

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MODEL_FIELDS]

    def group_fields(self) -> list[forms.BoundField]:
        return [self[self.group_field(g)] for g in self.groups]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        clash = self.scheme.indicators.filter(code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"指标编码“{code}”已存在。")
        return code

    def clean_stage_months(self) -> list[int]:
        return sorted(set(self.cleaned_data["stage_months"]))

    def model_data(self) -> dict[str, Any]:
        return {**{name: self.cleaned_data[name] for name in self.MODEL_FIELDS}, "rule": self.rule_form.rule}

    def group_weights(self) -> dict[int, Decimal | None]:
        return {g.pk: self.cleaned_data.get(self.group_field(g)) for g in self.groups}


class ItemTypeForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ItemKind.choices)
    code = forms.CharField(label="编码", max_length=32, validators=[code_validator])
    name = forms.CharField(label="名称", max_length=100)
    points = NumberField(
        label="每项分值", required=False, min_value=Decimal(0), max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES
    )
    cap = NumberField(
        label="封顶分值", required=False, min_value=Decimal(0), max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES,
        help_text="本项全年合计最多加（扣）的分值；留空不封顶。",
    )  # fmt: skip
    veto_effect = forms.ChoiceField(
        label="否决后果", required=False, choices=[("", "—"), *VetoEffect.choices], help_text="一票否决项必填。"
    )
    owner = forms.ModelChoiceField(label="提出部门", required=False, queryset=Department.objects.all())
    from_timeliness = forms.BooleanField(label="按报表及时率自动计算（扣分项）", required=False)

    def __init__(self, *args: Any, scheme: Scheme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheme = scheme

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if self.scheme.item_types.filter(code=code).exists():
            raise ValidationError(f"加扣分项编码“{code}”已存在。")
        return code


class SchemeSettingsForm(forms.Form):
    """A draft scheme's name, grade rule and settings (the year stays)."""

    name = forms.CharField(label="名称", max_length=100)
    total_points = NumberField(
        label="满分",
        min_value=Decimal("0.0001"),
        max_digits=POINTS_DIGITS,
        decimal_places=POINTS_PLACES,
        help_text="各考核分组的指标分值合计须等于满分：整体考核为 100，专项考核（如招商引资 3 分）填其分值。",
    )
    report_deadline_day = forms.IntegerField(
        label="月报截止日", min_value=1, max_value=28, help_text="次月几日前报送视为及时。"
    )
    townships_see_published_scores = forms.BooleanField(label="乡镇可查看已发布的其他乡镇得分", required=False)
    outlier_z = NumberField(label="同类异常阈值（Z 分数）", min_value=Decimal("0.01"), max_digits=6, decimal_places=2)
    outlier_yoy = NumberField(label="同比异常阈值（倍）", min_value=Decimal("0.01"), max_digits=6, decimal_places=2)

    def __init__(self, *args: Any, scheme: Scheme, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(scheme, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        self.grade_form = GradeRuleForm(self.data if self.is_bound else None, stored=scheme.grade_rule)

    def is_valid(self) -> bool:
        own = super().is_valid()
        return self.grade_form.is_valid() and own

    def model_data(self) -> dict[str, Any]:
        return {**self.cleaned_data, "grade_rule": self.grade_form.grade_rule}


class CategoryEditForm(forms.Form):
    """A category's name and order; its code is its identity in workbooks and stays."""

    name = CategoryForm.base_fields["name"]
    sort_order = CategoryForm.base_fields["sort_order"]


class ItemTypeEditForm(ItemTypeForm):
    """An item's kind, name, points, cap, veto effect and owner; its code stays."""

    def __init__(self, *args: Any, scheme: Scheme, instance: ItemType, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(instance, name) for name in self.base_fields})
        super().__init__(*args, scheme=scheme, **kwargs)
        del self.fields["code"]


# --- targets matrix --------------------------------------------------------------------------------------------------


@dataclass
class CellInput:
    """One cell of the targets matrix: what is shown in its three inputs and its error, if any."""

    unit: Unit
    indicator: Indicator
    target: Target | None
    amount: str
    stretch: str
    stages: str
    error: str = ""

    @property
    def key(self) -> str:
        return f"{self.unit.pk}-{self.indicator.pk}"


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _same_stages(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    def norm(stages: Mapping[str, Any] | None) -> dict[int, Decimal]:
        return {int(k): Decimal(str(v)) for k, v in (stages or {}).items()}

    return norm(a) == norm(b)


class TargetMatrixForm:
    """The editable targets matrix: three inputs per cell (annual, stretch, staged targets).

    Only the cells whose values differ from the stored target become `cells` for the service; a cell whose inputs
    were not posted at all is left alone. Parse errors and the service's errors are reported per cell.
    """

    FIELDS_PER_CELL = 3

    def __init__(self, matrix: TargetMatrix, data: Mapping[str, Any] | None = None) -> None:
        self.matrix = matrix
        self.data = data
        self.cells: list[TargetCell] = []
        self.errors: list[str] = []
        self.rows: list[tuple[Unit, list[CellInput]]] = []
        for unit, cells in matrix.rows():
            inputs = []
            for indicator, target in cells:
                cell = CellInput(
                    unit, indicator, target,
                    amount=_text(target.amount) if target else "",
                    stretch=_text(target.stretch) if target else "",
                    stages=stages_text(target.stages) if target else "",
                )  # fmt: skip
                if data is not None:
                    cell.amount = str(data.get(f"a-{cell.key}", cell.amount))
                    cell.stretch = str(data.get(f"s-{cell.key}", cell.stretch))
                    cell.stages = str(data.get(f"g-{cell.key}", cell.stages))
                inputs.append(cell)
            self.rows.append((unit, inputs))

    @property
    def field_count(self) -> int:
        return self.FIELDS_PER_CELL * len(self.matrix.units) * len(self.matrix.indicators)

    def _by_key(self) -> dict[tuple[int, int], CellInput]:
        return {(c.unit.pk, c.indicator.pk): c for _, cells in self.rows for c in cells}

    def _fail(self, cell: CellInput, message: str) -> None:
        cell.error = message
        self.errors.append(f"{cell.unit.name} · {cell.indicator.name}：{message}")

    def is_valid(self) -> bool:
        assert self.data is not None
        for _, inputs in self.rows:
            for cell in inputs:
                try:
                    change = self._parse(cell)
                except ValidationError as exc:
                    self._fail(cell, "；".join(exc.messages))
                    continue
                if change is not None:
                    self.cells.append(change)
        return not self.errors

    def _parse(self, cell: CellInput) -> TargetCell | None:
        amount = parse_decimal(cell.amount) if cell.amount.strip() else None
        stretch = parse_decimal(cell.stretch) if cell.stretch.strip() else None
        stages = parse_stages(cell.stages)
        target = cell.target
        if amount is None:
            if stretch is not None or stages:
                raise ValidationError("填写了奋斗目标或分期目标，但没有填写年度目标。")
            return TargetCell(cell.unit, cell.indicator, None) if target is not None else None
        if (
            target is not None
            and target.amount == amount
            and target.stretch == stretch
            and _same_stages(target.stages, stages)
        ):
            return None
        return TargetCell(cell.unit, cell.indicator, amount, stretch, stages)

    def add_service_errors(self, errors: list[TargetCellError]) -> None:
        cells = self._by_key()
        for error in errors:
            self._fail(cells[(error.unit.pk, error.indicator.pk)], error.message)


# --- adjustments and items -------------------------------------------------------------------------------------------


class AdjustmentRequestForm(forms.Form):
    effective_month = forms.TypedChoiceField(label="自几月起生效", choices=MONTH_CHOICES, coerce=int)
    new_amount = NumberField(label="调整后年度目标", decimal_places=AMOUNT_PLACES, max_digits=20)
    new_stages = forms.CharField(
        label="调整后分期目标", required=False, max_length=300,
        help_text="可选。写成“月:累计目标”，如 3:1200, 9:3600；留空则沿用现有分期目标。",
    )  # fmt: skip
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    evidence = EvidenceField(label="依据材料")

    def clean_new_stages(self) -> dict[str, str] | None:
        text = self.cleaned_data["new_stages"]
        return parse_stages(text) if text.strip() else None


class DecisionForm(forms.Form):
    """Approve (note optional) or reject (note required) a request."""

    note = forms.CharField(label="审批意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, approve: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.approve = approve

    def clean_note(self) -> str:
        note: str = self.cleaned_data["note"].strip()
        if not self.approve and not note:
            raise ValidationError("驳回须填写意见。")
        return note


class ItemRecordForm(forms.Form):
    item_type = forms.ModelChoiceField(label="加扣分项", queryset=ItemType.objects.none())
    unit = forms.ModelChoiceField(label="乡镇（街道）", queryset=Unit.objects.none())
    month = forms.TypedChoiceField(label="月份", choices=MONTH_CHOICES, coerce=int)
    points = NumberField(
        label="分值", required=False, min_value=Decimal(0), max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES,
        help_text="留空则按该项的每项分值；一票否决项不计分值。",
    )  # fmt: skip
    reason = forms.CharField(label="事由", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    evidence = EvidenceField()

    def __init__(self, *args: Any, item_types: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item_type"].queryset = item_types  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["item_type"].label_from_instance = (  # type: ignore[attr-defined]
            lambda t: f"{t.get_kind_display()} · {t.name}"
        )
