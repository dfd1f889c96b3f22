"""API v1. Names live in the `api` namespace."""

from django.urls import path

from allocations import apis as allocations_apis
from allocations import usage_apis as allocations_usage_apis
from applications import apis as applications_apis
from factories import apis as catalogue
from finder import apis as finder_apis
from handoffs import apis as handoffs_apis
from organisations import apis as organisations_apis
from portal_statistics import apis as statistics_apis
from reviews import apis as reviews_apis
from usage import apis as usage_apis

app_name = "api"

urlpatterns = [
    path("factories/", catalogue.FactoryListApi.as_view(), name="factory-list"),
    path("factories/<slug:slug>/", catalogue.FactoryDetailApi.as_view(), name="factory-detail"),
    path("systems/", catalogue.SystemListApi.as_view(), name="system-list"),
    path("systems/<slug:slug>/", catalogue.SystemDetailApi.as_view(), name="system-detail"),
    path("antennas/", catalogue.AntennaListApi.as_view(), name="antenna-list"),
    path("antennas/<slug:slug>/", catalogue.AntennaDetailApi.as_view(), name="antenna-detail"),
    path("access-modes/", applications_apis.AccessModeListApi.as_view(), name="access-mode-list"),
    path(
        "organisations/",
        organisations_apis.OrganisationListCreateApi.as_view(),
        name="organisation-list",
    ),
    path(
        "applications/",
        applications_apis.ApplicationListCreateApi.as_view(),
        name="application-list",
    ),
    path(
        "applications/<int:pk>/",
        applications_apis.ApplicationDetailApi.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<int:pk>/submit/",
        applications_apis.ApplicationSubmitApi.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applications_apis.ApplicationWithdrawApi.as_view(),
        name="application-withdraw",
    ),
    path("assignments/", reviews_apis.AssignmentListApi.as_view(), name="assignment-list"),
    path(
        "assignments/<int:pk>/accept/",
        reviews_apis.AssignmentAcceptApi.as_view(),
        name="assignment-accept",
    ),
    path(
        "assignments/<int:pk>/review/",
        reviews_apis.AssignmentReviewApi.as_view(),
        name="assignment-review",
    ),
    path(
        "assignments/<int:pk>/decline/",
        reviews_apis.AssignmentDeclineApi.as_view(),
        name="assignment-decline",
    ),
    path(
        "applications/<int:pk>/decision/",
        reviews_apis.ApplicationDecisionApi.as_view(),
        name="application-decision",
    ),
    path("allocations/", allocations_apis.AllocationListApi.as_view(), name="allocation-list"),
    path("statistics/", statistics_apis.StatisticsApi.as_view(), name="statistics"),
    path("finder/", finder_apis.FinderApi.as_view(), name="finder"),
    path(
        "applications/<int:pk>/alternatives/",
        finder_apis.ApplicationAlternativesApi.as_view(),
        name="application-alternatives",
    ),
    path(
        "applications/<int:pk>/alternatives/accept/",
        finder_apis.ApplicationMoveApi.as_view(),
        name="application-move",
    ),
    path(
        "applications/<int:pk>/allocation/",
        allocations_apis.AllocationDetailApi.as_view(),
        name="allocation-detail",
    ),
    path(
        "applications/<int:pk>/allocation/change-requests/",
        allocations_apis.ChangeRequestListCreateApi.as_view(),
        name="change-request-list",
    ),
    path(
        "applications/<int:pk>/allocation/change-requests/<int:change_id>/decide/",
        allocations_apis.ChangeRequestDecideApi.as_view(),
        name="change-request-decide",
    ),
    path(
        "applications/<int:pk>/allocation/reports/<int:report_id>/",
        allocations_apis.ReportSubmitApi.as_view(),
        name="allocation-report-submit",
    ),
    path(
        "applications/<int:pk>/allocation/usage/",
        allocations_usage_apis.AllocationUsageApi.as_view(),
        name="allocation-usage",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim-notices/",
        allocations_usage_apis.ReclaimNoticeListCreateApi.as_view(),
        name="reclaim-notice-list",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim-notices/<int:notice_id>/answer/",
        allocations_usage_apis.ReclaimAnswerApi.as_view(),
        name="reclaim-notice-answer",
    ),
    path(
        "applications/<int:pk>/allocation/reclaim-notices/<int:notice_id>/decide/",
        allocations_usage_apis.ReclaimDecideApi.as_view(),
        name="reclaim-notice-decide",
    ),
    # The site API: a factory's systems, with its site key (handoffs.site_auth).
    path("site/handoffs/", handoffs_apis.SiteHandOffListApi.as_view(), name="site-handoff-list"),
    path(
        "site/handoffs/<int:pk>/",
        handoffs_apis.SiteHandOffDetailApi.as_view(),
        name="site-handoff-detail",
    ),
    path(
        "site/handoffs/<int:pk>/confirm/",
        handoffs_apis.SiteHandOffConfirmApi.as_view(),
        name="site-handoff-confirm",
    ),
    path("site/usage/", usage_apis.SiteUsagePushApi.as_view(), name="site-usage-push"),
]
