from django.urls import path

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.home, name="home"),
    path("factories/", views.factory_list, name="factory-list"),
    path("factories/<slug:slug>/", views.factory_detail, name="factory-detail"),
    path("systems/<slug:slug>/", views.system_detail, name="system-detail"),
    path("antennas/", views.antenna_list, name="antenna-list"),
    path("antennas/<slug:slug>/", views.antenna_detail, name="antenna-detail"),
    path("access-modes/", views.access_mode_list, name="access-mode-list"),
    path("access-modes/<slug:slug>/", views.access_mode_detail, name="access-mode-detail"),
]
