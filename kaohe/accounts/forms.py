from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator, RegexValidator

from kaohe.org.models import Department, Unit

from .choices import Role
from .models import User
from .names import username_key
from .services import SERVER_ONLY_ROLES

LOGIN_FAILED = "用户名或密码不正确。"
USERNAME_MAX = 150
PASSWORD_MAX = 4096  # longer is no password anyone types; hashing it would only cost the server time
CONTROL_CHARACTERS = "[\x00-\x1f\x7f]"
ACCOUNT_DISABLED = "该账号已停用，请联系安全管理员。"


class LoginForm(AuthenticationForm):
    # One message for an unknown user and a wrong password, so usernames cannot be probed (IA-5).
    error_messages = {"invalid_login": LOGIN_FAILED, "inactive": ACCOUNT_DISABLED}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "用户名"
        self.fields["password"].label = "密码"
        username.error_messages["required"] = "请输入用户名。"
        self.fields["password"].error_messages["required"] = "请输入密码。"
        # A name no account can have is refused here, in Chinese, before it reaches authentication or a lookup.
        limit = getattr(username, "max_length", None) or USERNAME_MAX
        username.validators = [
            MaxLengthValidator(limit, f"用户名最多 {limit} 个字符。"),
            RegexValidator(CONTROL_CHARACTERS, "用户名不能含控制字符。", inverse_match=True),
        ]
        self.fields["password"].validators = [
            MaxLengthValidator(PASSWORD_MAX, f"密码最多 {PASSWORD_MAX} 个字符。"),
            RegexValidator("\x00", "密码不能含空字符。", inverse_match=True),
        ]


class OwnPasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "原密码不正确。",
        "password_mismatch": "两次输入的新密码不一致。",
    }


class UserForm(forms.ModelForm):  # type: ignore[type-arg]
    """A security admin's form for creating or editing an account."""

    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,
        help_text="新建账号时必填；编辑时留空表示不修改。",
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "unit", "department", "is_active"]
        labels = {"username": "用户名", "is_active": "启用"}
        help_texts = {"username": "字母、数字和 @/./+/-/_，不区分大小写。"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.assessed()  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.all()  # type: ignore[attr-defined]
        # The three admin roles are given on the server's command line only (services.SERVER_ONLY_ROLES); an admin
        # account being edited keeps its own role in the list, so that its other fields can still be saved.
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Role.choices
            if value not in SERVER_ONLY_ROLES or value == self.instance.role
        ]  # fmt: skip
        if self.instance.pk is None:
            self.fields["password"].required = True

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        clash = User.objects.filter(username_key=username_key(username)).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("该用户名已被使用（用户名不区分大小写）。")
        return username
