"""Re-routing across factories: an application its site cannot staff, or whose system has no
GPU-hours left for it, moves to another system (same access mode) that can take it now, but
only when its applicant accepts. Staff may propose a system; the applicant still accepts.

The move goes through `application_transition` (back to submitted, at the new system), keeps
the application's history, closes open assignments at the old site, routes it at the new one
(enqueued on commit, as submission does; the routing record's trigger says why it moved), and
tells both sites' approvers and the portal's staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from applications.intake import system_intake
from applications.models import Application, ApplicationEvent, ApplicationStatus
from applications.services import application_transition
from factories.models import System
from finder.models import MoveProposal
from finder.selectors import move_offer_reason, pending_proposals
from notifications.services import notification_queue, notification_recipients
from portal.tasks import enqueue
from reviews import tasks as review_tasks
from reviews.services.assignments import assignments_close

if TYPE_CHECKING:
    from accounts.models import User

# The routing record's trigger for a move (reviews.models.RoutingRecord.trigger, 40 chars).
MOVE_TRIGGERS = {
    ApplicationStatus.NEEDS_ATTENTION: "moved: old site could not staff it",
    "capacity": "moved: no GPU-hours left at old system",
    "proposal": "moved: staff proposal, applicant agreed",
}


def _locked(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("access_mode", "system__factory", "organisation", "applicant")
        .get(pk=application_id)
    )


def _check_target(application: Application, system: System) -> None:
    if system.pk == application.system_id:
        raise ValidationError({"system": [gettext("The application is already at this system.")]})
    intake = system_intake(
        system=system,
        mode=application.submitted_access_mode,
        organisation=application.organisation,
    )
    if not intake.can_take:
        raise ValidationError({"system": [intake.reason]})


def _trigger(application: Application, proposals: list[MoveProposal]) -> str:
    if application.status == ApplicationStatus.NEEDS_ATTENTION:
        return MOVE_TRIGGERS[ApplicationStatus.NEEDS_ATTENTION]
    if proposals and "staff propose" in move_offer_reason(application, proposals):
        return MOVE_TRIGGERS["proposal"]
    return MOVE_TRIGGERS["capacity"]


def application_move(*, application: Application, system: System, actor: User) -> Application:
    """Move `application` to `system`, at its applicant's request. Refused (ValidationError,
    nothing changed) unless a move is offered (see finder.selectors.move_offer_reason) and the
    system can take it now; PermissionDenied for anyone but the applicant."""
    with transaction.atomic():
        application = _locked(application.pk)
        if application.applicant_id != actor.pk:
            raise PermissionDenied(gettext("Only the applicant may move their application."))
        proposals = pending_proposals(application)
        why = move_offer_reason(application, proposals)
        if not why:
            raise ValidationError(gettext("This application cannot be moved to another site now."))
        _check_target(application, system)
        old = application.submitted_system
        trigger = _trigger(application, proposals)
        assignments_close(application=application)
        application.system = system
        application.attention_reason = ""
        application_transition(
            application, to_status=ApplicationStatus.SUBMITTED, actor=actor,
            kind=ApplicationEvent.Kind.SUBMITTED, fields=("system", "attention_reason"),
            message=f"Moved from {old.name} ({old.factory.display_name}) to {system.name} "
            f"({system.factory.display_name}) at the applicant's request. {why}"[:500],
            moved_from=old.slug, moved_to=system.slug, why=why,
        )  # fmt: skip
        now = timezone.now()
        for proposal in proposals:
            accepted = proposal.system_id == system.pk
            proposal.status = (
                MoveProposal.Status.ACCEPTED if accepted else MoveProposal.Status.CLOSED
            )
            proposal.decided_at = now
            proposal.save(update_fields=["status", "decided_at"])
        _tell_sites(application, old=old, why=why)
        transaction.on_commit(
            lambda: enqueue(review_tasks.route_application, application.pk, trigger)
        )
    return application


def _tell_sites(application: Application, *, old: System, why: str) -> None:
    new = application.submitted_system
    events = application.events.count()
    recipients = {
        r.email: r
        for factory_id in (old.factory_id, new.factory_id)
        for r in notification_recipients(staff=True, approvers_of=factory_id)
    }
    for recipient in recipients.values():
        notification_queue(
            key=f"moved:{application.pk}:{events}:{recipient.email}",
            recipient=recipient.email,
            recipient_name=recipient.name,
            template="application_moved",
            context={"application": application, "old": old, "new": new, "why": why},
            application=application,
        )


def move_propose(
    *, application: Application, system: System, actor: User, reason: str = ""
) -> MoveProposal:
    """Staff propose `system` for `application`; the applicant is told and decides."""
    if not actor.is_staff:
        raise PermissionDenied(gettext("Only the portal's staff propose moves."))
    with transaction.atomic():
        application = _locked(application.pk)
        if application.status not in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.UNDER_REVIEW,
            ApplicationStatus.NEEDS_ATTENTION,
        ):
            raise ValidationError(gettext("Only an open application can be moved."))
        _check_target(application, system)
        proposal = MoveProposal(
            application=application, system=system, proposed_by=actor, reason=reason
        )
        proposal.full_clean()
        proposal.save()
        notification_queue(
            key=f"move-proposed:{proposal.pk}",
            recipient=application.applicant.email,
            recipient_name=application.applicant.get_full_name(),
            template="move_proposed",
            context={"application": application, "proposal": proposal},
            application=application,
        )
    return proposal
