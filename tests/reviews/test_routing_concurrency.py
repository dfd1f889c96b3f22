"""Two workers routing at one site at the same moment never take a reviewer beyond their
`max_open_assignments`: each holds the site's reviewers' roles while it reads their loads and
assigns. Really concurrent, on PostgreSQL: two threads, each with its own connection, routing
one application each, both made to reach the point of writing their assignment together (a
third connection holds a lock on the assignments table until both got there)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from applications.models import ApplicationStatus
from reviews.models import Assignment, SiteRole
from reviews.services import routing as routing_services
from tests.fixtures.reviews import bulk_under_review, submitted_backlog

pytestmark = pytest.mark.django_db(transaction=True)


def route_in_thread(application_id: int, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            routing_services.application_route(application_id=application_id)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def waiting_on_locks(probe: psycopg.Connection) -> int:
    # The activity view is read once per transaction unless its snapshot is dropped.
    probe.execute("SELECT pg_stat_clear_snapshot()")
    row = probe.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row else 0


def test_it_never_assigns_beyond_the_limit_when_two_workers_route_at_one_site(
    site_x, alice, alice_org, modes
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL): SQLite runs one writing transaction at a "
            "time, so two routings can never interleave there"
        )
    tess, theo = site_x.technical
    SiteRole.objects.filter(user=theo).update(is_active=False)
    SiteRole.objects.filter(user=tess).update(max_open_assignments=2)
    bulk_under_review(site_x, tess, alice, 1)  # Tess: at her limit minus one
    backlog = submitted_backlog(site_x, alice, alice_org, 3)
    first, second = backlog[1], backlog[2]  # Fast Lane: one technical reviewer each

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    probe = psycopg.connect(**params, autocommit=False)
    errors: list[BaseException] = []
    try:
        # Until both workers have read the loads and reached their INSERT (or, with the lock,
        # one of them waits for the other's), nobody can add an assignment.
        probe.execute("LOCK TABLE reviews_assignment IN SHARE MODE")
        threads = [route_in_thread(a.pk, errors) for a in (first, second)]
        deadline = time.monotonic() + 20
        while waiting_on_locks(probe) < 2:
            assert all(t.is_alive() for t in threads), errors
            if time.monotonic() > deadline:
                rows = probe.execute(
                    "SELECT a.pid, pg_blocking_pids(a.pid), a.state, l.mode, l.locktype, "
                    "c.relname, left(a.query, 60) "
                    "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT "
                    "l.granted LEFT JOIN pg_class c ON c.oid = l.relation "
                    "WHERE a.datname = current_database()"
                ).fetchall()
                pytest.fail("the two routings never met: " + "\n".join(map(str, rows)))
            time.sleep(0.02)
        probe.commit()
        for thread in threads:
            thread.join(30)
    finally:
        probe.close()

    assert not errors, errors
    assert Assignment.objects.filter(reviewer=tess, status__in=Assignment.OPEN).count() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    statuses = sorted([first.status, second.status])
    assert statuses == sorted([ApplicationStatus.UNDER_REVIEW, ApplicationStatus.NEEDS_ATTENTION])
    flagged = first if first.status == ApplicationStatus.NEEDS_ATTENTION else second
    assert flagged.assignments.count() == 0
    assert flagged.routing_records.get().outcome == "needs_attention"
