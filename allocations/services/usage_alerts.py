"""Usage against the award, by email: an alert when an allocation has used 75 % and 100 % of
its GPU-hours, and a nudge when it has used less than 25 % at half time. Each goes out at most
once per allocation, however many imports cross the line: a conditional update claims its
marker (`alerted_75_at`, `alerted_100_at`, `underuse_nudged_at`) in the same transaction as
the email's row (whose unique key is a second guard).

Where they run: the alerts where usage is recorded (`allocation_record_usage`, so the email
follows the import that crossed the line), and again in the hourly check-allocations job as a
safety net; the nudge only in the hourly job (it depends on the date, not on an import)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from allocations.models import Allocation, AllocationStatus
from notifications.services import notification_queue

# (percent used, marker field), highest first.
ALERT_LEVELS = ((100, "alerted_100_at"), (75, "alerted_75_at"))
UNDERUSE_PERCENT = 25  # below this share used ...
UNDERUSE_AT_ELAPSED = 50  # ... once this share of the period has passed: the nudge

ALERTING_STATUSES = (AllocationStatus.ACTIVE, AllocationStatus.SUSPENDED)


def used_share(allocation: Allocation) -> Decimal:
    """The share of the allocation's GPU-hours used, in percent (not capped)."""
    total = allocation.total_gpu_hours
    return Decimal(100) * allocation.used_gpu_hours / total if total else Decimal(0)


def elapsed_share(allocation: Allocation, *, today: datetime.date) -> Decimal:
    """The share of the allocation's period that has passed, in percent (0 to 100)."""
    days = (allocation.end - allocation.start).days
    passed = min(max((today - allocation.start).days, 0), days)
    return Decimal(100) * passed / days if days else Decimal(100)


def _claim(allocation: Allocation, fields: list[str]) -> bool:
    """Set each marker in `fields` still empty; True when this call set the first of them."""
    now = timezone.now()
    claimed = False
    for name in fields:
        updated = Allocation.objects.filter(pk=allocation.pk, **{f"{name}__isnull": True}).update(
            **{name: now}
        )
        if updated and name == fields[0]:
            claimed = True
        setattr(allocation, name, getattr(allocation, name) or now)
    return claimed


def _send(allocation: Allocation, *, kind: str, level: int, template: str) -> None:
    application = allocation.application
    applicant = application.applicant
    notification_queue(
        key=f"{kind}:{allocation.pk}:{level}",
        recipient=applicant.email,
        recipient_name=applicant.get_full_name(),
        template=template,
        context={
            "allocation": allocation,
            "application": application,
            "level": level,
            "used_percent": allocation.used_percent,
        },
        application=application,
    )


def usage_alerts_send(allocation: Allocation) -> int | None:
    """After usage was recorded: the alert of the highest level the allocation has reached
    and not been told of (75 or 100 % of its GPU-hours), once; a jump past both sends the 100 %
    alert only and marks both. Returns the level sent, or None."""
    if allocation.status not in ALERTING_STATUSES:
        return None
    share = used_share(allocation)
    reached = [(level, name) for level, name in ALERT_LEVELS if share >= level]
    pending = [name for _, name in reached if getattr(allocation, name) is None]
    if not pending:
        return None
    with transaction.atomic():
        # The highest level reached is claimed first: only the call that sets it sends.
        level = next(level for level, name in reached if name == pending[0])
        if not _claim(allocation, pending):
            return None
        _send(allocation, kind="usage-alert", level=level, template="usage_alert")
    return level


def underuse_nudge_send(allocation: Allocation, *, today: datetime.date) -> bool:
    """The nudge, once: a live allocation past half its period with less than a quarter of
    its GPU-hours used. True when this call sent it."""
    if allocation.status not in ALERTING_STATUSES or allocation.underuse_nudged_at is not None:
        return False
    if elapsed_share(allocation, today=today) < UNDERUSE_AT_ELAPSED:
        return False
    if used_share(allocation) >= UNDERUSE_PERCENT:
        return False
    with transaction.atomic():
        if not _claim(allocation, ["underuse_nudged_at"]):
            return False
        _send(allocation, kind="usage-nudge", level=UNDERUSE_PERCENT, template="usage_nudge")
    return True


def usage_alerts_check(*, today: datetime.date | None = None) -> dict[str, int]:
    """The hourly job's part: alerts missed at recording time, and the under-use nudges."""
    today = today or timezone.localdate()
    live = Allocation.objects.filter(status__in=ALERTING_STATUSES).select_related(
        "application__applicant"
    )
    alerts = nudges = 0
    for allocation in live.filter(alerted_100_at__isnull=True).iterator():
        alerts += usage_alerts_send(allocation) is not None
    half_time = live.filter(underuse_nudged_at__isnull=True, start__lte=today)
    for allocation in half_time.iterator():
        nudges += underuse_nudge_send(allocation, today=today)
    return {"usage_alerts": alerts, "underuse_nudges": nudges}
