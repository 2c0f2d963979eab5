"""Factories for accounts, made through `accounts.services.user_create` (password rules and change log included)."""

from __future__ import annotations

from typing import Any

from factory.base import Factory
from factory.declarations import Sequence

from kaohe.accounts import services
from kaohe.accounts.choices import Role
from kaohe.accounts.models import User

PASSWORD = "Kaohe#Test2026"  # meets the password rules (IA-2)


class UserFactory(Factory[User]):
    """A district admin by default; pass role=… and unit=… / department=… for a scoped account."""

    class Meta:
        model = User

    username = Sequence(lambda n: f"user{n}")
    full_name = Sequence(lambda n: f"测试用户{n}")
    role = Role.DISTRICT_ADMIN
    unit = None
    department = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, unit: Any = None, department: Any = None,
                **kwargs: Any) -> User:  # fmt: skip
        return services.user_create(
            password=PASSWORD, by=None, unit_id=unit.pk if unit else None,
            department_id=department.pk if department else None, **kwargs,
        )  # fmt: skip
