"""The mark `kaohe demo` leaves in a database it builds, so that `kaohe demo --reset` empties no other."""

from __future__ import annotations

from django.db import models


class DemoMark(models.Model):
    """One row: this database was built by `kaohe demo`. Nothing else writes it, and no migration adds it, so a
    district's database never has it, whatever else it holds."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "演示库标记"
        verbose_name_plural = "演示库标记"

    def __str__(self) -> str:
        return f"演示库（{self.created_at:%Y-%m-%d %H:%M}）"
