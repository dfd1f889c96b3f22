"""The hand-off through a real Celery worker on the real broker (Redis), not eager: the approval
commits, the worker hands the allocation off to Waldur (the loopback stand-in), and the message
delivered again changes nothing. Runs only when CELERY_BROKER_URL is set."""

from __future__ import annotations

import pytest

from handoffs.models import HandOff
from handoffs.tasks import hand_off
from tests.fixtures.reviews import TaskLog, running_worker, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    from portal.celery import app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is not set: Celery runs tasks eagerly, no worker to test")
    assert not app.conf.task_always_eager
    with TaskLog().recording() as log, running_worker():
        yield log


def done(allocation) -> bool:
    return HandOff.objects.filter(allocation=allocation, status="done").exists()


def test_the_worker_hands_the_allocation_off_once_the_approval_commits(
    worker, approve, waldur, fake_waldur
):
    allocation = approve()

    wait_for(lambda: done(allocation), what="the hand-off by the worker")
    assert worker.count("hand_off") >= 1
    assert worker.eager == 0

    hand_off.delay(allocation.pk)  # delivered again (a retry, the sweep)
    wait_for(lambda: worker.count("hand_off") >= 2, what="a second run")
    assert len(fake_waldur.projects) == 1
    assert len(fake_waldur.orders) == 1
    assert fake_waldur.violations == []
