from django.urls import path

from . import views

app_name = "finder"

urlpatterns = [
    path("", views.finder_page, name="finder"),
    path("applications/<int:pk>/move/", views.application_move, name="application-move"),
    path("applications/<int:pk>/propose/", views.application_propose, name="application-propose"),
]
