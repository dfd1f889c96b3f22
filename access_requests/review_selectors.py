"""Reads for reviewers and approvers, and who may see what on the review side.

A reviewer sees the applications assigned to them (unless they declined); a site approver sees
every application at their site. Anybody else gets a 404.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from factories.models import System

from .models import (
    Allocation,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Assignment,
    ConflictOfInterest,
    Membership,
    SiteRole,
)
from .routing import Candidate

OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.NEEDS_ATTENTION,
)


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
    done = dict(
        application.assignments.filter(status=Assignment.Status.DONE)
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return (
        done.get("technical", 0) >= mode.technical_reviews
        and done.get("scientific", 0) >= mode.scientific_reviews
    )


def is_site_approver(user, factory_id: int) -> bool:
    return SiteRole.objects.filter(
        user=user, factory_id=factory_id, role=SiteRole.Role.APPROVER, is_active=True
    ).exists()


def approver_factory_ids(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        SiteRole.objects.filter(user=user, role=SiteRole.Role.APPROVER, is_active=True).values_list(
            "factory_id", flat=True
        )
    )


def is_reviewer(user) -> bool:
    """An active role at some site."""
    from accounts.selectors import user_has_site_role

    return user_has_site_role(user)


def applications_overdue(*, today: date) -> QuerySet[Application]:
    return Application.objects.filter(
        status__in=OPEN_STATUSES, expected_decision_by__lt=today
    ).select_related("system__factory")


def _visible_to_reviewer(user, approver_sites: list[int] | None = None) -> Q:
    assigned = Assignment.objects.filter(application=OuterRef("pk"), reviewer=user).exclude(
        status=Assignment.Status.DECLINED
    )
    if approver_sites is None:
        approver_sites = approver_factory_ids(user)
    return Q(Exists(assigned)) | Q(system__factory_id__in=approver_sites)


def application_list_for_reviewer(
    *, user, approver_sites: list[int] | None = None
) -> QuerySet[Application]:
    """Applications on a reviewer's or approver's desk (drafts never appear). `approver_sites`:
    the user's `approver_factory_ids`, when the caller has read them already."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.exclude(status=ApplicationStatus.DRAFT)
        .filter(_visible_to_reviewer(user, approver_sites))
        .select_related("access_mode", "system__factory", "organisation", "applicant")
    )


def application_get_for_reviewer(*, user, pk: int) -> Application:
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


def assignment_list_for_reviewer(*, user) -> QuerySet[Assignment]:
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


def assignment_get_for_reviewer(*, user, pk: int) -> Assignment:
    return get_object_or_404(assignment_list_for_reviewer(user=user), pk=pk)


def allocation_list_for_user(*, user) -> QuerySet[Allocation]:
    """Allocations the user may see: their own applications', their sites', or all for staff."""
    if not user.is_authenticated:
        return Allocation.objects.none()
    queryset = Allocation.objects.select_related("system__factory", "application")
    if user.is_staff:
        return queryset
    from .selectors import _visible_to_applicant

    own = Application.objects.filter(_visible_to_applicant(user)).values("pk")
    return queryset.filter(
        Q(application_id__in=own) | Q(system__factory_id__in=approver_factory_ids(user))
    )


def system_allocated_gpu_hours_by_year(*, system_id: int) -> dict[int, int]:
    """The capacity ledger of one system: GPU-hours allocated per period year, for the years
    that have allocations, oldest first."""
    rows = (
        Allocation.objects.filter(system_id=system_id)
        .order_by("period_year")
        .values_list("period_year")
        .annotate(total=Sum("gpu_hours"))
    )
    return dict(rows)


def system_capacity_check(*, system_id: int, capacity: int | None) -> None:
    """Refuse a yearly capacity below what the ledger has allocated on the system in any year,
    or an empty one while allocations exist: raises ValidationError with one message per year.

    The system's row is locked (as `application_decide` locks it) for the rest of the caller's
    transaction, so that no approval lands between this check and the caller's save."""
    with transaction.atomic():
        list(System.objects.select_for_update().filter(pk=system_id).values_list("pk"))
        allocated = system_allocated_gpu_hours_by_year(system_id=system_id)
    if not allocated:
        return
    if capacity is None:
        years = "; ".join(f"{year}: {hours:,}" for year, hours in allocated.items())
        raise ValidationError(
            f"GPU-hours are already allocated on this system ({years}); the capacity cannot be "
            "emptied."
        )
    too_low = [
        f"{year}: {hours:,} GPU-hours are already allocated on this system; the capacity "
        "cannot be lower."
        for year, hours in allocated.items()
        if hours > capacity
    ]
    if too_low:
        raise ValidationError(too_low)
