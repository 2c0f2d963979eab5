from django.urls import URLPattern

app_name = "schemes"

urlpatterns: list[URLPattern] = []
