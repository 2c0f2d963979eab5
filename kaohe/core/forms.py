"""Form pieces shared by every app: the .xlsx upload (checked by `kaohe.lib.xlsx` after the form) and the number
field every typed number goes through (`kaohe.core.numbers`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kaohe.core.numbers import NumberError, typed_number
from kaohe.lib import xlsx

MAX_UPLOAD_BYTES = xlsx.DEFAULT_LIMITS.max_file_bytes
ACCEPT = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW = "preview"  # the value of the 试导入 button


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        error_messages={"required": "请选择要上传的 Excel 文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT, "class": "form-control"}),
    )


def too_large(size: int | None) -> str:
    """The refusal of an upload over the size limit, before it is read; "" when it fits."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        return f"文件大小 {size / xlsx.MB:.1f} MB 超过上限 {MAX_UPLOAD_BYTES // xlsx.MB} MB。"
    return ""


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: next to the named field, else at the top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class NumberField(forms.DecimalField):
    """A decimal typed as people type it: a text box with the phone's number pad (never the browser's number
    input, which refuses 84,000 and speaks English), read by `typed_number`, shown without the stored trailing
    zeros (a weight of 10, not 10.0000) and with thousands separators (84,000)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.pop("step", None)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return typed_number(str(value))
        except NumberError as exc:
            # Plain nonsense gets Django's own 输入一个数字; a near miss (1,5; ١٢٣) says what is wrong with it.
            message = self.error_messages["invalid"] if exc.code == "invalid" else f"{exc.message}。"
            raise ValidationError(message, code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            return f"{value.normalize():,f}"
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        for name in ("step", "min", "max"):  # a number input's attributes: a text box validates on the server
            attrs.pop(name, None)
        return attrs
