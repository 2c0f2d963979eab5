from django.db import models


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区考核办"
    DEPT_OFFICER = "dept_officer", "部门数据员"
    TOWNSHIP_CLERK = "township_clerk", "乡镇填报员"
    TOWNSHIP_LEADER = "township_leader", "乡镇主要负责人"
    DISTRICT_REVIEWER = "district_reviewer", "区审核员"
    DISTRICT_LEADER = "district_leader", "区领导"
    SUPERVISOR = "supervisor", "督查员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# Township users see their own township's unpublished data only.
TOWNSHIP_ROLES = frozenset({Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER})
DEPARTMENT_ROLES = frozenset({Role.DEPT_OFFICER})
# 三员分立: each of these sees only its own screens and no business data.
SEPARATED_ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
