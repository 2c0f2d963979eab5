from django.urls import path

from . import views, views_compare, views_dashboard, views_warnings

app_name = "assessment"

urlpatterns = [
    path("", views.scores_index, name="index"),
    path("<int:year>/<int:month>/", views.scoreboard, name="scoreboard"),
    path("<int:year>/<int:month>/unit/<str:code>/", views.unit_page, name="unit"),
    path("<int:year>/<int:month>/indicator/<str:indicator>/", views.indicator_page, name="indicator"),
    path("<int:year>/<int:month>/explain/<str:code>/<str:indicator>/", views.explain, name="explain"),
    path("<int:year>/<int:month>/history/<str:code>/<str:indicator>/", views.figure_history, name="history"),
    path("<int:year>/<int:month>/warnings/", views_warnings.warnings_page, name="warnings"),
    path("compare/<scheme:ref>/", views_compare.compare_latest, name="compare_latest"),
    path("compare/<scheme:ref>/<int:month>/", views_compare.compare, name="compare"),
    path("dashboard/", views_dashboard.dashboard_index, name="dashboard_index"),
    path("dashboard/<int:year>/<int:month>/", views_dashboard.dashboard_page, name="dashboard"),
    path("<int:year>/<int:month>/export.xlsx", views.scoreboard_export, name="export"),
]
