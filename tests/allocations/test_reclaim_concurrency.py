"""Reclaim under concurrency (PostgreSQL only): the same notice decided at once by several
requests returns its GPU-hours to the capacity once; a reclaim racing usage imports never takes
more than is unused at the moment it is written."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from allocations import services
from allocations.models import Allocation, ReclaimNotice
from allocations.services import reclaim
from tests.allocations.conftest import approve

RACERS = 6


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race against")


def race(works: list[Callable[[], object]]) -> list[object]:
    start = threading.Barrier(len(works), timeout=30)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(work) -> None:
        try:
            start.wait()
            work()
            result: object = "done"
        except Exception as exc:  # collected and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_a_notice_decided_at_once_reclaims_once_and_never_more_than_unused(
    postgresql, asked, site_x
):
    allocation = approve(asked, site_x.approver)
    services.allocation_activate(allocation, actor=None, reason="Set up.")
    notice = reclaim.reclaim_notice_create(
        allocation, approver=site_x.approver, gpu_hours=10_000, reason="Idle.",
        today=datetime.date(2027, 1, 4),
    )  # fmt: skip
    after = notice.deadline + datetime.timedelta(days=1)

    def decide() -> None:
        reclaim.reclaim_decide(
            ReclaimNotice.objects.get(pk=notice.pk), approver=site_x.approver,
            outcome="reclaim", comment="Back.", today=after,
        )  # fmt: skip

    def use() -> None:  # the site's import: 7,000 used by now
        services.allocation_record_usage(Allocation.objects.get(pk=allocation.pk), 7000)

    outcomes = race([decide] * RACERS + [use])
    done = [o for o in outcomes if o == "done"]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(done) + len(refused) == RACERS + 1, outcomes
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("7000")
    # Reclaimed once, or refused because the import came first (then 9,000 unused < 10,000).
    assert allocation.reclaimed_gpu_hours in (0, 10_000)
    assert allocation.reclaimed_gpu_hours <= allocation.gpu_hours
    reclaimed = ReclaimNotice.objects.filter(status=ReclaimNotice.Status.RECLAIMED).count()
    assert reclaimed == (1 if allocation.reclaimed_gpu_hours else 0)
