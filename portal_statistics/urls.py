from django.urls import path

from portal_statistics import views

app_name = "stats"

urlpatterns = [
    path("", views.statistics_page, name="statistics"),
]
