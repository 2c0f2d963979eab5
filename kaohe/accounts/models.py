"""The user: one role, scoped to a township or a department where the role needs it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from kaohe.org.choices import ASSESSED_KINDS

from .choices import DEPARTMENT_ROLES, SEPARATED_ADMIN_ROLES, TOWNSHIP_ROLES, Role
from .names import username_key
from .permissions import role_has


class KaoheUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # One spelling per user (SECURITY.md IA-1, IA-4): log-in finds the account by its key, on every database.
        return self.get(username_key=username_key(username or ""))


class User(AbstractUser):
    """A Kaohe account. Exactly one role; 三员 roles are mutually exclusive by construction."""

    full_name = models.CharField("姓名", max_length=32, blank=True)
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="所属乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # A password someone else set (the security admin on the web, or `kaohe resetpassword`) is a one-time password:
    # until its owner replaces it, every page leads to 修改密码 (accounts.middleware.PasswordChangeRequired).
    password_one_time = models.BooleanField("一次性密码", default=False)
    # The name as log-in, lockout and uniqueness compare it (accounts.names.username_key), kept in step by save().
    username_key = models.CharField("登录名（规范化）", max_length=150, unique=True, editable=False)

    objects = KaoheUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: object, **kwargs: object) -> None:
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*update_fields, "username_key"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.role in TOWNSHIP_ROLES:
            if self.unit_id is None:
                errors["unit"] = "乡镇用户必须指定所属乡镇（街道）。"
            elif self.unit is not None and self.unit.kind not in ASSESSED_KINDS:
                errors["unit"] = "所属单位必须是乡镇或街道。"
        elif self.unit_id is not None:
            errors["unit"] = "该角色不属于某个乡镇，请不要指定所属乡镇。"
        if self.role in DEPARTMENT_ROLES:
            if self.department_id is None:
                errors["department"] = "部门数据员必须指定所属部门。"
        elif self.department_id is not None and self.role != Role.SUPERVISOR:
            errors["department"] = "该角色不属于某个部门，请不要指定所属部门。"
        if errors:
            raise ValidationError(errors)

    # --- scope -------------------------------------------------------------------------------------
    @property
    def is_township_scoped(self) -> bool:
        return self.role in TOWNSHIP_ROLES

    @property
    def is_separated_admin(self) -> bool:
        return self.role in SEPARATED_ADMIN_ROLES

    @property
    def role_has_business_view(self) -> bool:
        return role_has(self.role, "org.view")

    @property
    def scope_code(self) -> str:
        """The code of the unit or department the user is scoped to ('' for district-wide roles)."""
        if self.unit_id is not None and self.unit is not None:
            return self.unit.code
        if self.department_id is not None and self.department is not None:
            return self.department.code
        return ""

    @property
    def scope_label(self) -> str:
        if self.unit is not None:
            return self.unit.name
        if self.department is not None:
            return self.department.name
        return "全区"

    def has_kaohe_perm(self, permission: str) -> bool:
        return self.is_active and role_has(self.role, permission)
