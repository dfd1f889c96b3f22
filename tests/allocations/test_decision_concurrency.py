"""Concurrent approvals on one system never award more than its capacity (PostgreSQL only: the
row lock on the system serialises them; SQLite has no row locks and one writer at a time)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from allocations.models import Allocation
from applications.models import ApplicationStatus
from factories.models import System
from reviews.models import Assignment, Decision
from reviews.services import decisions as review_services
from tests.fixtures.reviews import bulk_under_review

AWARD = 1000
ROOM = 5
APPLICATIONS = 20


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race against")


@pytest.mark.django_db(transaction=True)
def test_it_never_awards_more_than_the_capacity_to_parallel_approvals(
    postgresql, site_x, alice, modes
):
    System.objects.filter(pk=site_x.system.pk).update(allocatable_gpu_hours_per_year=ROOM * AWARD)
    applications = bulk_under_review(
        site_x, site_x.technical[0], alice, APPLICATIONS, status=Assignment.Status.DONE
    )
    approver = site_x.approver
    start = threading.Barrier(APPLICATIONS, timeout=30)
    outcomes: list[object] = []
    lock = threading.Lock()

    def approve(application) -> None:
        try:
            start.wait()
            review_services.application_decide(
                application=application, approver=approver, outcome="approve", gpu_hours=AWARD,
                comment="Approved in a hurry.",
            )  # fmt: skip
            result: object = "approved"
        except Exception as exc:  # collected and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    others = [o for o in outcomes if o != "approved" and not isinstance(o, ValidationError)]
    assert others == []
    assert outcomes.count("approved") == ROOM
    assert len(refused) == APPLICATIONS - ROOM
    year = applications[0].start_date.year
    assert {tuple(e.message_dict["gpu_hours"]) for e in refused} == {
        (f"Only 0 GPU-hours are left on LUMI for {year}.",)
    }
    assert Allocation.objects.count() == ROOM
    assert sum(Allocation.objects.values_list("gpu_hours", flat=True)) <= ROOM * AWARD
    assert Decision.objects.count() == ROOM
    statuses = list(type(applications[0]).objects.values_list("status", flat=True))
    assert sorted(set(statuses)) == [ApplicationStatus.APPROVED, ApplicationStatus.UNDER_REVIEW]
    assert statuses.count(ApplicationStatus.APPROVED) == ROOM
