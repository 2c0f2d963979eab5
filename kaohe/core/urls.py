from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("audit/", views.changelog_list, name="changelog_list"),
    path("system/", views.system_status, name="system_status"),
]
