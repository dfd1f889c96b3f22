"""Writes of the review side: routing, assignments, reviews, decisions, allocations, emails."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from factories.models import System
from portal.mail import email_context

from . import review_selectors, routing
from .models import (
    Allocation,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Assignment,
    ConflictOfInterest,
    Decision,
    Notification,
    Review,
    RoutingRecord,
    SiteRole,
    TeamMember,
    can_transition,
)
from .workdays import add_working_days

logger = logging.getLogger(__name__)
User = get_user_model()
ROUTABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.NEEDS_ATTENTION,
    ApplicationStatus.UNDER_REVIEW,
)
# Runs that start on their own (submission, the sweep, a decline). They never re-route an
# application already flagged "needs attention": it waits for staff to re-route it, and a
# redelivered message must not alert them again.
AUTOMATIC_TRIGGERS = ("submit", "decline")


# --- Notifications -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to, and why: staff (superusers, ADMINS) are sent to the admin, a
    site's approvers to the site's pages (they cannot open the admin)."""

    email: str
    name: str
    staff: bool = False
    approver: bool = False


def notification_queue(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification | None:
    """Store an email to send once (unique `key`) and enqueue its sending after commit."""
    built = _notification(
        key=key,
        recipient=recipient,
        template=template,
        context=context,
        application=application,
        recipient_name=recipient_name,
    )
    values = {
        f: getattr(built, f) for f in ("recipient", "subject", "body", "html_body", "application")
    }
    notification, created = Notification.objects.get_or_create(key=built.key, defaults=values)
    if created:
        transaction.on_commit(lambda: _enqueue("send_notification", notification.pk))
    return notification


def _notification(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification:
    """An email rendered from its templates (subject, text and HTML), not saved yet. The
    greeting names `recipient_name`, or the address when the person has no name."""
    context = {**email_context(), "recipient_name": recipient_name or recipient, **context}
    # One line: a title with a line break (possible through the API) would otherwise make every
    # email about the application fail (Django refuses newlines in headers).
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    return Notification(
        key=key[:120],
        recipient=recipient,
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"[:200],
        body=render_to_string(f"emails/{template}_body.txt", context),
        html_body=render_to_string(f"emails/{template}_body.html", context),
        application=application,
    )


def notification_send(*, notification_id: int) -> bool:
    """Send one stored email (text, and HTML when stored) unless it was sent already. Returns
    True when it sent now."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        notification.attempts += 1
        message = EmailMultiAlternatives(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )
        if notification.html_body:
            message.attach_alternative(notification.html_body, "text/html")
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["attempts", "sent_at"])
    return True


def _enqueue(task_name: str, *args: Any) -> None:
    from . import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception as exc:  # broker down: the sweep enqueues it again later
        logger.warning("Could not enqueue %s%s (%s); the sweep will retry.", task_name, args, exc)


def _full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()  # as User.get_full_name


def _user_names(user_ids) -> dict[int, str]:
    """Full names by user id (empty for a user without one): one query."""
    rows = User.objects.filter(pk__in=set(user_ids)).values_list("pk", "first_name", "last_name")
    return {pk: _full_name(first, last) for pk, first, last in rows}


def _recipients(*, staff: bool = False, approvers_of: int | None = None) -> list[Recipient]:
    """Staff (active superusers and settings.ADMINS) and/or the active approvers of a site, one
    entry per address (someone both gets both links), sorted by address."""
    found: dict[str, Recipient] = {}

    def add(email: str, name: str, **role: bool) -> None:
        known = found.get(email)
        found[email] = Recipient(
            email=email,
            name=(known.name if known else "") or name,
            staff=role.get("staff", False) or bool(known and known.staff),
            approver=role.get("approver", False) or bool(known and known.approver),
        )

    if staff:
        for email, first, last in User.objects.filter(
            is_superuser=True, is_active=True
        ).values_list("email", "first_name", "last_name"):
            add(email, _full_name(first, last), staff=True)
        for name, email in settings.ADMINS:
            add(email, name, staff=True)
    if approvers_of is not None:
        for email, first, last in SiteRole.objects.filter(
            factory_id=approvers_of, role=SiteRole.Role.APPROVER, is_active=True
        ).values_list("user__email", "user__first_name", "user__last_name"):
            add(email, _full_name(first, last), approver=True)
    return [found[email] for email in sorted(found)]


# --- Routing -------------------------------------------------------------------------------------


def _event(application, *, actor, kind, from_status, message="", internal=False, **extra):
    return ApplicationEvent.objects.create(
        application=application, actor=actor, kind=kind, from_status=from_status,
        to_status=application.status, message=message, internal=internal, extra=extra,
    )  # fmt: skip


def _needs(application: Application, assignments: list[tuple[int, str, str]]) -> dict[str, int]:
    """Reviewers still missing per kind, given (reviewer_id, kind, status) of the assignments."""
    mode = application.access_mode
    wanted = {"technical": mode.technical_reviews, "scientific": mode.scientific_reviews}
    for _reviewer_id, kind, status in assignments:
        if status != Assignment.Status.DECLINED:
            wanted[kind] -= 1
    return {kind: max(n, 0) for kind, n in wanted.items()}


def _facts(application: Application, assignments, team_emails, needs) -> routing.ApplicationFacts:
    return routing.ApplicationFacts(
        application_id=application.pk,
        factory_id=application.system.factory_id,
        organisation_id=application.organisation_id,
        ai_domain=application.ai_domain,
        applicant_user_id=application.applicant_id,
        applicant_email=application.applicant.email,
        team_emails=frozenset(team_emails),
        needs=needs,
        excluded_user_ids=frozenset(reviewer_id for reviewer_id, _, _ in assignments),
    )


def _record(application, factory, result: routing.RoutingResult, trigger: str) -> RoutingRecord:
    """The routing record of `result`, not saved yet."""
    return RoutingRecord(
        application=application,
        factory=factory,
        outcome=RoutingRecord.Outcome.ROUTED
        if result.staffed
        else RoutingRecord.Outcome.NEEDS_ATTENTION,
        candidates=result.candidates,
        exclusions=[e.__dict__ for e in result.exclusions],
        chosen=[c.__dict__ for c in result.chosen],
        reason=result.reason,
        trigger=trigger,
    )


def application_route(*, application_id: int, trigger: str = "submit") -> RoutingRecord | None:
    """Route a submitted application to its site's reviewers; safe to run any number of times.

    The application row is locked, and routing happens only while reviewers are missing: a second
    run (a retried task, a sweep) finds nothing to do and returns None. Assignments are unique per
    (application, reviewer) in the database as a second guard. When the site cannot be staffed,
    the application is flagged "needs attention" with the reason and admins are told.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("access_mode", "system__factory", "applicant")
            .filter(pk=application_id)
            .first()
        )
        if application is None or application.status not in ROUTABLE:
            return None
        if (
            application.status == ApplicationStatus.NEEDS_ATTENTION
            and trigger in AUTOMATIC_TRIGGERS
        ):
            return None
        records = _route_batch([application], trigger=trigger)
    return records[0] if records else None


def applications_route_waiting(
    *, application_id: int, trigger: str = "submit", limit: int | None = None
) -> list[RoutingRecord]:
    """Route a submitted application and, in the same transaction, up to `limit - 1` others
    waiting to be routed (the oldest first; rows another worker holds are skipped). Returns the
    routing records made, none when the application is no longer waiting.

    A backlog (after an outage, or a burst of submissions) is routed with a few statements per
    batch instead of a dozen per application; the messages of the applications routed with
    another one's batch find them routed and do nothing. Reviewers' loads are counted once per
    batch and grow, in memory, with every assignment the batch makes, so the balance is the
    same as one application at a time. Safe to run any number of times, as `application_route`:
    rows are locked and only applications still submitted are routed.
    """
    limit = max(1, limit or settings.ROUTING_BATCH_SIZE)
    # Read before anything is locked: most messages of a backlog find their application routed
    # already, by the batch of an earlier message.
    status = Application.objects.filter(pk=application_id).values_list("status", flat=True)
    if status.first() != ApplicationStatus.SUBMITTED:
        return []
    if limit == 1:
        record = application_route(application_id=application_id, trigger=trigger)
        return [record] if record is not None else []
    try:
        return _route_waiting(application_id=application_id, trigger=trigger, limit=limit)
    except Exception as exc:
        # One application whose routing fails would otherwise fail every batch it lands in
        # (the oldest waiting are in all of them): route this message's own application alone,
        # so that only the failing one fails, retries, and is flagged in the end.
        logger.warning(
            "Routing a batch with application %s failed (%r); routing it alone.",
            application_id,
            exc,
        )
        record = application_route(application_id=application_id, trigger=trigger)
        return [record] if record is not None else []


def _route_waiting(*, application_id: int, trigger: str, limit: int) -> list[RoutingRecord]:
    with transaction.atomic():
        locked = Application.objects.select_for_update(of=("self",)).select_related(
            "access_mode", "system__factory", "applicant"
        )
        applications = list(locked.filter(pk=application_id, status=ApplicationStatus.SUBMITTED))
        if not applications:
            return []
        applications += list(
            locked.select_for_update(of=("self",), skip_locked=True)
            .filter(status=ApplicationStatus.SUBMITTED)
            .exclude(pk=application_id)
            .order_by("submitted_at", "pk")[: limit - 1]
        )
        return _route_batch(applications, trigger=trigger)


def _route_batch(applications: list[Application], *, trigger: str) -> list[RoutingRecord]:
    """Route locked, routable applications with bulk writes: a batch of submitted ones (see
    applications_route_waiting) or one (application_route). Those missing no reviewer are left
    as they are."""
    ids = [a.pk for a in applications]
    existing: dict[int, list[tuple[int, str, str]]] = {pk: [] for pk in ids}
    for app_id, reviewer_id, kind, status in Assignment.objects.filter(
        application_id__in=ids
    ).values_list("application_id", "reviewer_id", "kind", "status"):
        existing[app_id].append((reviewer_id, kind, status))
    team: dict[int, set[str]] = {pk: set() for pk in ids}
    for app_id, email in TeamMember.objects.filter(application_id__in=ids).values_list(
        "application_id", "email"
    ):
        team[app_id].add(email)

    candidates: dict[int, list[routing.Candidate]] = {}
    routed: list[tuple[Application, routing.RoutingResult, RoutingRecord]] = []
    for application in applications:
        needs = _needs(application, existing[application.pk])
        if not any(needs.values()):
            continue
        factory = application.system.factory
        if factory.pk not in candidates:
            candidates[factory.pk] = review_selectors.routing_candidates(factory_id=factory.pk)
        facts = _facts(application, existing[application.pk], team[application.pk], needs)
        result = routing.route(facts, candidates[factory.pk])
        # Whoever was chosen has one more open assignment for the next application.
        chosen = {c.user_id for c in result.chosen}
        candidates[factory.pk] = [
            replace(c, open_assignments=c.open_assignments + 1) if c.user_id in chosen else c
            for c in candidates[factory.pk]
        ]
        routed.append((application, result, _record(application, factory, result, trigger)))

    if not routed:
        return []
    records = RoutingRecord.objects.bulk_create([record for _, _, record in routed])
    staffed = [(a, result) for a, result, _ in routed if result.staffed]
    today = timezone.localdate()
    # As one at a time: whoever was chosen is assigned, also when the site is short of reviewers
    # for the rest (the application is then flagged below).
    made = Assignment.objects.bulk_create(
        Assignment(
            application=a,
            reviewer_id=c.user_id,
            kind=c.kind,
            due_by=a.expected_decision_by or add_working_days(today, 5),
        )
        for a, result, _ in routed
        for c in result.chosen
    )
    emails = {(a.pk, c.user_id): c.email for a, result, _ in routed for c in result.chosen}
    names = _user_names(a.reviewer_id for a in made) if made else {}
    notifications = Notification.objects.bulk_create(
        _notification(
            key=f"assigned:{assignment.pk}",
            recipient=emails[(assignment.application_id, assignment.reviewer_id)],
            recipient_name=names.get(assignment.reviewer_id, ""),
            template="assignment_new",
            context={
                "application": assignment.application,
                "assignment": assignment,
                "factory": assignment.application.system.factory,
            },
            application=assignment.application,
        )
        for assignment in made
    )
    # Staffed: under review (an application re-routed after a decline is already).
    promoted = {a.pk: a.status for a, _ in staffed if a.status != ApplicationStatus.UNDER_REVIEW}
    now = timezone.now()
    Application.objects.filter(pk__in=promoted).update(
        status=ApplicationStatus.UNDER_REVIEW, attention_reason="", updated_at=now
    )
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(
            application=application,
            actor=None,
            kind=ApplicationEvent.Kind.ROUTED,
            from_status=promoted[application.pk],
            to_status=ApplicationStatus.UNDER_REVIEW,
            message=f"Assigned to reviewers at {application.system.factory.display_name}.",
            internal=False,
            extra={},
        )
        for application, _ in staffed
        if application.pk in promoted
    )
    for application, _ in staffed:
        if application.pk in promoted:
            application.status = ApplicationStatus.UNDER_REVIEW
            application.attention_reason = ""
            application.updated_at = now
    for application, result, _ in routed:
        if not result.staffed:
            _flag_needs_attention(
                application, reason=result.reason, factory=application.system.factory
            )
    sent_ids = [n.pk for n in notifications]
    transaction.on_commit(lambda: [_enqueue("send_notification", pk) for pk in sent_ids])
    return records


def _flag_needs_attention(application: Application, *, reason: str, factory) -> None:
    from_status = application.status
    if can_transition(from_status, ApplicationStatus.NEEDS_ATTENTION):
        application.status = ApplicationStatus.NEEDS_ATTENTION
    application.attention_reason = reason
    application.save(update_fields=["status", "attention_reason", "updated_at"])
    _event(
        application, actor=None, kind=ApplicationEvent.Kind.NEEDS_ATTENTION,
        from_status=from_status, message="The AI Factory's staff are finding reviewers.",
    )  # fmt: skip
    _event(
        application, actor=None, kind=ApplicationEvent.Kind.NEEDS_ATTENTION,
        from_status=application.status, message=reason, internal=True,
    )  # fmt: skip
    runs = application.routing_records.count()
    for recipient in _recipients(staff=True, approvers_of=factory.pk):
        notification_queue(
            key=f"attention:{application.pk}:{runs}:{recipient.email}",
            recipient=recipient.email,
            recipient_name=recipient.name,
            template="needs_attention",
            context={
                "application": application, "reason": reason, "factory": factory,
                "for_staff": recipient.staff, "for_approver": recipient.approver,
            },
            application=application,
        )  # fmt: skip


def application_flag_routing_failure(*, application_id: int, error: str) -> None:
    """A routing task gave up after its retries: make it visible, never drop it silently."""
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("system__factory")
            .filter(pk=application_id, status=ApplicationStatus.SUBMITTED)
            .first()
        )
        if application is not None:
            _flag_needs_attention(
                application, reason=f"Routing failed: {error}", factory=application.system.factory
            )


def applications_sweep(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Re-enqueue what a lost message left behind: unrouted applications and unsent emails
    older than `older_than` (default: SWEEP_GRACE_SECONDS, time for the first message)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    cutoff = timezone.now() - older_than
    app_ids = list(
        Application.objects.filter(
            status=ApplicationStatus.SUBMITTED, submitted_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in app_ids:
        _enqueue("route_application", pk)
    mail_ids = list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in mail_ids:
        _enqueue("send_notification", pk)
    return {"applications": len(app_ids), "notifications": len(mail_ids)}


# --- Assignments and reviews ---------------------------------------------------------------


def _own_open_assignment(assignment_id: int, reviewer) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("application__access_mode", "application__system__factory")
        .filter(pk=assignment_id, reviewer=reviewer)
        .first()
    )
    if assignment is None:
        raise Assignment.DoesNotExist
    if not assignment.is_open:
        raise ValidationError(f"This assignment is {assignment.get_status_display().lower()}.")
    # Reviewers already found may work while staff look for the missing ones (needs attention).
    if assignment.application.status not in (
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.NEEDS_ATTENTION,
    ):
        raise ValidationError("The application is no longer under review.")
    return assignment


@transaction.atomic
def assignment_accept(*, assignment: Assignment, reviewer) -> Assignment:
    assignment = _own_open_assignment(assignment.pk, reviewer)
    if assignment.status == Assignment.Status.PENDING:
        assignment.status = Assignment.Status.ACCEPTED
        assignment.responded_at = timezone.now()
        assignment.save(update_fields=["status", "responded_at", "updated_at"])
    return assignment


@transaction.atomic
def assignment_decline(
    *, assignment: Assignment, reviewer, reason: str, conflict_of_interest: bool = False
) -> Assignment:
    """Decline; for a conflict of interest the conflict is recorded and the application is
    routed again to someone else (after commit)."""
    if not reason.strip():
        raise ValidationError({"reason": ["Say why you decline."]})
    assignment = _own_open_assignment(assignment.pk, reviewer)
    assignment.status = Assignment.Status.DECLINED
    assignment.decline_reason = reason.strip()[:300]
    assignment.declined_for_conflict = conflict_of_interest
    assignment.responded_at = timezone.now()
    assignment.save()
    application = assignment.application
    if conflict_of_interest and application.organisation_id:
        ConflictOfInterest.objects.get_or_create(
            reviewer=reviewer, organisation_id=application.organisation_id,
            defaults={"reason": reason.strip()[:300]},
        )  # fmt: skip
    _event(
        application, actor=reviewer, kind=ApplicationEvent.Kind.ROUTED,
        from_status=application.status, internal=True,
        message=(
            f"{reviewer.email} declined the {assignment.kind} review: "
            f"{assignment.decline_reason}"
        ),
    )  # fmt: skip
    transaction.on_commit(lambda: _enqueue("route_application", application.pk, "decline"))
    return assignment


REVIEW_FIELDS = [
    *Review.CRITERIA,
    *(f"{c}_note" for c in Review.CRITERIA),
    "comment_for_applicant", "internal_note", "recommendation", "recommended_gpu_hours",
]  # fmt: skip


@transaction.atomic
def review_record(*, assignment: Assignment, reviewer, **values: Any) -> Review:
    """Record a review (accepting the assignment if needed). Tells approvers when all are in."""
    assignment = _own_open_assignment(assignment.pk, reviewer)
    application = assignment.application
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({f: ["Unknown field."] for f in sorted(unknown)})
    review = Review(assignment=assignment, **values)
    requested = application.gpu_hours or 0
    if review.recommendation == Review.Recommendation.APPROVE_FEWER:
        if not review.recommended_gpu_hours:
            raise ValidationError(
                {"recommended_gpu_hours": ["Say how many GPU-hours you recommend."]}
            )
        if review.recommended_gpu_hours >= requested:
            raise ValidationError(
                {"recommended_gpu_hours": [f"Recommend fewer than the {requested:,} requested."]}
            )
    elif review.recommended_gpu_hours and review.recommended_gpu_hours > requested:
        raise ValidationError(
            {"recommended_gpu_hours": [f"At most the {requested:,} GPU-hours requested."]}
        )
    review.full_clean()
    review.save()
    assignment.status = Assignment.Status.DONE
    assignment.responded_at = assignment.responded_at or timezone.now()
    assignment.save(update_fields=["status", "responded_at", "updated_at"])
    _event(
        application, actor=reviewer, kind=ApplicationEvent.Kind.REVIEWED,
        from_status=application.status, message="A review was received.",
    )  # fmt: skip
    if review_selectors.reviews_complete(application):
        for recipient in _recipients(approvers_of=application.system.factory_id):
            notification_queue(
                key=f"ready:{application.pk}:{recipient.email}",
                recipient=recipient.email,
                recipient_name=recipient.name,
                template="ready_for_decision",
                context={"application": application},
                application=application,
            )
    return review


# --- Decisions and allocations -------------------------------------------------------------


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    import calendar

    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def system_remaining_gpu_hours(*, system: System, year: int) -> int | None:
    """What is left to award on `system` in `year`; None when capacity is not published."""
    if system.allocatable_gpu_hours_per_year is None:
        return None
    allocated = (
        Allocation.objects.filter(system=system, period_year=year).aggregate(s=Sum("gpu_hours"))[
            "s"
        ]
        or 0
    )
    return system.allocatable_gpu_hours_per_year - allocated


def application_decide(
    *, application: Application, approver, outcome: str, gpu_hours: int | None, comment: str
) -> Decision:
    """The site approver approves (creating an Allocation) or rejects.

    The capacity check and the allocation happen in one transaction holding a lock on the
    system's row, so concurrent approvals on one system are serialised and can never award more
    than the system has left for the period.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("access_mode", "system__factory", "applicant")
            .get(pk=application.pk)
        )
        if not review_selectors.is_site_approver(approver, application.system.factory_id):
            raise Application.DoesNotExist
        errors: dict[str, list[str]] = {}
        if application.status != ApplicationStatus.UNDER_REVIEW:
            raise ValidationError(
                f"This application is {application.get_status_display().lower()}: it cannot be "
                "decided now."
            )
        if not review_selectors.reviews_complete(application):
            raise ValidationError("The reviews this access mode needs are not all in yet.")
        if not (comment or "").strip():
            errors["comment"] = ["Give the reasons for the decision."]
        if outcome not in Decision.Outcome.values:
            errors["outcome"] = ["Choose approve or reject."]
        allocation = None
        if outcome == Decision.Outcome.APPROVE:
            system = System.objects.select_for_update().get(pk=application.system_id)
            requested = application.gpu_hours or 0
            year = application.start_date.year
            remaining = system_remaining_gpu_hours(system=system, year=year)
            if not gpu_hours or gpu_hours <= 0:
                errors["gpu_hours"] = ["Award more than 0 GPU-hours."]
            elif gpu_hours > requested:
                errors["gpu_hours"] = [f"At most the {requested:,} GPU-hours requested."]
            elif remaining is None:
                errors["gpu_hours"] = [
                    f"The capacity of {system.name} is not published yet: an admin must set its "
                    "allocatable GPU-hours per year first."
                ]
            elif gpu_hours > remaining:
                errors["gpu_hours"] = [
                    f"Only {max(remaining, 0):,} GPU-hours are left on {system.name} for {year}."
                ]
            if not errors:
                start = application.start_date
                allocation = Allocation(
                    application=application, system=system, gpu_hours=gpu_hours, start=start,
                    end=_add_months(start, application.duration_months), period_year=year,
                )  # fmt: skip
        if errors:
            raise ValidationError(errors)
        decision = Decision.objects.create(
            application=application, approver=approver, outcome=outcome,
            gpu_hours=gpu_hours if allocation else None, comment=comment.strip(),
        )  # fmt: skip
        if allocation is not None:
            allocation.full_clean()
            allocation.save()
        from_status = application.status
        application.status = (
            ApplicationStatus.APPROVED if allocation else ApplicationStatus.REJECTED
        )
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_at", "updated_at"])
        _event(
            application, actor=approver,
            kind=ApplicationEvent.Kind.APPROVED if allocation else ApplicationEvent.Kind.REJECTED,
            from_status=from_status,
            message=(
                f"Approved: {gpu_hours:,} GPU-hours on {application.system.name}."
                if allocation else "Not approved."
            ),
        )  # fmt: skip
        notification_queue(
            key=f"decision:{application.pk}",
            recipient=application.applicant.email,
            recipient_name=application.applicant.get_full_name(),
            template="decision",
            context={"application": application, "decision": decision, "allocation": allocation},
            application=application,
        )
    return decision


# --- Deadlines -----------------------------------------------------------------------------


def deadlines_check(*, today: date | None = None) -> dict[str, int]:
    """Remind reviewers one working day before an assignment is due, and escalate overdue
    applications to the site approvers and admins. Each email is sent once (unique keys)."""
    today = today or timezone.localdate()
    soon = add_working_days(today, 1)
    reminders = 0
    with transaction.atomic():
        due = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(status__in=Assignment.OPEN, due_by__lte=soon, reminder_sent_at__isnull=True)
            .select_related("reviewer", "application")
        )
        for assignment in due:
            notification_queue(
                key=f"reminder:{assignment.pk}",
                recipient=assignment.reviewer.email,
                recipient_name=assignment.reviewer.get_full_name(),
                template="assignment_reminder",
                context={"assignment": assignment, "application": assignment.application},
                application=assignment.application,
            )
            assignment.reminder_sent_at = timezone.now()
            assignment.save(update_fields=["reminder_sent_at"])
            reminders += 1
        escalations = 0
        for application in review_selectors.applications_overdue(today=today):
            recipients = _recipients(staff=True, approvers_of=application.system.factory_id)
            for recipient in recipients:
                key = f"overdue:{application.pk}:{recipient.email}"
                before = Notification.objects.filter(key=key).exists()
                notification_queue(
                    key=key,
                    recipient=recipient.email,
                    recipient_name=recipient.name,
                    template="overdue",
                    context={
                        "application": application,
                        "for_staff": recipient.staff,
                        "for_approver": recipient.approver,
                    },
                    application=application,
                )
                escalations += not before
    return {"reminders": reminders, "escalations": escalations}
