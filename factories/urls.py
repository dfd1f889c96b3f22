from django.urls import path

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.home, name="home"),
    path("factories/", views.factory_list, name="factory-list"),
    path("factories/<slug:slug>/", views.factory_detail, name="factory-detail"),
    path("systems/<slug:slug>/", views.system_detail, name="system-detail"),
]
