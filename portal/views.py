from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from portal import permissions
from portal.decorators import staff_required
from portal.http import AuthenticatedHttpRequest
from portal.middleware import database_outage, unavailable_response

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


def _check_background(*, database_ok: bool) -> dict[str, dict[str, object]]:
    """The worker, beat and each of the portal's periodic jobs (read from the database, when it
    answers), from their heartbeats."""
    if not settings.CELERY_BROKER_URL:
        return {}  # eager: no worker and no beat to be missing
    from django_celery_beat.models import PeriodicTask

    from portal import heartbeats

    now = timezone.now()
    try:
        beats = heartbeats.read_all()
    except Exception as exc:
        error = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        return {"worker": dict(error), "beat": dict(error)}
    checks = {
        "worker": heartbeats.worker_pulse(beats, now).describe(),
        "beat": heartbeats.beat_pulse(beats, now).describe(),
    }
    if not database_ok:
        return checks  # another wait for the database would only delay the answer
    try:
        jobs = PeriodicTask.objects.filter(
            name__in=settings.PORTAL_PERIODIC_TASKS, enabled=True, interval__isnull=False
        ).select_related("interval")
        for job in jobs:
            every = job.interval.schedule.run_every
            pulse = heartbeats.job_pulse(beats, now, task_name=job.task, every=every)
            checks[f"job:{job.name}"] = pulse.describe()
    except Exception:
        pass  # the database check names the database
    return checks


def _wants_details(request: HttpRequest, *, database_ok: bool) -> bool:
    """Staff see error texts and ages; anybody else only which component is failing. Without
    the database nobody is known to be staff: the log has the details."""
    if not database_ok:
        return False
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except Exception:  # the database is down: no user to know
        return False


PUBLIC_KEYS = ("ok", "mode")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker, worker, beat and periodic jobs: 200 when all answer, 503 naming the
    failing ones. A worker or beat whose heartbeat is older than twice its interval fails."""
    db_error = _check_database()
    broker_error = _check_broker()
    checks: dict[str, dict[str, object]] = {
        "database": {
            "ok": db_error is None,
            "vendor": connection.vendor,
            **({"error": db_error} if db_error else {}),
        },
        "broker": {
            "ok": broker_error is None,
            "mode": "redis" if settings.CELERY_BROKER_URL else "eager (in-process)",
            **({"error": broker_error} if broker_error else {}),
        },
    }
    if broker_error is None:
        checks |= _check_background(database_ok=db_error is None)
    failing = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ok" if not failing else "unavailable", "failing": failing, "checks": checks}
    if failing:
        logger.error("Health check failing: %s", body)
    if not _wants_details(request, database_ok=db_error is None):
        body["checks"] = {
            name: {k: v for k, v in check.items() if k in PUBLIC_KEYS}
            for name, check in checks.items()
        }
    return JsonResponse(body, status=503 if failing else 200)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": message or gettext("You do not have permission."),
                "code": "permission_denied",
            },
            status=403,
        )
    return render(request, "403.html", {"message": message}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if database_outage(request):
        # A middleware's query (the signed-in user, a token) failed for want of the database:
        # the 503 at once, without the page's context, whose every query would wait again.
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": gettext("Something went wrong on our side; it has been logged."),
                "code": "error",
            },
            status=500,
        )
    return render(request, "500.html", status=500)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through allauth, so that two-factor authentication applies there too.

    A signed-in user who is not staff gets a 403 page: sending them to the sign-in page would
    send them straight back to the admin, and round again (a redirect loop)."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        raise PermissionDenied(gettext("The administration is for the portal's staff."))
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("account_login") + (f"?{query}" if query else ""))


@login_required
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where a user lands after signing in: their own work, by role (staff, approver, reviewer,
    applicant, in that order of precedence)."""
    user = request.user
    if user.is_staff:
        return redirect("review:staff-stats")
    if permissions.approver_factory_ids(user):
        return redirect("review:site-applications")
    if permissions.has_site_role(user):
        return redirect("review:desk")
    return redirect("applications:dashboard")


@staff_required
def periodic_jobs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff: every periodic job, when beat last sent it and when it last finished, and the
    heartbeats of beat and the workers."""
    from django_celery_beat.models import PeriodicTask

    from portal import heartbeats

    now = timezone.now()
    beats: dict = {}
    beats_error = ""
    if settings.CELERY_BROKER_URL:
        try:
            beats = heartbeats.read_all()
        except Exception as exc:
            beats_error = f"{type(exc).__name__}: {exc}"
    jobs = []
    for job in PeriodicTask.objects.select_related("interval", "crontab").order_by("name"):
        every = job.interval.schedule.run_every if job.interval else None
        pulse = (
            heartbeats.job_pulse(beats, now, task_name=job.task, every=every)
            if every is not None
            else None
        )
        jobs.append(
            {
                "job": job,
                "schedule": str(job.interval or job.crontab or job.solar or job.clocked or ""),
                "finished_at": beats.get(heartbeats.job_name(job.task)),
                "ok": pulse.ok if pulse and settings.CELERY_BROKER_URL else None,
            }
        )
    workers = sorted(
        (name.removeprefix(heartbeats.WORKER_PREFIX), at)
        for name, at in beats.items()
        if name.startswith(heartbeats.WORKER_PREFIX)
    )
    return render(
        request,
        "portal/periodic_jobs.html",
        {
            "jobs": jobs,
            "eager": not settings.CELERY_BROKER_URL,
            "beats_error": beats_error,
            "beat": heartbeats.beat_pulse(beats, now),
            "worker": heartbeats.worker_pulse(beats, now),
            "workers": workers,
        },
    )


def bench_baseline(request: HttpRequest) -> HttpResponse:
    """A constant answer through the full middleware stack: the yardstick of `make bench`."""
    return HttpResponse("ok\n", content_type="text/plain")
