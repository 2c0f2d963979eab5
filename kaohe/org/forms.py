"""Forms of the org tree: what the district admin types to create, rename, move or deactivate a unit or a
department. They only shape the input; the rules (parent kinds, one district, stable codes, published years)
are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .choices import UnitKind
from .models import Department, Unit, UnitGroup

REASON = "修改原因"


def _reason(label: str = REASON, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=200, required=required, error_messages={"required": "请填写原因。"},
        widget=forms.TextInput(attrs={"placeholder": "如：区划调整文件号"}),
    )  # fmt: skip


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_kind_display()}，{obj.code}）"


class UnitForm(forms.Form):
    code = forms.CharField(label="编码", max_length=32, help_text="字母、数字、下划线或连字符；创建后不能修改。")
    name = forms.CharField(label="名称", max_length=64)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    parent = UnitChoiceField(label="上级单位", queryset=Unit.objects.none(), required=False, empty_label="（无：区县）")
    group = forms.ModelChoiceField(
        label="考核分组", queryset=UnitGroup.objects.all(), required=False, empty_label="（不分组）"
    )
    is_assessed = forms.BooleanField(label="参加考核", required=False, initial=True)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=999_999, initial=0)
    reason = _reason()

    def __init__(self, *args: Any, unit: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Unit.objects.exclude(kind=UnitKind.VILLAGE).order_by("sort_order", "code")
        self.fields["parent"].queryset = parents.exclude(pk=unit.pk) if unit else parents  # type: ignore[attr-defined]
        if unit is None:
            self.fields["reason"] = _reason("说明（可不填）", required=False)
        else:
            self.fields["code"].disabled = True

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class DeactivateForm(forms.Form):
    from_year = forms.IntegerField(
        label="从哪一年起停用", min_value=2000, max_value=9999,
        help_text="该年度起不再考核、不再填报；以往年度的数据和成绩单保留。",
    )  # fmt: skip
    reason = _reason("停用原因")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_year"].initial = timezone.localdate().year + 1


class ReasonForm(forms.Form):
    reason = _reason("原因")


class DepartmentForm(forms.Form):
    code = forms.CharField(label="编码", max_length=32, help_text="字母、数字、下划线或连字符；创建后不能修改。")
    name = forms.CharField(label="名称", max_length=64)
    short_name = forms.CharField(label="简称", max_length=16, required=False)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=999_999, initial=0)
    reason = _reason()

    def __init__(self, *args: Any, department: Department | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if department is None:
            self.fields["reason"] = _reason("说明（可不填）", required=False)
        else:
            self.fields["code"].disabled = True

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}
