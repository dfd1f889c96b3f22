"""A backlog is routed in batches (review_services.applications_route_waiting): every application
once, with the reviewers its mode needs, conflicts respected, loads balanced as one at a time,
and a message whose application a batch already routed does nothing."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, ApplicationEvent, ApplicationStatus, TeamMember
from notifications.models import Notification
from reviews import tasks
from reviews.models import Assignment, RoutingRecord, SiteRole
from reviews.services import routing as review_services
from tests.fixtures.reviews import submitted_backlog

pytestmark = pytest.mark.django_db


def backlog(site, applicant, organisation, count: int) -> list[int]:
    """Ids of `count` submitted applications, oldest first. No reviewer has expertise in
    climate, so only the load decides."""
    return [a.pk for a in submitted_backlog(site, applicant, organisation, count, domain="climate")]


def open_load(users) -> list[int]:
    counts = Counter(
        Assignment.objects.filter(status__in=Assignment.OPEN).values_list("reviewer_id", flat=True)
    )
    return [counts[u.pk] for u in users]


@pytest.fixture
def roomy(site_x, modes):
    SiteRole.objects.filter(factory=site_x.factory).update(max_open_assignments=1000)
    return site_x


def test_one_message_routes_its_application_and_the_oldest_waiting(roomy, alice, alice_org):
    ids = backlog(roomy, alice, alice_org, 60)

    records = review_services.applications_route_waiting(application_id=ids[-1], limit=50)

    routed = {r.application_id for r in records}
    assert len(routed) == 50
    assert ids[-1] in routed  # its own application ...
    assert routed - {ids[-1]} == set(ids[:49])  # ... and the 49 oldest waiting
    assert set(
        Application.objects.filter(status=ApplicationStatus.SUBMITTED).values_list("pk", flat=True)
    ) == set(ids[49:59])


def test_a_backlog_is_routed_once_each_balanced_as_one_at_a_time(roomy, alice, alice_org):
    ids = backlog(roomy, alice, alice_org, 100)

    results = [tasks.route_application(pk) for pk in ids]  # one message per submission

    assert results.count("nothing to do") == 100 - 2  # two batches of 50 did the work
    applications = Application.objects.filter(pk__in=ids).select_related("access_mode")
    assert {a.status for a in applications} == {ApplicationStatus.UNDER_REVIEW}
    per_app = Counter(Assignment.objects.values_list("application_id", flat=True))
    assert {a.pk: per_app[a.pk] for a in applications} == {
        a.pk: a.access_mode.technical_reviews + a.access_mode.scientific_reviews
        for a in applications
    }
    pairs = Counter(Assignment.objects.values_list("application_id", "reviewer_id"))
    assert max(pairs.values()) == 1
    assert Counter(RoutingRecord.objects.values_list("application_id", flat=True)) == dict.fromkeys(
        ids, 1
    )
    assert ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.ROUTED).count() == len(ids)
    assert sorted(Notification.objects.values_list("key", flat=True)) == sorted(
        f"assigned:{pk}" for pk in Assignment.objects.values_list("pk", flat=True)
    )
    # Loads grow in memory within a batch: as balanced as routing one at a time.
    technical, scientific = open_load(roomy.technical), open_load(roomy.scientific)
    assert sum(technical) == 100 and max(technical) - min(technical) <= 1
    assert sum(scientific) == 50 and max(scientific) - min(scientific) <= 1


def test_conflicts_are_respected_within_a_batch(roomy, alice, alice_org):
    ids = backlog(roomy, alice, alice_org, 10)
    tess = roomy.technical[0]
    TeamMember.objects.create(application_id=ids[3], name="Tess", email=tess.email)

    review_services.applications_route_waiting(application_id=ids[0])

    record = RoutingRecord.objects.get(application_id=ids[3])
    assert {"user_id": tess.pk, "reason": "is a member of the project team"}.items() <= next(
        e for e in record.exclusions if e["user_id"] == tess.pk
    ).items()
    assert not Assignment.objects.filter(application_id=ids[3], reviewer=tess).exists()
    assert Application.objects.filter(status=ApplicationStatus.SUBMITTED).count() == 0


def test_a_site_that_cannot_be_staffed_is_flagged_while_the_rest_of_the_batch_is_routed(
    roomy, site_y, alice, alice_org
):
    here = backlog(roomy, alice, alice_org, 4)
    there = backlog(site_y, alice, alice_org, 4)  # one technical reviewer, no scientific

    review_services.applications_route_waiting(application_id=here[0])

    statuses = dict(Application.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in here} == {ApplicationStatus.UNDER_REVIEW}
    assert statuses[there[0]] == ApplicationStatus.NEEDS_ATTENTION  # large-scale: 2 scientific
    assert {statuses[pk] for pk in there[1:]} == {ApplicationStatus.UNDER_REVIEW}
    flagged = Application.objects.get(pk=there[0])
    assert "missing 2 scientific reviewer(s)" in flagged.attention_reason


def test_a_message_whose_application_is_routed_costs_one_query(
    roomy, alice, alice_org, django_assert_num_queries
):
    ids = backlog(roomy, alice, alice_org, 3)
    review_services.applications_route_waiting(application_id=ids[0])

    with django_assert_num_queries(1):
        assert review_services.applications_route_waiting(application_id=ids[2]) == []


def _batch_queries(site, alice, alice_org, count: int) -> int:
    ids = backlog(site, alice, alice_org, count)
    with CaptureQueriesContext(connection) as queries:
        records = review_services.applications_route_waiting(application_id=ids[0], limit=count)
    assert len(records) == count
    return len(queries)


def test_a_batch_costs_the_same_queries_for_5_and_for_50_applications(roomy, alice, alice_org):
    five = _batch_queries(roomy, alice, alice_org, 5)
    fifty = _batch_queries(roomy, alice, alice_org, 50)

    assert five == fifty
    assert fifty <= 20


@pytest.mark.django_db(transaction=True)
def test_two_workers_batches_never_route_the_same_application(roomy, alice, alice_org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to skip")
    ids = backlog(roomy, alice, alice_org, 80)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(first: int) -> None:
        try:
            barrier.wait(5)
            for pk in ids[first::2]:
                review_services.applications_route_waiting(application_id=pk, limit=15)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert Counter(RoutingRecord.objects.values_list("application_id", flat=True)) == dict.fromkeys(
        ids, 1
    )
    pairs = Counter(Assignment.objects.values_list("application_id", "reviewer_id"))
    assert max(pairs.values()) == 1
    assert not Application.objects.filter(status=ApplicationStatus.SUBMITTED).exists()


def test_an_application_whose_routing_fails_fails_alone(roomy, alice, alice_org, monkeypatch):
    from reviews import routing

    ids = backlog(roomy, alice, alice_org, 6)
    broken = ids[0]  # the oldest waiting: in every batch
    real_route = routing.route

    def route(facts, candidates):
        if facts.application_id == broken:
            raise RuntimeError("a broken application")
        return real_route(facts, candidates)

    monkeypatch.setattr(routing, "route", route)

    for pk in ids[1:]:
        assert len(review_services.applications_route_waiting(application_id=pk)) == 1
    with pytest.raises(RuntimeError, match="a broken application"):
        review_services.applications_route_waiting(application_id=broken)

    statuses = dict(Application.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in ids[1:]} == {ApplicationStatus.UNDER_REVIEW}
    assert statuses[broken] == ApplicationStatus.SUBMITTED  # its task retries, then flags it
