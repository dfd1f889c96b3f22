from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .api import api_not_found
from .languages import set_language

admin.site.site_header = _("AI Factory access portal: administration")
admin.site.site_title = _("AI Factory portal admin")

urlpatterns = [
    path("", include("factories.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    # The language switcher (base.html): Django's set_language, which also stores a signed-in
    # user's choice (portal/languages.py). No language prefix in URLs.
    path("i18n/setlang/", set_language, name="set_language"),
    path("staff/jobs/", views.periodic_jobs, name="periodic-jobs"),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    # The admin signs in through allauth, so that two-factor authentication applies there too.
    path("admin/login/", views.admin_login, name="admin-login-redirect"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("applications/organisations/", include("organisations.urls")),
    # /applications/<pk>/allocation/… and /review/reports/
    path("", include("allocations.urls")),
    path("applications/", include("applications.urls")),
    path("review/", include("reviews.urls")),
    path("statistics/", include("portal_statistics.urls")),
    path("finder/", include("finder.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other /api/ URL: the API's JSON 404, in every mode (DEBUG's HTML page too).
    re_path(r"^api/", api_not_found, name="api-not-found"),
]

if settings.PORTAL_BENCH:
    urlpatterns.append(path("bench/baseline/", views.bench_baseline, name="bench-baseline"))

handler400 = "portal.api.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
