"""Data collection and review under /data/.

Fixed prefixes (review/, dept/, submission/, evidence/) come before the township form's <code>, so a
township code never shadows them.
"""

from django.urls import URLPattern, path

from . import views

app_name = "collection"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("review/<int:year>/<int:month>/", views.review_queue, name="review_queue"),
    path("review/<int:year>/<int:month>/batch/", views.review_batch, name="review_batch"),
    path("dept/<str:department>/<int:year>/<int:month>/all/", views.dept_sheet, name="dept_sheet"),
    path("dept/<str:department>/<int:year>/<int:month>/all/save/", views.dept_sheet_save, name="dept_sheet_save"),
    path("dept/<str:indicator>/<int:year>/<int:month>/", views.dept_grid, name="dept_grid"),
    path("dept/<str:indicator>/<int:year>/<int:month>/save/", views.dept_grid_save, name="dept_grid_save"),
    path("submission/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path("submission/<int:submission_id>/approve/", views.submission_approve, name="submission_approve"),
    path("submission/<int:submission_id>/return/", views.submission_return, name="submission_return"),
    path("submission/<int:submission_id>/unlock/", views.submission_unlock, name="submission_unlock"),
    path(
        "submission/<int:submission_id>/unlock/request/",
        views.submission_unlock_request,
        name="submission_unlock_request",
    ),
    path(
        "submission/<int:submission_id>/unlock/reject/", views.submission_unlock_reject, name="submission_unlock_reject"
    ),
    path("evidence/<int:value_id>/", views.evidence_download, name="evidence"),
    path("<str:code>/<int:year>/<int:month>/", views.township_form, name="township_form"),
    path("<str:code>/<int:year>/<int:month>/save/", views.township_save, name="township_save"),
]
