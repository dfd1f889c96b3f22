from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.application_new, name="application-new"),
    path("<int:pk>/", views.application_detail, name="application-detail"),
    path("<int:pk>/edit/<slug:step>/", views.application_edit, name="application-edit"),
    path("<int:pk>/submit/", views.application_submit, name="application-submit"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="application-withdraw"),
    path("<int:pk>/letter/", views.decision_letter, name="decision-letter"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
]
