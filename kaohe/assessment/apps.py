from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "kaohe.assessment"
    label = "assessment"
    verbose_name = "成绩与排名"
