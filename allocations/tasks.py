"""Periodic work of allocations: a thin adapter over the services (STYLE 5)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def check_allocations() -> dict[str, int]:
    """End the allocations past their end date; remind of reports falling due and escalate the
    overdue ones; send the usage alerts missed and the under-use nudges. Safe to run twice."""
    from allocations.services import allocations_end_due
    from allocations.services.reports import reports_check
    from allocations.services.usage_alerts import usage_alerts_check
    from portal import heartbeats

    result = {"ended": allocations_end_due(), **reports_check(), **usage_alerts_check()}
    heartbeats.record(heartbeats.job_name("allocations.tasks.check_allocations"))
    return result
