"""Reads of applications and who may see what on the applicant's side. Views and APIs never
build their own filter.

An applicant sees their own applications and those of organisations they represent; anybody
else gets a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from applications.models import AccessMode, Application, ApplicationEvent
from organisations.models import Organisation
from portal.permissions import visible_to_applicant
from portal.querysets import built_once, looked_up

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def application_list_for_applicant(*, user: User | AnonymousUser) -> QuerySet[Application]:
    """The applications `user` may follow, newest first, with what lists show: two queries (the
    organisations they represent, then the applications)."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(visible_to_applicant(user))
        .select_related("organisation", "access_mode", "system__factory")
        .order_by("-updated_at", "-pk")
    )


def application_list_for_applicant_api(*, user: User | AnonymousUser) -> QuerySet[Application]:
    """The applicant's list as the API lists it: only the columns its rows show (the related
    rows are wide: texts, JSON)."""
    if not user.is_authenticated:
        return Application.objects.none()
    return _api_list().filter(visible_to_applicant(user))


@built_once
def _api_list() -> QuerySet[Application]:
    return (
        Application.objects.select_related("access_mode", "system")
        .only(
            "id", "status", "organisation_id", "access_mode__slug", "system__slug", "title",
            "gpu_hours", "start_date", "duration_months", "submitted_at",
            "expected_decision_by", "updated_at",
        )
        .order_by("-updated_at", "-pk")
    )  # fmt: skip


def application_rows_for_applicant(
    *, user: User | AnonymousUser, represented: list[int] | None = None
) -> QuerySet:
    """The applicant's list as rows (dicts) of the columns it shows, newest first: one query
    (`represented`: the ids of the organisations they represent, when already read)."""
    if not user.is_authenticated:
        return Application.objects.none().values()
    return _applicant_rows().filter(visible_to_applicant(user, represented))


@built_once
def _applicant_rows() -> QuerySet:
    return Application.objects.order_by("-updated_at", "-pk").values(
        "id",
        "title",
        "status",
        "applicant_id",
        "gpu_hours",
        "expected_decision_by",
        organisation_name=looked_up(Organisation, "legal_name", by="organisation_id"),
        mode_name=F("access_mode__short_name"),
        system_name=F("system__name"),
        factory_short_name=F("system__factory__short_name"),
        factory_name=F("system__factory__name"),
    )


def application_get_for_applicant(*, user: User | AnonymousUser, pk: int) -> Application:
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


def application_public_events(application: Application) -> list[ApplicationEvent]:
    """The applicant-facing timeline, oldest first: prefetched by `application_get_for_applicant`,
    else read (one query)."""
    events: list[ApplicationEvent] | None = getattr(application, "public_events", None)
    if events is None:
        events = list(application.events.filter(internal=False).select_related("actor"))
    return events


def application_get_for_owner(*, user: User | AnonymousUser, pk: int) -> Application:
    """An application `user` may change: only its applicant. Others get a 404."""
    if not user.is_authenticated:
        return get_object_or_404(Application.objects.none(), pk=pk)
    return get_object_or_404(
        Application.objects.select_related("organisation", "access_mode", "system__factory"),
        pk=pk,
        applicant=user,
    )


def access_mode_list() -> QuerySet[AccessMode]:
    return (
        AccessMode.objects.filter(is_active=True)
        .prefetch_related("cutoffs", "systems__factory")
        .order_by("pk")
    )
