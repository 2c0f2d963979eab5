from django.urls import path

from kaohe.core.ledger_views import ledger_urls

from . import views
from .ledgers import ORG_LEDGER

app_name = "org"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<str:code>/deactivate/", views.unit_deactivate, name="unit_deactivate"),
    path("units/<str:code>/reactivate/", views.unit_reactivate, name="unit_reactivate"),
    path("units/<str:code>/delete/", views.unit_delete, name="unit_delete"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<str:department>/edit/", views.department_edit, name="department_edit"),
    *ledger_urls(ORG_LEDGER, back="org:tree"),
]
