"""Reads for reviewers and approvers, and who may see what on the review side.

A reviewer sees the applications assigned to them (unless they declined); a site approver sees
every application at their site; anybody else gets a 404."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from applications.models import OPEN_STATUSES, Application, ApplicationEvent, ApplicationStatus
from factories.models import System
from organisations.models import Membership, Organisation
from portal.permissions import visible_to_reviewer
from portal.querysets import built_once, looked_up
from reviews.models import Assignment, ConflictOfInterest, SiteRole
from reviews.routing import Candidate

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _candidate_rows(*, factory_id: int) -> QuerySet:
    return (
        SiteRole.objects.filter(
            factory_id=factory_id,
            is_active=True,
            role__in=[SiteRole.Role.TECHNICAL, SiteRole.Role.SCIENTIFIC],
            user__is_active=True,
        )
        # A correlated count per reviewer uses the (reviewer, status) index; a join would read
        # and group every assignment the reviewers ever had.
        .annotate(
            open_count=Coalesce(
                Subquery(
                    Assignment.objects.filter(
                        reviewer_id=OuterRef("user_id"), status__in=Assignment.OPEN
                    )
                    .order_by()
                    .values("reviewer_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )
        )
        .order_by("user_id", "role")
        .values("user_id", "user__email", "role", "expertise", "max_open_assignments", "open_count")
    )


def routing_candidates(*, factory_id: int) -> list[Candidate]:
    """The site's active reviewers with their load, organisations and declared conflicts."""
    roles = list(_candidate_rows(factory_id=factory_id))
    user_ids = {r["user_id"] for r in roles}
    orgs: dict[int, set[int]] = {}
    conflicts: dict[int, set[int]] = {}
    if user_ids:
        for user_id, org_id in Membership.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "organisation_id"
        ):
            orgs.setdefault(user_id, set()).add(org_id)
        for user_id, org_id in ConflictOfInterest.objects.filter(
            reviewer_id__in=user_ids
        ).values_list("reviewer_id", "organisation_id"):
            conflicts.setdefault(user_id, set()).add(org_id)
    return [
        Candidate(
            user_id=r["user_id"],
            email=r["user__email"],
            kind=r["role"],
            expertise=frozenset(r["expertise"] or []),
            open_assignments=r["open_count"],
            max_open_assignments=r["max_open_assignments"],
            organisation_ids=frozenset(orgs.get(r["user_id"], ())),
            conflict_organisation_ids=frozenset(conflicts.get(r["user_id"], ())),
        )
        for r in roles
    ]


def reviews_complete(application: Application) -> bool:
    mode = application.access_mode
    if mode is None:  # a draft withdrawn before it had one: no review was ever asked for
        return False
    done = dict(
        application.assignments.filter(status=Assignment.Status.DONE)
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return (
        done.get("technical", 0) >= mode.technical_reviews
        and done.get("scientific", 0) >= mode.scientific_reviews
    )


def applications_overdue(*, today: date) -> QuerySet[Application]:
    return Application.objects.filter(
        status__in=OPEN_STATUSES, expected_decision_by__lt=today
    ).select_related("system__factory")


def application_list_for_reviewer(
    *, user: User | AnonymousUser, approver_sites: list[int] | None = None
) -> QuerySet[Application]:
    """Applications on a reviewer's or approver's desk (drafts never appear). `approver_sites`:
    the user's `approver_factory_ids`, when the caller has read them already."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.exclude(status=ApplicationStatus.DRAFT)
        .filter(visible_to_reviewer(user, approver_sites))
        .select_related("access_mode", "system__factory", "organisation", "applicant")
    )


def application_get_for_reviewer(*, user: User | AnonymousUser, pk: int) -> Application:
    queryset = application_list_for_reviewer(user=user).prefetch_related(
        "attachments",
        "team_members",
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("reviewer", "review").order_by("pk"),
        ),
        Prefetch(
            "events",
            queryset=ApplicationEvent.objects.select_related("actor"),
            to_attr="all_events",
        ),
        "routing_records",
    )
    return get_object_or_404(queryset, pk=pk)


def assignment_list_for_reviewer(*, user: User | AnonymousUser) -> QuerySet[Assignment]:
    """The reviewer's own assignments, soonest due first, with what the desk shows."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(reviewer=user)
        .select_related(
            "application__access_mode", "application__system__factory",
            "application__organisation",
        )
        .order_by("due_by", "pk")
    )  # fmt: skip


def assignment_list_for_reviewer_api(*, user: User | AnonymousUser) -> QuerySet[Assignment]:
    """The reviewer's assignments as the API lists them: only the columns its rows show."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    return _reviewer_api_list().filter(reviewer=user)


@built_once
def _reviewer_api_list() -> QuerySet[Assignment]:
    return (
        Assignment.objects.select_related(
            "application__access_mode", "application__system__factory"
        )
        .only(
            "id", "application_id", "kind", "status", "due_by", "decline_reason", "created_at",
            "application__title", "application__gpu_hours", "application__access_mode__slug",
            "application__system__slug", "application__system__factory__slug",
        )
        .order_by("due_by", "pk")
    )  # fmt: skip


def assignment_rows_for_reviewer(*, user: User | AnonymousUser) -> QuerySet:
    """The reviewer's desk as rows (dicts) of the columns it shows, soonest due first."""
    if not user.is_authenticated:
        return Assignment.objects.none().values()
    return _reviewer_rows().filter(reviewer_id=user.pk)


@built_once
def _reviewer_rows() -> QuerySet:
    return Assignment.objects.order_by("due_by", "pk").values(
        "id",
        "status",
        "kind",
        "due_by",
        "application_id",
        title=F("application__title"),
        organisation_name=looked_up(Organisation, "legal_name", by="application__organisation_id"),
        mode_name=F("application__access_mode__short_name"),
        factory_short_name=F("application__system__factory__short_name"),
        factory_name=F("application__system__factory__name"),
    )


def application_rows_for_site(*, factory_ids: list[int]) -> QuerySet:
    """The submitted applications at the sites `factory_ids` (an approver's), as rows (dicts) of
    the columns the site's list shows, decision due soonest first. The sites' systems are
    matched by id (a semi-join on the system index), never "assigned to me or at my site": an
    OR across tables reads every application."""
    return _site_rows().filter(system__in=System.objects.filter(factory_id__in=factory_ids))


@built_once
def _site_rows() -> QuerySet:
    return (
        Application.objects.exclude(status=ApplicationStatus.DRAFT)
        .order_by("expected_decision_by", "pk")
        .values(
            "id",
            "title",
            "status",
            "gpu_hours",
            "expected_decision_by",
            organisation_name=looked_up(Organisation, "legal_name", by="organisation_id"),
            mode_name=F("access_mode__short_name"),
            system_name=F("system__name"),
        )
    )


def assignment_get_for_reviewer(*, user: User | AnonymousUser, pk: int) -> Assignment:
    return get_object_or_404(assignment_list_for_reviewer(user=user), pk=pk)


class ApplicantReview(TypedDict):
    """A review as the applicant sees it."""

    kind: str
    reviewer: str | None  # only when the access mode shows reviewers' names
    scores: list[tuple[str, int, str]]  # (criterion, score, justification)
    comment: str


def reviews_for_applicant(*, application: Application) -> list[ApplicantReview]:
    """What the applicant sees of the reviews: scores and the comment for them, never the
    internal note; the reviewer's name only when the access mode says so."""
    from reviews.models import Review

    if application.status not in (Application.Status.APPROVED, Application.Status.REJECTED):
        return []
    reviews = Review.objects.filter(assignment__application=application).select_related(
        "assignment__reviewer"
    )
    show_names = application.submitted_access_mode.reviewer_identities_visible
    return [
        {
            "kind": review.assignment.get_kind_display(),
            "reviewer": str(review.assignment.reviewer) if show_names else None,
            "scores": review.scores,
            "comment": review.comment_for_applicant,
        }
        for review in reviews.order_by("assignment__kind", "pk")
    ]
