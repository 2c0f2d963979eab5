from django.db import models


class ChangeAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    LOGIN = "login", "登录"
    LOGOUT = "logout", "退出"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKOUT = "lockout", "账号锁定"
    UNLOCK = "unlock", "解除锁定"
    UNLOCK_REQUEST = "unlock_request", "申请解锁"
    PASSWORD = "password", "修改密码"
    SUBMIT = "submit", "提交"
    APPROVE = "approve", "审核通过"
    RETURN = "return", "退回"
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    PUBLISH = "publish", "发布"
    REFUSED = "refused", "拒绝越权操作"
