"""Reads of applications and who may see what. Views and APIs never build their own filter.

An applicant sees their own applications and those of organisations they represent (read-only
for a representative). Anybody else gets a 404, never a 403: they cannot learn it exists.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import AccessMode, Application, ApplicationEvent, Membership, Organisation


def _visible_to_applicant(user) -> Q:
    # The organisations are read first (a query of their own) and put in as a list: with a
    # subquery, "applicant OR organisation IN (subquery)" makes PostgreSQL scan every application
    # (5 ms at 1,000 rows, growing with the table); with a list it combines the two indexes.
    represented = list(
        Membership.objects.filter(user=user, role=Membership.Role.REPRESENTATIVE).values_list(
            "organisation_id", flat=True
        )
    )
    if not represented:
        return Q(applicant=user)
    return Q(applicant=user) | Q(organisation_id__in=represented)


def application_list_for_applicant(*, user) -> QuerySet[Application]:
    """The applications `user` may follow, newest first, with what lists show: two queries (the
    organisations they represent, then the applications)."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(_visible_to_applicant(user))
        .select_related("organisation", "access_mode", "system__factory")
        .order_by("-updated_at", "-pk")
    )


def application_get_for_applicant(*, user, pk: int) -> Application:
    """One application with its timeline (applicant-facing events only), team and attachments."""
    queryset = (
        application_list_for_applicant(user=user)
        .select_related("decision", "allocation__system", "cutoff")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.filter(internal=False).select_related("actor"),
                to_attr="public_events",
            ),
            "team_members",
            "attachments",
        )
    )
    return get_object_or_404(queryset, pk=pk)


def application_get_for_owner(*, user, pk: int) -> Application:
    """An application `user` may change: only its applicant. Others get a 404."""
    if not user.is_authenticated:
        return get_object_or_404(Application.objects.none(), pk=pk)
    return get_object_or_404(
        Application.objects.select_related("organisation", "access_mode", "system__factory"),
        pk=pk,
        applicant=user,
    )


def reviews_for_applicant(*, application: Application) -> list[dict]:
    """What the applicant sees of the reviews: scores and the comment for them, never the
    internal note; the reviewer's name only when the access mode says so."""
    from .models import Review

    if application.status not in (Application.Status.APPROVED, Application.Status.REJECTED):
        return []
    reviews = Review.objects.filter(assignment__application=application).select_related(
        "assignment__reviewer"
    )
    show_names = application.access_mode.reviewer_identities_visible
    return [
        {
            "kind": review.assignment.get_kind_display(),
            "reviewer": str(review.assignment.reviewer) if show_names else None,
            "scores": review.scores,
            "comment": review.comment_for_applicant,
        }
        for review in reviews.order_by("assignment__kind", "pk")
    ]


def organisation_list_for_user(*, user) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("legal_name")


def access_mode_list() -> QuerySet[AccessMode]:
    return (
        AccessMode.objects.filter(is_active=True)
        .prefetch_related("cutoffs", "systems__factory")
        .order_by("pk")
    )
