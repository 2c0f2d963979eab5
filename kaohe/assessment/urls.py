from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.scores_index, name="index"),
    path("<int:year>/<int:month>/", views.scoreboard, name="scoreboard"),
    path("<int:year>/<int:month>/unit/<str:code>/", views.unit_page, name="unit"),
    path("<int:year>/<int:month>/indicator/<str:indicator>/", views.indicator_page, name="indicator"),
    path("<int:year>/<int:month>/explain/<str:code>/<str:indicator>/", views.explain, name="explain"),
    path("<int:year>/<int:month>/history/<str:code>/<str:indicator>/", views.figure_history, name="history"),
]
