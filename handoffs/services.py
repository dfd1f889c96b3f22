"""Every write to hand-offs: queued after an approval commits, run by the worker through the
factory's backend, confirmed by the site, retried by staff; and the site's tokens.

Each state change writes a HandOffEvent in the same transaction. A run claims the hand-off with
a conditional update (pending or waiting -> running), so two workers never run one at once and a
hand-off already done is left alone."""

from __future__ import annotations

import datetime
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from allocations.models import Allocation
from allocations.services import allocation_activate
from handoffs.backends import HandOffRetry, Step, backend_for
from handoffs.models import (
    Backend,
    HandOff,
    HandOffEvent,
    HandOffSettings,
    HandOffStatus,
    SiteToken,
    site_token_digest,
)
from portal.tasks import enqueue

if TYPE_CHECKING:
    from accounts.models import User
    from factories.models import AIFactory

logger = logging.getLogger(__name__)
H = HandOffStatus
# A run that died with its worker (the row stays `running`) may be claimed again after this.
STALE_RUN = datetime.timedelta(minutes=10)
FIELDS = (
    "slurm_account", "export", "waldur_project_uuid", "waldur_order_uuid",
    "waldur_order_state", "waldur_resource_uuid",
)  # fmt: skip


def handoff_settings_for(factory_id: int) -> HandOffSettings:
    """The factory's settings, or the default (no backend: by hand) when it has none."""
    found = HandOffSettings.objects.filter(factory_id=factory_id).first()
    return found or HandOffSettings(factory_id=factory_id, backend=Backend.NONE)


def _event(
    handoff: HandOff, *, from_status: str, actor: User | None = None, message: str = ""
) -> None:
    HandOffEvent.objects.create(
        handoff=handoff, actor=actor, from_status=from_status, to_status=handoff.status,
        message=message[:2000],
    )  # fmt: skip


def handoff_start(*, allocation_id: int) -> HandOff:
    """The allocation's hand-off, created on first call with the factory's backend as it is
    then (a second call returns the first)."""
    allocation = Allocation.objects.select_related("system").get(pk=allocation_id)
    factory_id = allocation.system.factory_id
    with transaction.atomic():
        handoff, created = HandOff.objects.get_or_create(
            allocation=allocation,
            defaults={
                "factory_id": factory_id,
                "backend": handoff_settings_for(factory_id).backend,
            },
        )
        if created:
            _event(handoff, from_status="", message=f"Queued for {handoff.get_backend_display()}.")
    return handoff


def _claim(handoff_id: int) -> bool:
    stale = timezone.now() - STALE_RUN
    claimed = HandOff.objects.filter(
        Q(status__in=(H.PENDING, H.WAITING)) | Q(status=H.RUNNING, updated_at__lt=stale),
        pk=handoff_id,
    ).update(status=H.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now())
    return claimed == 1


def handoff_run(*, handoff_id: int) -> HandOff | None:
    """Run the hand-off through its backend (outside any transaction: it talks to the site's
    system), then store the outcome. Returns None when another run has it or it is finished.
    Raises HandOffRetry (the hand-off back to pending, the error kept) when worth retrying."""
    if not _claim(handoff_id):
        return None
    handoff = HandOff.objects.select_related(
        "allocation__application__organisation", "allocation__application__applicant",
        "allocation__system", "factory",
    ).get(pk=handoff_id)  # fmt: skip
    config = handoff_settings_for(handoff.factory_id)

    def progress(**fields: Any) -> None:
        changed = {k: v for k, v in fields.items() if getattr(handoff, k) != v}
        if changed:
            HandOff.objects.filter(pk=handoff.pk).update(**changed, updated_at=timezone.now())
            for name, value in changed.items():
                setattr(handoff, name, value)

    try:
        step = backend_for(handoff.backend).run(handoff, config, progress)
    except HandOffRetry as error:
        _finish(handoff, Step(H.PENDING, str(error)), error=True)
        raise
    except Exception as error:  # a bug or an unexpected answer: visible, retried by staff
        logger.exception("Hand-off %s failed", handoff_id)
        _finish(handoff, Step(H.FAILED, f"{type(error).__name__}: {error}"), error=True)
        return handoff
    _finish(handoff, step, error=step.status == H.FAILED)
    return handoff


def _finish(handoff: HandOff, step: Step, *, error: bool) -> None:
    with transaction.atomic():
        locked = HandOff.objects.select_for_update().get(pk=handoff.pk)
        for name, value in step.fields.items():
            if name in FIELDS:
                setattr(locked, name, value)
        from_status = H.RUNNING
        quiet = step.status == H.WAITING and locked.last_error == "" and locked.events.filter(
            to_status=H.WAITING, message=step.message
        ).exists()  # fmt: skip
        locked.status = step.status
        locked.last_error = step.message if error else ""
        if step.status in (H.DONE, H.FAILED):
            locked.finished_at = timezone.now()
        locked.full_clean(exclude=["allocation", "factory"])
        locked.save()
        if not quiet:  # one event per state the order is seen in, not one per poll
            _event(locked, from_status=from_status, message=step.message)
        if step.status == H.DONE:
            _activate(locked.allocation, reason=f"Set up at the site: {step.message}")
    for name in (*FIELDS, "status", "last_error", "finished_at", "attempts"):
        setattr(handoff, name, getattr(locked, name))


def _activate(allocation: Allocation, *, reason: str) -> None:
    """The allocation becomes active, if it is still awaiting its set-up: one closed (or
    suspended) in the meantime keeps its state."""
    if allocation.status == Allocation.Status.AWARDED:
        allocation_activate(allocation, actor=None, reason=reason)


def handoff_fail(*, handoff_id: int, error: str) -> None:
    """The task gave up after its retries: the hand-off shows failed, for staff to retry."""
    with transaction.atomic():
        handoff = HandOff.objects.select_for_update().get(pk=handoff_id)
        if handoff.status in (H.DONE, H.FAILED, H.MANUAL):
            return
        from_status = handoff.status
        handoff.status, handoff.last_error = H.FAILED, error[:2000]
        handoff.finished_at = timezone.now()
        handoff.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
        _event(handoff, from_status=from_status, message=f"Gave up after retries: {error}")


def handoff_retry(*, handoff: HandOff, actor: User) -> HandOff:
    """Staff send a failed hand-off (or one waiting on the site's system) through its backend
    again, with the factory's backend as it is now. Refused when done or in progress."""
    from handoffs.tasks import hand_off

    if not actor.is_staff:
        raise ValidationError(gettext("Only staff may retry a hand-off."))
    with transaction.atomic():
        locked = HandOff.objects.select_for_update().get(pk=handoff.pk)
        if locked.status not in (H.FAILED, H.WAITING, H.MANUAL, H.PENDING):
            raise ValidationError(
                gettext("This hand-off is %(status)s: nothing to retry.")
                % {"status": locked.get_status_display().lower()}
            )
        from_status = locked.status
        locked.status = H.PENDING
        locked.backend = handoff_settings_for(locked.factory_id).backend
        locked.finished_at = None
        locked.save(update_fields=["status", "backend", "finished_at", "updated_at"])
        _event(locked, from_status=from_status, actor=actor, message="Retried by staff.")
        transaction.on_commit(lambda: enqueue(hand_off, locked.allocation_id))
    return locked


def handoff_confirm(*, handoff: HandOff, factory: AIFactory, account: str = "") -> HandOff:
    """The site says the account exists (after applying the export, or by hand): done, and
    the allocation becomes active. Safe to repeat; refused for another factory's hand-off
    (DoesNotExist) or one still queued or failed."""
    with transaction.atomic():
        locked = HandOff.objects.select_for_update().get(pk=handoff.pk, factory=factory)
        if locked.status == H.DONE:
            return locked
        if locked.status not in (H.WAITING, H.MANUAL):
            raise ValidationError(
                gettext("This hand-off is %(status)s: there is nothing to confirm yet.")
                % {"status": locked.get_status_display().lower()}
            )
        if account:
            locked.slurm_account = account
        from_status = locked.status
        locked.status, locked.last_error, locked.finished_at = H.DONE, "", timezone.now()
        locked.full_clean(exclude=["allocation", "factory"])
        locked.save()
        _event(locked, from_status=from_status, message="Confirmed by the site.")
        _activate(locked.allocation, reason="The site confirmed its set-up.")
    return locked


def handoffs_sweep() -> int:
    """Every few minutes (beat): send again what a lost message left behind (the broker down at
    the approval, a worker killed): awarded allocations with no hand-off, hand-offs still queued,
    runs that died with their worker; each older than SWEEP_GRACE_SECONDS. Returns how many."""
    from django.conf import settings

    from handoffs.tasks import hand_off

    now = timezone.now()
    grace = now - datetime.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    missing = Allocation.objects.filter(
        status=Allocation.Status.AWARDED, handoff__isnull=True, created_at__lt=grace
    ).values_list("pk", flat=True)
    stuck = HandOff.objects.filter(
        Q(status=H.PENDING, updated_at__lt=grace)
        | Q(status=H.RUNNING, updated_at__lt=now - STALE_RUN)
    ).values_list("allocation_id", flat=True)
    allocation_ids = [*missing[:500], *stuck[:500]]
    for allocation_id in allocation_ids:
        enqueue(hand_off, allocation_id)
    return len(allocation_ids)


# --- Site tokens ---------------------------------------------------------------------------------


def site_token_issue(*, factory: AIFactory, name: str) -> tuple[SiteToken, str]:
    """A new key for the factory's site API: returns the row and the key (shown once, only its
    digest is stored)."""
    key = secrets.token_urlsafe(32)
    token = SiteToken(
        factory=factory, name=name.strip(), digest=site_token_digest(key), prefix=key[:8]
    )
    token.full_clean()
    token.save()
    return token, key


def site_token_revoke(*, token: SiteToken) -> SiteToken:
    SiteToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token
