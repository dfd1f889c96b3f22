from django.urls import path

from allocations import views as allocation_views

from . import views

app_name = "review"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("site/", views.site_applications, name="site-applications"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment-detail"),
    path("assignments/<int:pk>/accept/", views.assignment_accept, name="assignment-accept"),
    path("assignments/<int:pk>/decline/", views.assignment_decline, name="assignment-decline"),
    path("applications/<int:pk>/", views.site_application_detail, name="site-application"),
    path(
        "applications/<int:pk>/attachments/<int:attachment_id>/",
        views.site_attachment_download,
        name="site-attachment-download",
    ),
    path("stats/", views.staff_stats, name="staff-stats"),
    path("capacity/", allocation_views.capacity, name="capacity"),
]
