"""The ledger stays exact under concurrency: parallel approvals of new applications and of
more GPU-hours on existing allocations, on one system, never award more than its capacity
(PostgreSQL only: the lock on the system's row serialises them)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from allocations.models import LEDGER_GPU_HOURS, Allocation, ChangeRequest
from allocations.services import changes
from factories.models import System
from reviews.models import Assignment
from reviews.services import decisions
from tests.fixtures.reviews import bulk_under_review

AWARD = 1000
ROOM = 5
EACH = 10  # new applications, and change requests, racing


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race against")


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_and_extra_gpu_hours_never_exceed_the_capacity(
    postgresql, site_x, alice, alice_org, modes
):
    approver = site_x.approver
    held = bulk_under_review(
        site_x, site_x.technical[0], alice, EACH, status=Assignment.Status.DONE
    )
    for application in held:
        decisions.application_decide(
            application=application, approver=approver, outcome="approve", gpu_hours=AWARD,
            comment="Approved before the race.",
        )  # fmt: skip
    requests = [
        changes.change_request_create(
            allocation, user=alice, kind="gpu_hours", reason="More.", extra_gpu_hours=AWARD
        )
        for allocation in Allocation.objects.all()
    ]
    waiting = bulk_under_review(
        site_x, site_x.technical[0], alice, EACH, status=Assignment.Status.DONE
    )
    capacity = (EACH + ROOM) * AWARD
    System.objects.filter(pk=site_x.system.pk).update(allocatable_gpu_hours_per_year=capacity)
    start = threading.Barrier(2 * EACH, timeout=30)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(work) -> None:
        try:
            start.wait()
            work()
            result: object = "granted"
        except Exception as exc:  # collected and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    def approve(application):
        return lambda: decisions.application_decide(
            application=application, approver=approver, outcome="approve", gpu_hours=AWARD,
            comment="In a hurry.",
        )  # fmt: skip

    def grant(change):
        return lambda: changes.change_request_decide(
            change, approver=approver, outcome="approve", comment="In a hurry."
        )

    works = [approve(a) for a in waiting] + [grant(c) for c in requests]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    others = [o for o in outcomes if o != "granted" and not isinstance(o, ValidationError)]
    assert others == []
    assert outcomes.count("granted") == ROOM
    ledger = Allocation.objects.aggregate(total=Sum(LEDGER_GPU_HOURS))["total"]
    assert ledger == capacity
    granted = ChangeRequest.objects.filter(status=ChangeRequest.Status.APPROVED).count()
    assert Allocation.objects.count() - EACH + granted == ROOM
