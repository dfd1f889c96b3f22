"""Faults, each as a test with a real broker and real workers: Redis stopped while applications
are submitted, a worker killed with SIGKILL in the middle of routing a batch, and the database
unreachable (or dropping in the middle of a submission).

The broker tests start a private `redis-server` of their own on a free port (the shared one is
never touched) and run only when CELERY_BROKER_URL is set and `redis-server` is on PATH. Their
workers are real `celery worker` processes (solo pool, so that SIGKILL kills the task in
flight), which must reach the test database: they need PostgreSQL (SQLite's test database lives
in the test process's memory). Emails sent by the workers are counted in a file
(`mail_log.EmailBackend`), so a send by a worker killed afterwards still counts. The database
tests run everywhere. Numbers are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.db.models import Count
from django.test import Client
from rest_framework.authtoken.models import Token

from applications import services
from applications.models import Application, ApplicationEvent, ApplicationStatus
from notifications.models import Notification
from portal.middleware import UNAVAILABLE_MESSAGE
from reviews import tasks
from reviews.models import Assignment, RoutingRecord, SiteRole
from reviews.services import routing as review_services
from tests.fixtures.reviews import _reset_producer_pools, submitted_backlog, wait_for
from tests.portal.test_healthz import database_outage

BASE_DIR = Path(django_settings.BASE_DIR)
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
QUEUE = "celery"  # the default queue: on a private Redis nobody else uses it
VISIBILITY_TIMEOUT = 2  # seconds, for the worker processes of the SIGKILL test
MAIL_BACKEND = "tests.mail_log.EmailBackend"


def report(what: str, **numbers) -> None:
    print(f"\n[faults] {what}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


# --- A private Redis ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A `redis-server` of this test only, without persistence: stopped and started at will,
    always on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115 (kept by Popen)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--bind", "127.0.0.1", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (AttributeError, OSError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the test process dies, even by SIGKILL or a
    timeout, so that no private Redis or worker outlives the test run (Linux only; elsewhere
    the fixtures' teardown still stops them)."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def stop_process(process: subprocess.Popen, *, sig: int = signal.SIGTERM, wait: float = 10) -> None:
    """Stop a process started in its own session, and whatever it started."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def skip_without_broker() -> None:
    if not django_settings.CELERY_BROKER_URL:
        pytest.skip(
            "CELERY_BROKER_URL is not set: without a broker Celery runs tasks eagerly "
            "in-process, and there is no broker to break"
        )
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not on PATH: these tests start a private Redis")


@pytest.fixture
def private_broker(tmp_path) -> Iterator[PrivateRedis]:
    """A private Redis, which this process's Celery app publishes to."""
    from portal.celery import app

    skip_without_broker()
    server = PrivateRedis(tmp_path)
    server.start()
    keys = ("broker_write_url", "broker_read_url", "task_always_eager", "broker_transport_options")
    saved = {key: app.conf.get(key) for key in keys}
    # broker_write_url/broker_read_url: the CELERY_BROKER_URL variable overrides broker_url.
    app.conf.update(
        broker_write_url=server.url, broker_read_url=server.url, task_always_eager=False
    )
    _reset_producer_pools(app)
    try:
        yield server
    finally:
        app.conf.update(saved)
        _reset_producer_pools(app)
        server.stop()


def raise_capacity(site) -> None:
    """Enough open assignments per reviewer for every application of these tests."""
    SiteRole.objects.filter(factory=site.factory).update(max_open_assignments=10_000)


def needed(application: Application) -> int:
    mode = application.access_mode
    return mode.technical_reviews + mode.scientific_reviews


def assert_each_routed_once(applications: list[Application]) -> dict[str, int]:
    """Every application under review with exactly the reviewers its mode needs, each once,
    one routing record, one email per assignment, each sent once. Returns the numbers."""
    ids = [a.pk for a in applications]
    statuses = Counter(Application.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {ApplicationStatus.UNDER_REVIEW: len(ids)}
    assignments = Assignment.objects.filter(application_id__in=ids)
    pairs = Counter(assignments.values_list("application_id", "reviewer_id"))
    assert max(pairs.values()) == 1  # nobody assigned twice to one application
    per_app = Counter(assignments.values_list("application_id", flat=True))
    assert {pk: per_app[pk] for pk in ids} == {a.pk: needed(a) for a in applications}
    records = Counter(
        RoutingRecord.objects.filter(application_id__in=ids).values_list(
            "application_id", flat=True
        )
    )
    assert {pk: records[pk] for pk in ids} == dict.fromkeys(ids, 1)
    # The assignments' emails (an applicant's receipt, sent at submission, aside).
    notifications = Notification.objects.filter(application_id__in=ids, key__startswith="assigned:")
    assert sorted(notifications.values_list("key", flat=True)) == sorted(
        f"assigned:{pk}" for pk in assignments.values_list("pk", flat=True)
    )
    assert not notifications.filter(sent_at__isnull=True).exists()
    assert set(notifications.values_list("attempts", flat=True)) == {1}  # none sent twice
    return {
        "applications": len(ids),
        "routed": statuses[ApplicationStatus.UNDER_REVIEW],
        "assignments": assignments.count(),
        "duplicate_assignments": sum(n - 1 for n in pairs.values()),
        "routing_records": sum(records.values()),
        "notifications": notifications.count(),
    }


def database_url() -> str:
    """The test database (named by pytest-django) as a DATABASE_URL for a worker process."""
    s = connection.settings_dict
    user = quote(s["USER"] or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(s['NAME'], safe='')}"


class Workers:
    """Celery workers as processes of their own (solo pool: one process each, so a SIGKILL
    kills the task in flight), all stopped at teardown."""

    def __init__(self, broker: PrivateRedis, workdir: Path) -> None:
        self.broker = broker
        self.workdir = workdir
        self.mail_log = workdir / "mail.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        n = len(self.processes) + 1
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_POOL_MIN_SIZE": "1",
            "DATABASE_POOL_MAX_SIZE": "2",
            "CELERY_BROKER_URL": self.broker.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            # Small batches: the SIGKILL must find the worker in the middle of the backlog.
            "ROUTING_BATCH_SIZE": "10",
            "DJANGO_EMAIL_BACKEND": MAIL_BACKEND,
            "FAULTS_MAIL_LOG": str(self.mail_log),
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(BASE_DIR),
        }
        env.pop("DATABASE_TEST_NAME", None)
        log = open(self.workdir / f"worker-{n}.log", "ab")  # noqa: SIM115 (kept by Popen)
        process = subprocess.Popen(
            [str(CELERY), "-A", "portal", "worker", "--pool=solo", "--concurrency=1",
             "-Q", QUEUE, "-n", f"faults{n}-{os.getpid()}@%h", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        self.processes.append(process)
        return process

    def log(self, process: subprocess.Popen) -> str:
        n = self.processes.index(process) + 1
        return (self.workdir / f"worker-{n}.log").read_text(errors="replace")[-3000:]

    def mails(self) -> list[str]:
        if not self.mail_log.exists():
            return []
        return self.mail_log.read_text().splitlines()

    def stop_all(self) -> None:
        for process in self.processes:
            stop_process(process)


@pytest.fixture
def workers(request, tmp_path) -> Iterator[Workers]:
    """Worker processes on the private Redis (which this fixture starts)."""
    skip_without_broker()
    if connection.vendor != "postgresql":
        pytest.skip(
            "worker processes cannot reach SQLite's test database (it lives in the test "
            "process's memory): run with DATABASE_URL=postgres://…"
        )
    if not CELERY.exists():
        pytest.skip(f"{CELERY} is missing")
    pool = Workers(request.getfixturevalue("private_broker"), tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


# --- 1. Redis stopped while 100 applications are submitted ----------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_submissions_survive_a_stopped_broker_and_are_routed_once_when_it_is_back(
    workers, private_broker, submit_application, site_x, caplog
):
    from portal.celery import app

    raise_capacity(site_x)
    # The web process has published before: its pooled connection to Redis is live.
    tasks.route_application.delay(0)
    assert private_broker.client().llen(QUEUE) == 1

    private_broker.stop()
    modes = ["large-scale" if i % 4 == 0 else "fast-lane" for i in range(100)]
    applications, seconds = [], []
    with caplog.at_level(logging.WARNING, logger="portal.tasks"):
        for i, mode in enumerate(modes):
            if i == 2:
                # Two submissions went through the settings as they are: the first failed at
                # once on the connection the outage broke, the second retried once, 2 s later.
                # The others retry at once, or the test would take 200 s.
                options = {**app.conf.broker_transport_options, "interval_start": 0}
                app.conf.broker_transport_options = options
                _reset_producer_pools(app)
            started = time.monotonic()
            applications.append(submit_application(mode=mode, title=f"Application {i}"))
            seconds.append(time.monotonic() - started)
    not_enqueued = [
        r
        for r in caplog.records
        if "Could not enqueue reviews.tasks.route_application" in r.getMessage()
    ]

    # Nobody saw an error; every application is saved as submitted, with its event.
    assert len(not_enqueued) == 100
    ids = [a.pk for a in applications]
    submitted = Application.objects.filter(
        pk__in=ids, status=ApplicationStatus.SUBMITTED, submitted_at__isnull=False
    )
    assert submitted.count() == 100
    assert (
        ApplicationEvent.objects.filter(
            application_id__in=ids, kind=ApplicationEvent.Kind.SUBMITTED
        ).count()
        == 100
    )
    assert not Assignment.objects.exists()
    assert max(seconds) < 5  # bounded: a submission never hangs on the broker

    private_broker.start()  # same port; empty (no persistence): the warm-up message is gone
    assert private_broker.client().llen(QUEUE) == 0

    # The sweep (beat runs it every minute) publishes again through the pool whose connections
    # failed during the outage: it recovers by itself.
    # The applicants' receipts could not be enqueued either: the sweep enqueues them too.
    swept = review_services.applications_sweep(older_than=timedelta(0))
    assert swept == {"applications": 100, "notifications": 100}
    assert private_broker.client().llen(QUEUE) == 200

    worker = workers.start()
    # A second sweep while the first batch is being routed (as when beat fires again before
    # the worker is through): a duplicate message for every application still waiting.
    wait_for(lambda: Assignment.objects.exists(), timeout=15, what="the worker to start")
    second = review_services.applications_sweep(older_than=timedelta(0))
    wait_for(
        lambda: (
            not Application.objects.filter(status=ApplicationStatus.SUBMITTED).exists()
            or worker.poll() is not None
        ),
        timeout=20,
        what="routing of the 100 applications",
    )
    assert worker.poll() is None, workers.log(worker)
    expected_mails = Assignment.objects.count() + 100  # and the 100 receipts
    wait_for(
        lambda: (
            len(workers.mails()) >= expected_mails
            and not Notification.objects.filter(sent_at__isnull=True).exists()
            and private_broker.client().llen(QUEUE) == 0
        ),
        timeout=20,
        what="every email sent and the queue drained",
    )
    stop_process(worker)

    numbers = assert_each_routed_once(applications)
    assert numbers["assignments"] == 75 * 1 + 25 * 3
    mails = workers.mails()
    assert len(mails) == numbers["notifications"] + 100  # one per assignment, the receipts ...
    assert max(Counter(mails).values()) == 1  # ... none sent twice
    report(
        "redis stopped during 100 submissions",
        **numbers,
        emails=len(mails),
        duplicate_emails=len(mails) - len(set(mails)),
        enqueue_failures=len(not_enqueued),
        first_two_submits_s="/".join(f"{x:.2f}" for x in seconds[:2]),
        other_98_submits_s=f"{sum(seconds[2:]):.2f}",
        second_sweep_duplicates=second["applications"],
    )


# --- 2. A worker killed with SIGKILL in the middle of routing a batch ----------------------------


def routed_count(ids: list[int]) -> int:
    return RoutingRecord.objects.filter(application_id__in=ids).count()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    workers, private_broker, site_x, alice, alice_org, modes
):
    raise_capacity(site_x)
    applications = submitted_backlog(site_x, alice, alice_org, 200)
    ids = [a.pk for a in applications]
    for pk in ids:
        tasks.route_application.delay(pk)
    broker = private_broker.client()
    assert broker.llen(QUEUE) == 200

    first = workers.start()
    wait_for(
        lambda: routed_count(ids) >= 40 or first.poll() is not None,
        timeout=20,
        what="the first worker to route 40 applications",
    )
    assert first.poll() is None, workers.log(first)
    os.kill(first.pid, signal.SIGKILL)  # solo pool: the worker is the process running the task
    first.wait(5)
    killed_at = time.monotonic()
    at_kill = routed_count(ids)
    unacked_at_kill = broker.hlen("unacked")
    waiting_at_kill = broker.llen(QUEUE)
    assert 0 < at_kill < 200, "the worker must die in the middle of the batch"
    assert workers.mails() == []  # the emails are queued behind the routing messages

    # A new worker starts (as a supervisor would restart it) once the messages the dead worker
    # held have been invisible for longer than the visibility timeout: it takes them back.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    second = workers.start()
    wait_for(
        lambda: (
            routed_count(ids) == 200
            or (broker.llen(QUEUE) == 0 and broker.hlen("unacked") == 0)
            or second.poll() is not None
        ),
        timeout=30,
        what="the second worker to take back the dead worker's messages and drain the queue",
    )
    assert second.poll() is None, workers.log(second)
    # Redis's acknowledgement emulation has a window: a message popped from the queue but not
    # yet recorded as unacknowledged dies with the worker. The sweep (beat runs it every minute)
    # is the net for that: it re-enqueues what is still submitted, and everything else too
    # (emails not sent yet), as duplicate messages that must change nothing.
    left_for_sweep = Application.objects.filter(
        pk__in=ids, status=ApplicationStatus.SUBMITTED
    ).count()
    swept = review_services.applications_sweep(older_than=timedelta(0))
    assert swept["applications"] <= left_for_sweep
    wait_for(
        lambda: routed_count(ids) == 200 or second.poll() is not None,
        timeout=20,
        what="the second worker to route the rest",
    )
    expected_mails = Assignment.objects.filter(application_id__in=ids).count()
    wait_for(
        lambda: (
            len(workers.mails()) >= expected_mails
            and not Notification.objects.filter(sent_at__isnull=True).exists()
            and broker.llen(QUEUE) == 0
            and broker.hlen("unacked") == 0
        ),
        timeout=25,
        what="every email sent and the queue drained",
    )
    stop_process(second)

    numbers = assert_each_routed_once(applications)
    assert left_for_sweep <= 1  # at most the one message popped but not yet recorded
    assert numbers["assignments"] == 150 * 1 + 50 * 3
    mails = workers.mails()
    assert len(mails) == numbers["notifications"]  # one email per assignment ...
    assert max(Counter(mails).values()) == 1  # ... none sent twice
    per_app = dict(
        RoutingRecord.objects.filter(application_id__in=ids)
        .values_list("application_id")
        .annotate(n=Count("pk"))
    )
    assert set(per_app.values()) == {1}
    report(
        "worker SIGKILLed while routing 200 applications",
        **numbers,
        routed_at_kill=at_kill,
        unacked_at_kill=unacked_at_kill,
        waiting_at_kill=waiting_at_kill,
        left_for_sweep=left_for_sweep,
        swept_notifications=swept["notifications"],
        emails=len(mails),
        duplicate_emails=len(mails) - len(set(mails)),
    )


# --- 3. The database unreachable ------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_api_and_healthz_answer_503_while_the_database_is_unreachable(
    catalogue, alice, draft
):
    # The test client re-raises any exception a request met on its way, even one the portal
    # answered with a 503 (a signed-in user's session lookup fails in a middleware): look at
    # the responses, as a browser would.
    client = Client(raise_request_exception=False)
    token = Token.objects.create(user=alice)
    client.force_login(alice)
    before = (Application.objects.count(), ApplicationEvent.objects.count())

    with database_outage():
        pages = {url: client.get(url) for url in ["/", "/factories/", "/applications/"]}
        health = Client().get("/healthz")  # a probe: no session
        health_signed_in = client.get("/healthz")
        created = client.post(
            "/api/v1/applications/",
            {"title": "Written during the outage"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )
        listed = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token.key}")

    for url, response in pages.items():
        assert response.status_code == 503, url
        assert response["Retry-After"] == "60"
        assert UNAVAILABLE_MESSAGE.replace("'", "&#x27;") in response.content.decode(), url
    assert health.status_code == 503
    assert "database" in health.json()["failing"]
    assert health.json()["checks"]["database"]["ok"] is False
    # Signed in too, /healthz names the failing component (without the database nobody is known
    # to be staff: no error text); it does not read the session's user first.
    assert health_signed_in.status_code == 503
    assert health_signed_in.json()["checks"]["database"] == {"ok": False}
    for response in (created, listed):
        assert response.status_code == 503
        assert response.json() == {"detail": UNAVAILABLE_MESSAGE, "code": "database_unavailable"}
    assert (Application.objects.count(), ApplicationEvent.objects.count()) == before
    assert Application.objects.get(pk=draft.pk).title == draft.title


@contextmanager
def connection_dropped_at_insert_into(table: str) -> Iterator[list[str]]:
    """The database connection dies when the first row goes into `table`, in the middle of the
    transaction. PostgreSQL: the server really terminates our backend (from another
    connection), so the INSERT fails as after a crash; SQLite: the INSERT raises the same
    OperationalError."""
    dropped: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if not dropped and sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            dropped.append(sql)
            if connection.vendor == "postgresql":
                terminate_backend(context["connection"].connection.info.backend_pid)
            else:
                raise OperationalError("disk I/O error: the database went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield dropped


def terminate_backend(pid: int) -> None:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None,
        password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True, connect_timeout=5,
    ) as other:  # fmt: skip
        # With a timeout, pg_terminate_backend waits until the backend is gone.
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]


@pytest.mark.parametrize("via", ["service", "api", "page"])
@pytest.mark.django_db(transaction=True)
def test_a_submission_cut_off_by_the_database_leaves_nothing_half_written(
    client, alice, draft, via
):
    token = Token.objects.create(user=alice)
    client.force_login(alice)
    events_before = list(
        ApplicationEvent.objects.filter(application=draft).values_list("pk", flat=True)
    )

    with connection_dropped_at_insert_into("applications_applicationevent") as dropped:
        if via == "service":
            with pytest.raises(OperationalError):
                services.application_submit(application=draft, actor=alice)
        elif via == "api":
            response = client.post(
                f"/api/v1/applications/{draft.pk}/submit/",
                HTTP_AUTHORIZATION=f"Token {token.key}",
            )
            assert response.status_code == 503
            assert response.json()["code"] == "database_unavailable"
        else:
            response = client.post(f"/applications/{draft.pk}/submit/")
            assert response.status_code == 503
            assert "Temporarily unavailable" in response.content.decode()
    assert dropped, "the connection must have dropped at the event's INSERT"

    # The status change came before the event in the same transaction: both or neither.
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.submitted_at is None
    assert draft.expected_decision_by is None
    assert (
        list(ApplicationEvent.objects.filter(application=draft).values_list("pk", flat=True))
        == events_before
    )
    assert not RoutingRecord.objects.exists()  # routing was never enqueued (no commit)

    # The database is back: the same submission goes through, once.
    services.application_submit(application=draft, actor=alice)
    draft.refresh_from_db()
    assert draft.status in (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.NEEDS_ATTENTION,
        ApplicationStatus.UNDER_REVIEW,  # routed at once (tasks in-process)
    )
    assert draft.submitted_at is not None
    assert (
        ApplicationEvent.objects.filter(
            application=draft, kind=ApplicationEvent.Kind.SUBMITTED
        ).count()
        == 1
    )
