"""The hand-off task: a thin adapter around the hand-off services, retried with backoff."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from handoffs.backends import HandOffRetry
from portal.tasks import RETRY

logger = logging.getLogger(__name__)

# While Waldur works on the order, its state is read again: after 1, 2, 3 … minutes, 20 times.
POLL_SECONDS = 60
MAX_POLLS = 20


# The shared retry policy, and a HandOffRetry (the site's system unreachable, a 5xx) retried too.
POLICY: dict[str, Any] = {**RETRY, "autoretry_for": (*RETRY["autoretry_for"], HandOffRetry)}  # type: ignore[misc]


@shared_task(bind=True, **POLICY)
def hand_off(self, allocation_id: int, poll: int = 0) -> str:
    """Hand the allocation off to its site (sent on commit of the approval; by staff's retry).
    Safe to run twice: a hand-off done, or in progress elsewhere, is left alone."""
    from handoffs.models import Backend, HandOffStatus
    from handoffs.services import handoff_fail, handoff_run, handoff_start

    handoff = handoff_start(allocation_id=allocation_id)
    try:
        ran = handoff_run(handoff_id=handoff.pk)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("Hand-off of allocation %s failed for good: %s", allocation_id, exc)
            handoff_fail(handoff_id=handoff.pk, error=str(exc))
        raise
    if ran is None:
        return "nothing to do"
    waiting_on_waldur = ran.status == HandOffStatus.WAITING and ran.backend == Backend.WALDUR
    if waiting_on_waldur and poll < MAX_POLLS:
        hand_off.apply_async((allocation_id, poll + 1), countdown=POLL_SECONDS * (poll + 1))
    return ran.status


@shared_task(acks_late=True)
def sweep() -> int:
    """Every five minutes: hand-offs a lost message left behind, sent again."""
    from handoffs.services import handoffs_sweep
    from portal import heartbeats

    sent = handoffs_sweep()
    heartbeats.record(heartbeats.job_name("handoffs.tasks.sweep"))
    return sent
