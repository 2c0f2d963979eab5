from django.urls import path

from kaohe.core.ledger_views import ledger_urls

from . import views
from .ledgers import ORG_LEDGER

app_name = "org"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    *ledger_urls(ORG_LEDGER, back="org:tree"),
]
