"""/healthz and the staff page read the heartbeats of the worker, beat and the periodic jobs:
one older than twice its interval names its process as failing. Needs the real broker (Redis),
where the heartbeats live; skipped without it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from portal import heartbeats

pytestmark = pytest.mark.django_db


@pytest.fixture
def beats(settings):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is not set: no worker or beat, so no heartbeats")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(heartbeats.HASH_KEY)

    def put(name: str, seconds_ago: float) -> None:
        at = timezone.now() - timedelta(seconds=seconds_ago)
        client.hset(heartbeats.HASH_KEY, name, at.isoformat())

    yield put
    client.delete(heartbeats.HASH_KEY)


def all_alive(put, *, sweep_ago: float = 5) -> None:
    """A worker, beat and every periodic job of the portal's, each heard from in time."""
    put("worker:w1@host", 5)
    put(heartbeats.BEAT, 2)
    put(heartbeats.BEAT_STARTED, 3600)
    for job in settings.PORTAL_PERIODIC_TASKS.values():
        put(heartbeats.job_name(job["task"]), 5)
    put(heartbeats.job_name("reviews.tasks.sweep"), sweep_ago)
    put(heartbeats.job_name("reviews.tasks.check_deadlines"), 60)


def test_it_is_healthy_when_worker_beat_and_jobs_beat_in_time(client, beats):
    all_alive(beats)

    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["worker"] == {"ok": True}
    assert checks["beat"] == {"ok": True}
    assert checks["job:sweep-unrouted"] == {"ok": True}


def test_it_names_a_worker_silent_for_more_than_twice_its_interval(client, beats, settings):
    all_alive(beats)
    beats("worker:w1@host", 2 * settings.HEARTBEAT_SECONDS + 5)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_it_names_beat_when_it_stopped_ticking(client, beats, settings):
    all_alive(beats)
    beats(heartbeats.BEAT, 2 * settings.HEARTBEAT_SECONDS + 5)

    assert client.get("/healthz").json()["failing"] == ["beat"]


def test_it_names_the_sweep_when_it_has_not_run_for_two_intervals(client, beats):
    all_alive(beats, sweep_ago=125)  # the sweep runs every 60 s

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["job:sweep-unrouted"]


def test_it_gives_a_fresh_deployment_two_intervals_before_the_first_sweep(client, beats):
    beats("worker:w1@host", 1)
    beats(heartbeats.BEAT, 1)
    beats(heartbeats.BEAT_STARTED, 30)

    assert client.get("/healthz").status_code == 200


def test_it_names_worker_and_beat_when_none_ever_beat(client, beats):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert {"worker", "beat"} <= set(response.json()["failing"])


def test_it_shows_staff_the_ages(client, beats, admin_user):
    all_alive(beats)
    client.force_login(admin_user)

    worker = client.get("/healthz").json()["checks"]["worker"]

    assert 4 <= worker["age_seconds"] <= 30
    assert worker["interval_seconds"] == 30


def test_the_staff_page_shows_when_each_job_last_ran(client, beats, admin_user):
    all_alive(beats, sweep_ago=125)
    client.force_login(admin_user)

    html = client.get("/staff/jobs/").content.decode()

    assert "sweep-unrouted" in html
    assert "reviews.tasks.check_deadlines" in html
    assert "every 60 seconds" in html
    assert "late" in html  # the sweep
    assert "w1@host" in html


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_its_heartbeat(beats):
    from tests.fixtures.reviews import running_worker, wait_for

    with running_worker():
        wait_for(
            lambda: any(n.startswith(heartbeats.WORKER_PREFIX) for n in heartbeats.read_all()),
            what="the worker's first heartbeat",
        )


@pytest.mark.django_db(transaction=True)
def test_beat_writes_a_heartbeat_at_every_tick(beats):
    from portal.beat import Scheduler
    from portal.celery import app

    scheduler = Scheduler(app=app, lazy=True)
    scheduler.tick()

    assert heartbeats.BEAT in heartbeats.read_all()
