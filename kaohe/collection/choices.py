from django.db import models


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交待审核"
    APPROVED = "approved", "已审核（锁定）"
    RETURNED = "returned", "已退回"


# States in which the owner may still change figures.
EDITABLE = frozenset({SubmissionStatus.DRAFT, SubmissionStatus.RETURNED})


class CheckLevel(models.TextChoices):
    BLOCK = "block", "必须修正"
    WARN = "warn", "请核实"
