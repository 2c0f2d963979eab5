"""Password rules beyond Django's own: at least three character classes (SECURITY.md IA-2)."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    min_classes = 3

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError("密码须包含大写字母、小写字母、数字、符号中的至少三类。", code="password_classes")

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
