"""Allocation pages, addressed by their application's number (an allocation has one
application), and the site's reports page beside the capacity page under /review/."""

from django.urls import path

from allocations import usage_views, views

app_name = "allocations"

urlpatterns = [
    path("applications/<int:pk>/allocation/", views.allocation_detail, name="detail"),
    path("applications/<int:pk>/allocation/letter.pdf", views.allocation_letter, name="letter"),
    path("applications/<int:pk>/allocation/move/", views.allocation_move, name="move"),
    path(
        "applications/<int:pk>/allocation/changes/",
        views.change_request_new,
        name="change-request-new",
    ),
    path(
        "applications/<int:pk>/allocation/changes/<int:change_id>/decide/",
        views.change_request_decide,
        name="change-request-decide",
    ),
    path(
        "applications/<int:pk>/allocation/reports/<int:report_id>/",
        views.report_detail,
        name="report",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim/",
        usage_views.reclaim_notice_new,
        name="reclaim-new",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim/<int:notice_id>/answer/",
        usage_views.reclaim_answer,
        name="reclaim-answer",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim/<int:notice_id>/decide/",
        usage_views.reclaim_decide,
        name="reclaim-decide",
    ),
    path("review/reports/", views.reports_missing, name="reports"),
    path("review/usage/", usage_views.system_usage, name="usage"),
]
