"""API v1. Names live in the `api` namespace."""

from django.urls import path

from access_requests import apis as applications
from access_requests import review_apis as reviews
from factories import apis as catalogue

app_name = "api"

urlpatterns = [
    path("factories/", catalogue.FactoryListApi.as_view(), name="factory-list"),
    path("factories/<slug:slug>/", catalogue.FactoryDetailApi.as_view(), name="factory-detail"),
    path("systems/", catalogue.SystemListApi.as_view(), name="system-list"),
    path("systems/<slug:slug>/", catalogue.SystemDetailApi.as_view(), name="system-detail"),
    path("access-modes/", applications.AccessModeListApi.as_view(), name="access-mode-list"),
    path(
        "organisations/",
        applications.OrganisationListCreateApi.as_view(),
        name="organisation-list",
    ),
    path("applications/", applications.ApplicationListCreateApi.as_view(), name="application-list"),
    path(
        "applications/<int:pk>/",
        applications.ApplicationDetailApi.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<int:pk>/submit/",
        applications.ApplicationSubmitApi.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applications.ApplicationWithdrawApi.as_view(),
        name="application-withdraw",
    ),
    path("assignments/", reviews.AssignmentListApi.as_view(), name="assignment-list"),
    path(
        "assignments/<int:pk>/accept/",
        reviews.AssignmentAcceptApi.as_view(),
        name="assignment-accept",
    ),
    path(
        "assignments/<int:pk>/review/",
        reviews.AssignmentReviewApi.as_view(),
        name="assignment-review",
    ),
    path(
        "assignments/<int:pk>/decline/",
        reviews.AssignmentDeclineApi.as_view(),
        name="assignment-decline",
    ),
    path(
        "applications/<int:pk>/decision/",
        reviews.ApplicationDecisionApi.as_view(),
        name="application-decision",
    ),
    path("allocations/", reviews.AllocationListApi.as_view(), name="allocation-list"),
]
