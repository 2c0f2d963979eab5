"""Forms of data collection: figures parsed as Decimal, evidence files checked, reasons required.

A non-number is refused with "请输入数字" next to its field and nothing is saved; only fields the form
itself declares are read, so a crafted POST cannot set a status, a unit or another indicator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from kaohe.core.numbers import NumberError, typed_number
from kaohe.schemes.models import AMOUNT_DIGITS, AMOUNT_PLACES, Indicator

from .models import Value
from .services import Change

NOT_A_NUMBER = "请输入数字"
TOO_MANY_PLACES = "最多保留{places}位小数"
TOO_LARGE = "数值过大"
EVIDENCE_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "docx", "xlsx")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_BAD_TYPE = "佐证材料只能是 PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）文件。"
EVIDENCE_TOO_LARGE = "佐证材料不能超过 10 MB。"
EVIDENCE_MISMATCH = "文件内容与扩展名不符，请上传原始文件。"
EVIDENCE_EMPTY = "上传的文件是空的。"
REASON_MISSING = "请填写{what}原因。"
EXPIRED = "表单已过期，请刷新页面后重新填写。"

# What each allowed file starts with, so a renamed executable is refused (docx and xlsx are zip archives).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}


def parse_amount(raw: str, places: int = AMOUNT_PLACES) -> Decimal | None:
    """A typed figure as Decimal (None when blank), read as `kaohe.core.numbers` reads every typed number:
    thousands separators in groups of three and full-width digits are fine, anything else is refused."""
    try:
        value = typed_number(raw)
    except NumberError as exc:
        # Plain nonsense gets the short message beside the field; a near miss says what is wrong with it.
        raise ValidationError(NOT_A_NUMBER if exc.code == "invalid" else exc.message, code=exc.code) from None
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > min(places, AMOUNT_PLACES):
        raise ValidationError(TOO_MANY_PLACES.format(places=min(places, AMOUNT_PLACES)), code="places")
    if value.adjusted() >= AMOUNT_DIGITS - AMOUNT_PLACES:
        raise ValidationError(TOO_LARGE, code="max_digits")
    return value


def validate_evidence(upload: UploadedFile) -> None:
    """Evidence files: pdf, jpg, jpeg, png, docx or xlsx, at most 10 MB, content matching the extension."""
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    if extension not in EVIDENCE_EXTENSIONS:
        raise ValidationError(EVIDENCE_BAD_TYPE, code="extension")
    if upload.size is None or upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(EVIDENCE_TOO_LARGE, code="size")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(_MAGIC[extension]):
        raise ValidationError(EVIDENCE_MISMATCH, code="content")


class AmountField(forms.CharField):
    """A year-to-date figure typed as text and cleaned to Decimal; a phone shows its number pad."""

    def __init__(self, *, indicator: Indicator, **kwargs: Any) -> None:
        self.indicator = indicator
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control form-control-lg"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        amount = parse_amount(str(value or ""), self.indicator.decimal_places)
        problem = None if amount is None else self.indicator.out_of_bounds(amount)
        if problem:
            raise ValidationError(problem, code="bounds")
        return amount


class EvidenceField(forms.FileField):
    default_error_messages = {
        "invalid": "没有收到文件，请检查表单。",
        "missing": "没有收到文件。",
        "empty": EVIDENCE_EMPTY,
        "max_length": "文件名过长。",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_evidence])
        kwargs.setdefault(
            "widget",
            # A plain file input: a saved file is replaced by a new one, never cleared by a checkbox.
            forms.FileInput(attrs={"accept": ",".join("." + e for e in EVIDENCE_EXTENSIONS), "class": "form-control"}),
        )
        super().__init__(**kwargs)


def _note_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "说明（统计修订时必填）"}),
        error_messages={"max_length": "说明不能超过 500 字。"},
    )


class _RowsForm(forms.Form):
    """Fields named `<kind>-<key>` for each row key (indicator code or unit code) plus versions."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, error_messages={"required": EXPIRED})

    def add_row(self, key: str, *, indicator: Indicator) -> None:
        self.fields[f"amount-{key}"] = AmountField(indicator=indicator, label="1-N月累计")
        evidence = indicator.requires_evidence
        self.fields[f"revision-{key}"] = forms.BooleanField(
            required=False, label="统计修订", widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
        )
        self.fields[f"note-{key}"] = _note_field()
        if evidence:
            self.fields[f"evidence-{key}"] = EvidenceField(label="佐证材料")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in list(self.fields):
            kind, _, key = name.partition("-")
            if kind == "evidence" and data.get(name) and data.get(f"amount-{key}") is None:
                # The service keeps evidence only with a figure; say so instead of dropping the file.
                self.add_error(name, "请同时填写数值。")
        return data

    def posted(self, key: str) -> bool:
        """Whether the row came with the request: a row left out changes nothing (it is not a deletion)."""
        return f"amount-{key}" in self.data

    def bound(self, key: str) -> dict[str, forms.BoundField | None]:
        """The bound fields of one row, for the template (None where the row has no such field)."""
        names = ("amount", "revision", "note", "evidence")
        result: dict[str, forms.BoundField | None] = {}
        for n in names:
            name = f"{n}-{key}"
            if name not in self.fields:
                result[n] = None
                continue
            if self.is_bound and name in self.errors:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
            result[n] = self[name]
        return result

    def change(self, key: str) -> Change:
        data = self.cleaned_data
        return Change(
            amount=data.get(f"amount-{key}"),
            is_revision=bool(data.get(f"revision-{key}")),
            note=data.get(f"note-{key}") or "",
            evidence=data.get(f"evidence-{key}") or None,
        )


def differs(change: Change, value: Value | None) -> bool:
    """Whether a row of the form changes what is saved (untouched rows are not written, nor version-checked)."""
    if change.evidence is not None:
        return True
    if value is None:
        return change.amount is not None
    return (change.amount, change.is_revision, change.note.strip()) != (value.amount, value.is_revision, value.note)


class EntryForm(_RowsForm):
    """A township's (or one department's) figures of one month: one row per indicator."""

    def __init__(self, *args: Any, indicators: Iterable[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes: list[str] = []
        for ind in indicators:
            self.codes.append(ind.code)
            self.add_row(ind.code, indicator=ind)

    def changes(self) -> dict[str, Change]:
        return {code: self.change(code) for code in self.codes if self.posted(code)}


class GridForm(_RowsForm):
    """One department indicator for many townships: one row (and one version) per township."""

    version = None  # type: ignore[assignment]  # each row carries its own submission's version

    def __init__(
        self, *args: Any, indicator: Indicator, unit_codes: Iterable[str], names: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.unit_codes: list[str] = []
        for row, code in enumerate(unit_codes):
            self.unit_codes.append(code)
            self.add_row(code, indicator=indicator)
            self.fields[f"version-{code}"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
            # A spreadsheet's cells (static/kaohe/sheet.js): a pasted block and the arrow keys find them by row and
            # column; each is named for a screen reader by its township, indicator and unit.
            name = (names or {}).get(code, code)
            for column, (kind, label) in enumerate(
                (("amount", f"{name} {indicator.name}（{indicator.unit}）"), ("note", f"{name} {indicator.name} 说明"))
            ):
                attrs = self.fields[f"{kind}-{code}"].widget.attrs
                attrs.update({"data-kh-row": str(row), "data-kh-col": str(column), "aria-label": label})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code in self.unit_codes:
            if self.posted(code) and data.get(f"version-{code}") is None:
                # Every row names the version it was read at, or its save could overwrite unseen changes.
                self.add_error(f"amount-{code}", EXPIRED)
        return data

    def bound(self, key: str) -> dict[str, forms.BoundField | None]:
        fields = super().bound(key)
        fields["version"] = self[f"version-{key}"]
        return fields

    def version_of(self, code: str) -> int:
        return int(self.cleaned_data[f"version-{code}"])


class SheetForm(forms.Form):
    """A department's month as one sheet: a figure per township × indicator (notes stay in the one-indicator
    grid), one version per township's submission. Cells are spreadsheet cells (static/kaohe/sheet.js)."""

    def __init__(
        self, *args: Any, indicators: list[Indicator], cells: Mapping[str, list[str]], names: Mapping[str, str],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.cells = cells  # township code → the codes of its open cells
        by_code = {i.code: i for i in indicators}
        for row, (unit, codes) in enumerate(cells.items()):
            self.fields[f"version-{unit}"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
            for code in codes:
                ind = by_code[code]
                field = AmountField(indicator=ind, label=ind.name)
                field.widget.attrs.update({
                    "data-kh-row": str(row), "data-kh-col": str(indicators.index(ind)),
                    "aria-label": f"{names[unit]} {ind.name}（{ind.unit}）", "class": "form-control form-control-sm",
                })  # fmt: skip
                self.fields[f"amount-{unit}-{code}"] = field

    def cell(self, unit: str, code: str) -> forms.BoundField | None:
        name = f"amount-{unit}-{code}"
        if name not in self.fields:
            return None
        if self.is_bound and name in self.errors:
            self.fields[name].widget.attrs["aria-invalid"] = "true"
        return self[name]

    def version(self, unit: str) -> forms.BoundField | None:
        """The version field of a township with open cells (None for a row without any)."""
        return self[f"version-{unit}"] if f"version-{unit}" in self.fields else None

    def posted(self, unit: str, code: str) -> bool:
        return f"amount-{unit}-{code}" in self.data

    def amount(self, unit: str, code: str) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get(f"amount-{unit}-{code}")
        return value

    def version_of(self, unit: str) -> int | None:
        version: int | None = self.cleaned_data.get(f"version-{unit}")
        return version


class ReasonForm(forms.Form):
    """The reason a reviewer returns figures or the admin unlocks them: required, shown to the owner."""

    reason = forms.CharField(
        label="原因",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args: Any, what: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = f"{what}原因"
        self.fields["reason"].error_messages = {
            "required": REASON_MISSING.format(what=what),
            "max_length": "原因不能超过 1000 字。",
        }

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason", "")).strip()
        if not reason and self.fields["reason"].required:
            raise ValidationError(self.fields["reason"].error_messages["required"], code="required")
        return reason


PICK = re.compile(r"(\d{1,12}):(\d{1,9})")


def picks(values: list[str]) -> list[tuple[int, int]] | None:
    """The submissions ticked in the review queue, each as (id, the version shown); None if one is malformed."""
    found = []
    for value in values:
        match = PICK.fullmatch(value)
        if match is None:
            return None
        found.append((int(match[1]), int(match[2])))
    return list(dict.fromkeys(found))  # a submission ticked twice is decided once
