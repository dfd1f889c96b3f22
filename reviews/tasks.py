"""Celery tasks of routing and deadlines: thin adapters, one service each, bounded retries."""

from __future__ import annotations

import logging

from celery import shared_task

from portal.tasks import RETRY

logger = logging.getLogger(__name__)


# Messages of submission and of the sweep: their application is routed with whatever else waits
# (review_services.applications_route_waiting). Others (a decline, an admin) route one.
BATCHED_TRIGGERS = ("submit",)


@shared_task(bind=True, **RETRY)
def route_application(self, application_id: int, trigger: str = "submit") -> str:
    from reviews.services.routing import (
        application_flag_routing_failure,
        application_route,
        applications_route_waiting,
    )

    try:
        if trigger in BATCHED_TRIGGERS:
            records = applications_route_waiting(application_id=application_id, trigger=trigger)
            return f"routed {len(records)}" if records else "nothing to do"
        record = application_route(application_id=application_id, trigger=trigger)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.exception("Routing of application %s failed for good", application_id)
            application_flag_routing_failure(application_id=application_id, error=str(exc))
        raise
    return "nothing to do" if record is None else record.outcome


@shared_task(acks_late=True)
def sweep() -> dict[str, int]:
    """Every minute: re-enqueue applications submitted but not routed, and unsent emails."""
    from portal import heartbeats
    from reviews.services.routing import applications_sweep

    result = applications_sweep()
    heartbeats.record(heartbeats.job_name("reviews.tasks.sweep"))
    return result


@shared_task(acks_late=True)
def check_deadlines() -> dict[str, int]:
    """Reviewer reminders before the due date; escalations once an application is overdue."""
    from portal import heartbeats
    from reviews.services.deadlines import deadlines_check

    result = deadlines_check()
    heartbeats.record(heartbeats.job_name("reviews.tasks.check_deadlines"))
    return result
