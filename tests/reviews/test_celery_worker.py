"""End to end with a real Celery worker on the real broker (Redis), not eager: submission routes
through the worker and emails go out once, however often the routing task is delivered; with
the broker down at submission, the sweep recovers the application once it is back.

Runs only when CELERY_BROKER_URL is set. The worker runs in a thread (solo pool) and talks to
the test database through its own connection, hence `transaction=True`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from applications.models import ApplicationStatus
from notifications.models import Notification
from reviews import tasks
from reviews.models import RoutingRecord
from reviews.services import routing as review_services
from tests.fixtures.reviews import TaskLog, broker_unreachable, running_worker, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(settings):
    from portal.celery import app

    if not settings.CELERY_BROKER_URL:
        pytest.skip(
            "CELERY_BROKER_URL is not set: without a broker Celery runs tasks eagerly "
            "in-process, and there is no worker to test"
        )
    assert not app.conf.task_always_eager


@pytest.fixture
def worker(broker):
    with TaskLog().recording() as log, running_worker():
        yield log


def all_sent(application) -> bool:
    notifications = Notification.objects.filter(application=application)
    return notifications.exists() and not notifications.filter(sent_at__isnull=True).exists()


def test_it_routes_a_submission_through_the_worker_and_emails_once(
    worker, submit_application, site_x
):
    application = submit_application(mode="large-scale")

    wait_for(lambda: application.assignments.count() == 3, what="routing by the worker")
    wait_for(lambda: all_sent(application), what="the receipt and the three emails")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.org", "sara@csc.fi", "saul@csc.fi", "tess@csc.fi"
    ]  # fmt: skip
    assert worker.count("route_application") == 1
    assert worker.count("send_notification") == 4

    # The routing message delivered twice more (a retry, a sweep): nothing changes.
    tasks.route_application.delay(application.pk)
    tasks.route_application.delay(application.pk)
    wait_for(lambda: worker.count("route_application") == 3, what="two more routing runs")

    assert application.assignments.count() == 3
    assert RoutingRecord.objects.filter(application=application).count() == 1
    assert Notification.objects.filter(application=application).count() == 4
    assert len(mail.outbox) == 4
    assert worker.count("send_notification") == 4
    assert worker.eager == 0


def test_it_recovers_a_submission_made_while_the_broker_was_down(
    broker, submit_application, site_x
):
    with broker_unreachable(patient=False):
        application = submit_application()  # on_commit fires here: the publish fails quietly

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not application.assignments.exists()

    with TaskLog().recording() as log, running_worker():
        swept = review_services.applications_sweep(older_than=timedelta(0))
        wait_for(lambda: all_sent(application), what="routing and the emails after the sweep")
        assert swept == {"applications": 1, "notifications": 1}  # the receipt

        application.refresh_from_db()
        assert application.status == ApplicationStatus.UNDER_REVIEW
        assert application.assignments.get().reviewer == site_x.technical[0]
        assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "tess@csc.fi"]
        assert log.count("route_application") == 1
        assert log.eager == 0
