from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; report it, do not raise
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def _check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL:
        return None  # tasks run in-process: there is no broker to be down
    from portal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            # No retry: a retry sleeps 2 s first, longer than a health probe waits for an answer.
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The state of the database and the broker: 200 when both answer, 503 naming what fails."""
    db_error = _check_database()
    broker_error = _check_broker()
    checks = {
        "database": {"ok": db_error is None, "vendor": connection.vendor}
        | ({"error": db_error} if db_error else {}),
        "broker": {
            "ok": broker_error is None,
            "mode": "redis" if settings.CELERY_BROKER_URL else "eager (in-process)",
        }
        | ({"error": broker_error} if broker_error else {}),
    }
    failing = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ok" if not failing else "unavailable", "failing": failing, "checks": checks}
    if failing:
        logger.error("Health check failing: %s", body)
    return JsonResponse(body, status=503 if failing else 200)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged.", "code": "error"},
            status=500,
        )
    return render(request, "500.html", status=500)


def bench_baseline(request: HttpRequest) -> HttpResponse:
    """A constant answer through the full middleware stack: the yardstick of `make bench`."""
    return HttpResponse("ok\n", content_type="text/plain")
