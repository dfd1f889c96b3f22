"""API v1. Names live in the `api` namespace."""

from django.urls import path

from factories import apis as catalogue

app_name = "api"

urlpatterns = [
    path("factories/", catalogue.FactoryListApi.as_view(), name="factory-list"),
    path("factories/<slug:slug>/", catalogue.FactoryDetailApi.as_view(), name="factory-detail"),
    path("systems/", catalogue.SystemListApi.as_view(), name="system-list"),
    path("systems/<slug:slug>/", catalogue.SystemDetailApi.as_view(), name="system-detail"),
]
