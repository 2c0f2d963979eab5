"""Excel templates and imports, included at /data/excel/ (namespace "excel")."""

from django.urls import URLPattern, path

from . import excel_views

app_name = "excel"

urlpatterns: list[URLPattern] = [
    path("", excel_views.index, name="index"),
    path("values/<int:year>/<int:month>/", excel_views.values_template, name="values_template"),
    path("values/upload/", excel_views.values_upload, name="values_upload"),
    path("targets/<int:year>/", excel_views.targets_template, name="targets_template"),
    path("targets/upload/", excel_views.targets_upload, name="targets_upload"),
]
