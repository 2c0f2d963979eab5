from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "kaohe.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Each app declares its ledgers (台账) in its own ledgers.py; importing them registers them.
        autodiscover_modules("ledgers")
        from . import checks  # noqa: F401 - registers the system checks
