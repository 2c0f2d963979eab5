from django.urls import path

from . import views

app_name = "schemes"

urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("new/", views.scheme_create, name="create"),
    path("workbook/", views.workbook_import, name="workbook_import"),
    path("rule/fields/", views.rule_fields, name="rule_fields"),
    path("rule/preview/", views.rule_preview, name="rule_preview"),
    path("grade/fields/", views.grade_fields, name="grade_fields"),
    path("<scheme:ref>/workbook.xlsx", views.workbook_export, name="workbook_export"),
    path("<scheme:ref>/copy/", views.scheme_copy, name="copy"),
    path("<scheme:ref>/scenarios/new/", views.scenario_create, name="scenario_create"),
    path("<scheme:ref>/", views.scheme_detail, name="detail"),
    path("<scheme:ref>/publish/", views.scheme_publish, name="publish"),
    path("<scheme:ref>/return/", views.scheme_return, name="return"),
    path("<scheme:ref>/four-eyes/", views.scheme_four_eyes, name="four_eyes"),
    path("<scheme:ref>/categories/new/", views.category_create, name="category_create"),
    path("<scheme:ref>/indicators/new/", views.indicator_create, name="indicator_create"),
    path("<scheme:ref>/item-types/new/", views.item_type_create, name="item_type_create"),
    path("<scheme:ref>/edit/", views.scheme_edit, name="edit"),
    path("<scheme:ref>/categories/<str:category>/edit/", views.category_edit, name="category_edit"),
    path("<scheme:ref>/item-types/<str:item_type>/edit/", views.item_type_edit, name="item_type_edit"),
    path("<scheme:ref>/categories/<str:category>/delete/", views.category_delete, name="category_delete"),
    path("<scheme:ref>/item-types/<str:item_type>/delete/", views.item_type_delete, name="item_type_delete"),
    path("indicator/<int:indicator_id>/edit/", views.indicator_edit, name="indicator_edit"),
    path("indicator/<int:indicator_id>/delete/", views.indicator_delete, name="indicator_delete"),
    path("<scheme:ref>/targets/", views.target_matrix, name="targets"),
    path("<scheme:ref>/targets/save/", views.target_matrix_save, name="targets_save"),
    path("target/<int:target_id>/", views.target_detail, name="target_detail"),
    path("target/<int:target_id>/adjust/", views.adjustment_request, name="adjustment_request"),
    path("<scheme:ref>/adjustments/", views.adjustment_list, name="adjustment_list"),
    path(
        "adjustment/<int:adjustment_id>/approve/",
        views.adjustment_decide,
        {"decision": "approve"},
        name="adjustment_approve",
    ),
    path(
        "adjustment/<int:adjustment_id>/reject/",
        views.adjustment_decide,
        {"decision": "reject"},
        name="adjustment_reject",
    ),
    path("adjustment/<int:adjustment_id>/evidence/", views.adjustment_evidence, name="adjustment_evidence"),
    path("<scheme:ref>/items/", views.item_list, name="item_list"),
    path("<scheme:ref>/items/new/", views.item_propose, name="item_propose"),
    path("item/<int:record_id>/approve/", views.item_decide, {"decision": "approve"}, name="item_approve"),
    path("item/<int:record_id>/reject/", views.item_decide, {"decision": "reject"}, name="item_reject"),
    path("item/<int:record_id>/evidence/", views.item_evidence, name="item_evidence"),
]
