from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
]
