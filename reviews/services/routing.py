"""Routing: which site and which reviewers, recorded with its reasons; the sweep of lost work."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ExcludedReviewer,
    TeamMember,
)
from applications.services import application_transition, applications_transition, event_record
from factories.models import AIFactory
from notifications import tasks as notification_tasks
from notifications.models import Notification
from notifications.services import (
    notification_build,
    notification_queue,
    notification_recipients,
    user_names,
)
from portal.tasks import enqueue
from reviews import routing
from reviews import selectors as review_selectors
from reviews import tasks as review_tasks
from reviews.models import Assignment, RoutingRecord, SiteRole
from reviews.services.deadlines import review_due_by

logger = logging.getLogger(__name__)
ROUTABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.NEEDS_ATTENTION,
    ApplicationStatus.UNDER_REVIEW,
)
# Runs that start on their own (submission, the sweep, a decline). They never re-route an
# application already flagged "needs attention": it waits for staff to re-route it, and a
# redelivered message must not alert them again.
AUTOMATIC_TRIGGERS = ("submit", "decline")


# --- Routing -------------------------------------------------------------------------------------


def _needs(application: Application, assignments: list[tuple[int, str, str]]) -> dict[str, int]:
    """Reviewers still missing per kind, given (reviewer_id, kind, status) of the assignments."""
    mode = application.submitted_access_mode
    wanted = {"technical": mode.technical_reviews, "scientific": mode.scientific_reviews}
    for _reviewer_id, kind, status in assignments:
        # Declined, or closed by a move to another site: that review is still needed.
        if status not in (Assignment.Status.DECLINED, Assignment.Status.CLOSED):
            wanted[kind] -= 1
    return {kind: max(n, 0) for kind, n in wanted.items()}


def _facts(
    application: Application,
    assignments: list[tuple[int, str, str]],
    team_emails: set[str],
    needs: dict[str, int],
    excluded_emails: set[str],
) -> routing.ApplicationFacts:
    return routing.ApplicationFacts(
        application_id=application.pk,
        factory_id=application.submitted_system.factory_id,
        organisation_id=application.organisation_id,
        ai_domain=application.ai_domain,
        applicant_user_id=application.applicant_id,
        applicant_email=application.applicant.email,
        team_emails=frozenset(team_emails),
        needs=needs,
        excluded_user_ids=frozenset(reviewer_id for reviewer_id, _, _ in assignments),
        applicant_excluded_emails=frozenset(e.lower() for e in excluded_emails),
    )


def _record(
    application: Application, factory: AIFactory, result: routing.RoutingResult, trigger: str
) -> RoutingRecord:
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


def _lock_reviewer_loads(factory_ids: set[int]) -> None:
    """Hold, until the caller's transaction ends, the site roles of every reviewer at these
    sites (and their roles at other sites: a load counts every open assignment). Another worker
    routing at one of these sites waits here, then reads the loads this transaction wrote, so
    that nobody is ever assigned beyond their `max_open_assignments`. The loads are read by a
    later statement, which sees what was committed while it waited; rows are locked in id order,
    so two workers never deadlock. (SQLite runs one writing transaction at a time anyway.)"""
    reviewers = SiteRole.objects.filter(
        factory_id__in=factory_ids, role__in=[SiteRole.Role.TECHNICAL, SiteRole.Role.SCIENTIFIC]
    ).values("user_id")
    list(
        SiteRole.objects.select_for_update()
        .filter(user_id__in=reviewers)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _route_batch(applications: list[Application], *, trigger: str) -> list[RoutingRecord]:
    """Route locked, routable applications with bulk writes: a batch of submitted ones (see
    applications_route_waiting) or one (application_route). Those missing no reviewer are left
    as they are."""
    ids = [a.pk for a in applications]
    _lock_reviewer_loads({a.submitted_system.factory_id for a in applications})
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
    # The reviewers each applicant asked to exclude (the call form): never assigned.
    excluded: dict[int, set[str]] = {pk: set() for pk in ids}
    for app_id, email in ExcludedReviewer.objects.filter(application_id__in=ids).values_list(
        "application_id", "email"
    ):
        excluded[app_id].add(email)

    candidates: dict[int, list[routing.Candidate]] = {}
    routed: list[tuple[Application, routing.RoutingResult, RoutingRecord]] = []
    for application in applications:
        needs = _needs(application, existing[application.pk])
        if not any(needs.values()):
            continue
        factory = application.submitted_system.factory
        if factory.pk not in candidates:
            candidates[factory.pk] = review_selectors.routing_candidates(factory_id=factory.pk)
        facts = _facts(
            application,
            existing[application.pk],
            team[application.pk],
            needs,
            excluded[application.pk],
        )
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
    # The reviewers' due date leaves the approver time before the expected decision date.
    due = {
        a.pk: review_due_by(
            expected_decision_by=a.expected_decision_by,
            today=today,
            country=a.submitted_system.factory.country.code,
        )
        for a, _, _ in routed
    }
    # As one at a time: whoever was chosen is assigned, also when the site is short of reviewers
    # for the rest (the application is then flagged below).
    made = Assignment.objects.bulk_create(
        Assignment(
            application=a,
            reviewer_id=c.user_id,
            kind=c.kind,
            due_by=due[a.pk],
        )
        for a, result, _ in routed
        for c in result.chosen
    )
    emails = {(a.pk, c.user_id): c.email for a, result, _ in routed for c in result.chosen}
    names = user_names(a.reviewer_id for a in made) if made else {}
    notifications = Notification.objects.bulk_create(
        notification_build(
            key=f"assigned:{assignment.pk}",
            recipient=emails[(assignment.application_id, assignment.reviewer_id)],
            recipient_name=names.get(assignment.reviewer_id, ""),
            template="assignment_new",
            context={
                "application": assignment.application,
                "assignment": assignment,
                "factory": assignment.application.submitted_system.factory,
            },
            application=assignment.application,
        )
        for assignment in made
    )
    # Staffed: under review (an application re-routed after a decline is already).
    promoted = [
        (a, f"Assigned to reviewers at {a.submitted_system.factory.display_name}.")
        for a, _ in staffed
        if a.status != ApplicationStatus.UNDER_REVIEW
    ]
    if promoted:
        applications_transition(
            promoted,
            to_status=ApplicationStatus.UNDER_REVIEW,
            kind=ApplicationEvent.Kind.ROUTED,
            attention_reason="",
        )
    for application, result, _ in routed:
        if not result.staffed:
            _flag_needs_attention(
                application, reason=result.reason, factory=application.submitted_system.factory
            )
    sent_ids = [n.pk for n in notifications]

    def send_all() -> None:
        for pk in sent_ids:
            enqueue(notification_tasks.send_notification, pk)

    transaction.on_commit(send_all)
    return records


def _flag_needs_attention(application: Application, *, reason: str, factory: AIFactory) -> None:
    application.attention_reason = reason
    if application.status == ApplicationStatus.NEEDS_ATTENTION:  # still, with a new reason
        application.save(update_fields=["attention_reason", "updated_at"])
        event_record(
            application, actor=None, kind=ApplicationEvent.Kind.NEEDS_ATTENTION,
            from_status=application.status,
            message="The AI Factory's staff are finding reviewers.",
        )  # fmt: skip
    else:
        application_transition(
            application, to_status=ApplicationStatus.NEEDS_ATTENTION, actor=None,
            kind=ApplicationEvent.Kind.NEEDS_ATTENTION, fields=("attention_reason",),
            message="The AI Factory's staff are finding reviewers.",
        )  # fmt: skip
    event_record(
        application, actor=None, kind=ApplicationEvent.Kind.NEEDS_ATTENTION,
        from_status=application.status, message=reason, internal=True,
    )  # fmt: skip
    runs = application.routing_records.count()
    for recipient in notification_recipients(staff=True, approvers_of=factory.pk):
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
                application,
                reason=f"Routing failed: {error}",
                factory=application.submitted_system.factory,
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
        enqueue(review_tasks.route_application, pk)
    mail_ids = list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in mail_ids:
        enqueue(notification_tasks.send_notification, pk)
    return {"applications": len(app_ids), "notifications": len(mail_ids)}
