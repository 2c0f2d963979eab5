from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kaohe.core"
    label = "core"
    verbose_name = "基础"
