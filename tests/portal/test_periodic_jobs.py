"""The periodic jobs are rows in the database (django-celery-beat), created when missing and
never overwritten: an admin's change of an interval survives the next migrate and beat start."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_portals_jobs():
    jobs = {job.name: job for job in PeriodicTask.objects.select_related("interval")}

    assert jobs["sweep-unrouted"].task == "reviews.tasks.sweep"
    assert jobs["sweep-unrouted"].interval.every == 60
    assert jobs["check-deadlines"].task == "reviews.tasks.check_deadlines"


def test_an_admins_interval_survives_migrate():
    job = PeriodicTask.objects.get(name="sweep-unrouted")
    job.interval, _ = IntervalSchedule.objects.get_or_create(every=120, period="seconds")
    job.enabled = False
    job.save()

    call_command("migrate", verbosity=0)

    job.refresh_from_db()
    assert job.interval.every == 120
    assert job.enabled is False


@pytest.mark.django_db(transaction=True)
def test_beat_start_does_not_overwrite_the_database_schedule(settings):
    from portal.beat import Scheduler
    from portal.celery import app

    job = PeriodicTask.objects.get(name="sweep-unrouted")
    job.interval, _ = IntervalSchedule.objects.get_or_create(every=300, period="seconds")
    job.save()

    Scheduler(app=app).setup_schedule()

    job.refresh_from_db()
    assert job.interval.every == 300


def test_the_staff_page_refuses_a_non_staff_user_with_a_403(client, django_user_model):
    user = django_user_model.objects.create_user(email="ann@example.org", password="x-pass-123")
    client.force_login(user)

    response = client.get("/staff/jobs/")

    assert response.status_code == 403
    assert "This page is for the portal&#x27;s staff." in response.content.decode()


def test_the_staff_page_sends_anonymous_users_to_sign_in(client):
    response = client.get("/staff/jobs/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_staff_page_lists_the_jobs_in_eager_mode(client, admin_user, settings):
    settings.CELERY_BROKER_URL = ""
    client.force_login(admin_user)

    html = client.get("/staff/jobs/").content.decode()

    assert "sweep-unrouted" in html
    assert "no beat runs" in html
