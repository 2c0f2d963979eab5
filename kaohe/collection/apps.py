from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "kaohe.collection"
    label = "collection"
    verbose_name = "数据采集与审核"
