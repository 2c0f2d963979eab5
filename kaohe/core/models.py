"""Cross-cutting models: the base model every table uses and the append-only change log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import ChangeAction


class BaseModel(models.Model):
    """Creation and update timestamps for every business table."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ChangeLog(models.Model):
    """One row per write: who, when, from where, what, before → after, and why (SECURITY.md AU-1/AU-2).

    Rows are written by services in the same transaction as the change, so a change without its log
    row cannot be committed. On PostgreSQL a trigger refuses UPDATE and DELETE (append-only, AU-3).
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT
    )
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    actor_role = models.CharField("角色", max_length=32, blank=True)
    actor_scope = models.CharField("所属单位", max_length=64, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    request_id = models.CharField("请求编号", max_length=32, blank=True)
    action = models.CharField("动作", max_length=32, choices=ChangeAction.choices)
    object_type = models.CharField("对象类型", max_length=64, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    reason = models.TextField("原因", blank=True)
    success = models.BooleanField("成功", default=True)

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_action_display()} {self.object_repr}"
