from django.db import models


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class IndicatorKind(models.TextChoices):
    CUMULATIVE = "cumulative", "累计量"
    COUNT = "count", "个数"
    GROWTH = "growth", "增速"
    RATIO = "ratio", "比率/水平"
    ANNUAL = "annual", "年度指标"


class Direction(models.TextChoices):
    HIGHER = "higher", "越高越好"
    LOWER = "lower", "越低越好"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "月报"
    QUARTERLY = "quarterly", "季报"
    ANNUAL = "annual", "年报"


class DataSource(models.TextChoices):
    STATISTICS = "statistics", "统计数据"
    DEPARTMENT = "department", "部门数据"
    SELF_REPORTED = "self", "乡镇自报（附佐证）"


class ItemKind(models.TextChoices):
    BONUS = "bonus", "加分"
    DEDUCTION = "deduction", "扣分"
    VETO = "veto", "一票否决"


class VetoEffect(models.TextChoices):
    ZERO_TOTAL = "zero_total", "总分计0"
    FAIL_GRADE = "fail_grade", "等次定为不合格"
    NO_AWARD = "no_award", "不得参加评优"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


UNIT_CHOICES = [(u, u) for u in ("万元", "亿元", "万美元", "%", "个", "户", "项", "人", "元")]
