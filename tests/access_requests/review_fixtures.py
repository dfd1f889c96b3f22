"""People, sites, applications and Celery helpers for the review-side tests.

Not a conftest: the review test modules import it (`from .review_fixtures import *` brings the
fixtures named in `__all__`; helpers are imported by name). It builds on the applicant fixtures of
`conftest.py` (Alice, her organisation, the access modes).

Site X is the LUMI AI Factory (system LUMI, capacity published as 1,000,000 GPU-hours a year):
technical reviewers Tess (health) and Theo, scientific reviewers Sara (health), Saul and Sven,
approver Paula, all at csc.fi. Site Y is IT4LIA (Leonardo): reviewer Yann and approver Yara at
cineca.it, who must see nothing of site X. Everybody with a site role has TOTP set up, as the
MFA middleware demands.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from celery import signals
from django.db import connections as db_connections
from django.utils import timezone

from access_requests import review_services, services
from access_requests.models import (
    Application,
    ApplicationStatus,
    Assignment,
    Review,
    SiteRole,
)
from factories.models import AIFactory, System
from tests.model_factories import SiteRoleFactory, UserFactory

from .helpers import application_values

__all__ = ["celery_eager", "routed", "site_x", "site_y", "submit_application"]

CAPACITY = 1_000_000
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
REVIEW_VALUES: dict[str, Any] = {
    "technical_feasibility": 4,
    "technical_feasibility_note": "The code already runs on AMD GPUs.",
    "ai_innovation": 3,
    "ai_innovation_note": "A sound, incremental idea.",
    "team_readiness": 5,
    "team_readiness_note": "They ran at this scale before.",
    "resource_justification": 4,
    "resource_justification_note": "The estimate follows from their benchmarks.",
    "comment_for_applicant": "A well-prepared application.",
    "internal_note": "",
    "recommendation": Review.Recommendation.APPROVE,
}


@dataclass
class Site:
    factory: AIFactory
    system: System
    technical: list[Any] = field(default_factory=list)
    scientific: list[Any] = field(default_factory=list)
    approver: Any = None

    @property
    def reviewers(self) -> list[Any]:
        return [*self.technical, *self.scientific]


def person(email: str, name: str, **fields: Any):
    first, last = name.split(" ", 1)
    return UserFactory(email=email, first_name=first, last_name=last, **fields)


def site_person(
    factory: AIFactory,
    email: str,
    name: str,
    role: str,
    *,
    expertise: tuple[str, ...] = (),
    max_open: int = 10,
):
    """A user with a role at `factory` and TOTP activated."""
    user = person(email, name)
    SiteRoleFactory(
        user=user,
        factory=factory,
        role=role,
        expertise=list(expertise),
        max_open_assignments=max_open,
    )
    TOTP.activate(user, generate_totp_secret())
    return user


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Run tasks in-process in every test but the real-worker ones, even when a broker is set,
    so that no test leaves messages in Redis for a later worker to pick up."""
    from portal.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def site_x(catalogue) -> Site:
    system = System.objects.get(slug="lumi")
    System.objects.filter(pk=system.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    system.refresh_from_db()
    f = system.factory
    T, S = SiteRole.Role.TECHNICAL, SiteRole.Role.SCIENTIFIC
    return Site(
        factory=f,
        system=system,
        technical=[
            site_person(f, "tess@csc.fi", "Tess Technical", T, expertise=("health",)),
            site_person(f, "theo@csc.fi", "Theo Technical", T),
        ],
        scientific=[
            site_person(f, "sara@csc.fi", "Sara Scientific", S, expertise=("health",)),
            site_person(f, "saul@csc.fi", "Saul Scientific", S),
            site_person(f, "sven@csc.fi", "Sven Scientific", S),
        ],
        approver=site_person(f, "paula@csc.fi", "Paula Approver", SiteRole.Role.APPROVER),
    )


@pytest.fixture
def site_y(catalogue) -> Site:
    system = System.objects.get(slug="leonardo")
    f = system.factory
    return Site(
        factory=f,
        system=system,
        technical=[site_person(f, "yann@cineca.it", "Yann Reviewer", SiteRole.Role.TECHNICAL)],
        approver=site_person(f, "yara@cineca.it", "Yara Approver", SiteRole.Role.APPROVER),
    )


@pytest.fixture
def submit_application(alice, alice_org, modes, site_x) -> Callable[..., Application]:
    """Make Alice submit a complete application (LUMI, health, Fast Lane unless told):
    `submit_application(mode="large-scale", team=["x@y.eu"], upload=pdf())` (an upload needs
    the `media` fixture)."""

    def submit(
        *,
        mode: str = "fast-lane",
        system: System | None = None,
        gpu_hours: int | None = None,
        team: tuple[str, ...] | list[str] = (),
        upload: Any = None,
        **values: Any,
    ) -> Application:
        large = mode in ("large-scale", "ai-for-science")
        fields = application_values(
            organisation=alice_org,
            access_mode=modes[mode],
            system=system or site_x.system,
            gpu_hours=gpu_hours or (60_000 if large else 1000),
            duration_months=6 if large else 2,
            **values,
        )
        application = services.application_create(applicant=alice, **fields)
        if team:
            members = [{"name": email.split("@")[0].title(), "email": email} for email in team]
            services.team_members_set(application=application, actor=alice, members=members)
        if upload is not None:
            services.attachment_add(application=application, actor=alice, upload=upload)
        return services.application_submit(application=application, actor=alice)

    return submit


@pytest.fixture
def routed(submit_application) -> Application:
    """Alice's Fast Lane application, routed at LUMI (to Tess: health expertise)."""
    application = submit_application()
    review_services.application_route(application_id=application.pk)
    application.refresh_from_db()
    return application


# --- Helpers --------------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def review(assignment: Assignment, **values: Any) -> Review:
    """The assignment's reviewer records a complete review."""
    return review_services.review_record(
        assignment=assignment, reviewer=assignment.reviewer, **{**REVIEW_VALUES, **values}
    )


def review_all(application: Application, **values: Any) -> list[Review]:
    open_ = application.assignments.filter(status__in=Assignment.OPEN).select_related("reviewer")
    return [review(assignment, **values) for assignment in open_]


def bulk_under_review(
    site: Site, reviewer, applicant, count: int, *, status: str = Assignment.Status.PENDING
) -> list[Application]:
    """`count` applications under review at `site`, each assigned to `reviewer`, written with
    bulk inserts: for read-side tests (query counts) and the concurrency test, which need many
    rows but not the path that made them."""
    from access_requests.models import AccessMode

    mode = AccessMode.objects.get(slug="fast-lane")
    now = timezone.now()
    today = timezone.localdate()
    applications = Application.objects.bulk_create(
        Application(
            applicant=applicant,
            access_mode=mode,
            system=site.system,
            status=ApplicationStatus.UNDER_REVIEW,
            title=f"Application {i}",
            ai_domain="health",
            gpu_hours=1000,
            start_date=today + timedelta(days=7),
            duration_months=2,
            submitted_at=now,
            expected_decision_by=today + timedelta(days=6),
        )
        for i in range(count)
    )
    Assignment.objects.bulk_create(
        Assignment(
            application=application,
            reviewer=reviewer,
            kind=Assignment.Kind.TECHNICAL,
            status=status,
            due_by=today + timedelta(days=5),
        )
        for application in applications
    )
    return applications


def submitted_backlog(
    site: Site, applicant, organisation, count: int, *, domain: str = "health"
) -> list[Application]:
    """`count` submitted applications at `site`, not routed, written with bulk inserts (the path
    that made them is not what the routing and fault tests are about), submitted one second
    apart, oldest first; one in four (Large Scale) needs three reviewers."""
    from access_requests.models import AccessMode

    modes = {m.slug: m for m in AccessMode.objects.filter(slug__in=["fast-lane", "large-scale"])}
    now = timezone.now()
    today = timezone.localdate()
    made = Application.objects.bulk_create(
        Application(
            applicant=applicant,
            organisation=organisation,
            access_mode=modes["large-scale" if i % 4 == 0 else "fast-lane"],
            system=site.system,
            status=ApplicationStatus.SUBMITTED,
            title=f"Backlog application {i}",
            ai_domain=domain,
            gpu_hours=60_000 if i % 4 == 0 else 1000,
            start_date=today + timedelta(days=7),
            duration_months=6 if i % 4 == 0 else 2,
            submitted_at=now + timedelta(seconds=i),
            expected_decision_by=today + timedelta(days=20),
        )
        for i in range(count)
    )
    return list(
        Application.objects.filter(pk__in=[a.pk for a in made])
        .select_related("access_mode")
        .order_by("submitted_at", "pk")
    )


def wait_for(predicate: Callable[[], bool], *, timeout: float = 20.0, what: str = "") -> None:
    """Poll `predicate` until it holds: for a real worker in another thread."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(0.05)


def _reset_producer_pools(app) -> None:
    """Make the app look its broker pools up again, for the current broker URL. (Kombu keeps
    one pool per URL in a registry: closing them would break the next test that uses it.)"""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_unreachable(*, patient: bool = True) -> Iterator[None]:
    """Publish to a broker nobody listens on (real publishing, not eager), then restore.

    `patient` keeps the settings' connection retry (one retry, after Kombu's default 2 s);
    otherwise the retry comes at once. `broker_write_url` rather than `broker_url`: the
    CELERY_BROKER_URL environment variable overrides `broker_url` in Celery's settings."""
    from portal.celery import app

    saved = {
        "broker_write_url": app.conf.get("broker_write_url"),
        "task_always_eager": app.conf.task_always_eager,
        "broker_transport_options": app.conf.broker_transport_options,
    }
    app.conf.update(broker_write_url=UNREACHABLE_BROKER, task_always_eager=False)
    if not patient:
        options = {**saved["broker_transport_options"], "interval_start": 0}
        app.conf.broker_transport_options = options
    _reset_producer_pools(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_producer_pools(app)


@contextmanager
def running_worker() -> Iterator[Any]:
    """A real Celery worker (solo pool, in a thread) on the configured broker, consuming a
    queue of its own so that no stray message from elsewhere reaches it."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    queue = f"portal-test-{uuid.uuid4().hex[:12]}"
    # The solo pool sends worker_process_init in this thread, and Celery's Django fix-up then
    # closes the sockets of this thread's open connections behind psycopg's back and puts them
    # back in the pool: the worker's first checkout got a dead socket (a task hung) or one whose
    # number a Redis connection had taken (PostgreSQL: "invalid frontend message type 42").
    # Since CELERY_DB_REUSE_MAX the fix-up no longer closes them properly first: do it here.
    for connection in db_connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    keys = ("task_default_queue", "worker_hijack_root_logger", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_default_queue=queue, worker_hijack_root_logger=False, task_always_eager=False
    )
    _reset_producer_pools(app)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        _reset_producer_pools(app)
        with app.connection_for_write() as connection:
            # Declared first, so that this channel knows the bindings the delete removes.
            bound = app.amqp.queues[queue].bind(connection.default_channel)
            bound.declare()
            bound.delete()


class TaskLog:
    """Tasks that finished, recorded from Celery's task_postrun signal (which fires for eager
    runs too: `eager` counts those, so a test can prove the worker did the work)."""

    def __init__(self) -> None:
        self.finished: list[tuple[str, bool]] = []
        self._lock = threading.Lock()

    def _record(self, sender=None, **kwargs: Any) -> None:
        is_eager = bool(getattr(sender.request, "is_eager", False))
        with self._lock:
            self.finished.append((sender.name.rsplit(".", 1)[-1], is_eager))

    def count(self, name: str) -> int:
        """How many `name` tasks a worker ran."""
        with self._lock:
            return sum(1 for task, eager in self.finished if task == name and not eager)

    @property
    def eager(self) -> int:
        with self._lock:
            return sum(1 for _, eager in self.finished if eager)

    @contextmanager
    def recording(self) -> Iterator[TaskLog]:
        signals.task_postrun.connect(self._record, weak=False)
        try:
            yield self
        finally:
            signals.task_postrun.disconnect(self._record)
