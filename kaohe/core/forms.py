"""Forms shared by every upload page: one .xlsx file, checked by `kaohe.lib.xlsx` after the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

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
