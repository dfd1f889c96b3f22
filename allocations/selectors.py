"""Reads of allocations and who may see what: the allocation pages (its holders: the applicant
and their organisation's representatives; its site's approvers; staff), the capacity ledger
(what is allocated and what is left, per system and year), the reports owed, and the block an
overdue final report puts on an organisation's new applications."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from allocations.models import (
    LEDGER_GPU_HOURS,
    Allocation,
    ChangeRequest,
    ReclaimNotice,
    Report,
    ReportBlockOverride,
    ReportPolicy,
)
from applications.models import AccessMode, Application
from factories.models import System
from portal.permissions import approver_factory_ids, is_site_approver, visible_to_applicant

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def allocation_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Allocation]:
    """Allocations the user may see: their own applications', their sites', or all for staff."""
    if not user.is_authenticated:
        return Allocation.objects.none()
    queryset = Allocation.objects.select_related("system__factory", "application")
    if user.is_staff:
        return queryset
    own = Application.objects.filter(visible_to_applicant(user)).values("pk")
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
        .annotate(total=Sum(LEDGER_GPU_HOURS))
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


def system_remaining_gpu_hours(*, system: System, year: int) -> int | None:
    """What is left to award on `system` in `year`; None when capacity is not published."""
    if system.allocatable_gpu_hours_per_year is None:
        return None
    allocated = (
        Allocation.objects.filter(system=system, period_year=year).aggregate(
            s=Sum(LEDGER_GPU_HOURS)
        )["s"]
        or 0
    )
    return system.allocatable_gpu_hours_per_year - allocated


def report_policy(access_mode: AccessMode | None) -> tuple[int, int]:
    """(final report days after the end, progress report months) of a mode: its ReportPolicy
    row, else the defaults in settings."""
    policy = ReportPolicy.objects.filter(access_mode=access_mode).first() if access_mode else None
    if policy is not None:
        return policy.final_report_days, policy.progress_report_months
    return settings.ALLOCATION_FINAL_REPORT_DAYS, settings.ALLOCATION_PROGRESS_REPORT_MONTHS


# --- One allocation, by its application's number -------------------------------------------------

ALLOCATION_PAGE_RELATED = (
    "system__factory",
    "application__applicant",
    "application__organisation",
    "application__access_mode",
    "application__decision__approver",
)


def allocation_get_for_user(*, user: User | AnonymousUser, application_pk: int) -> Allocation:
    """The allocation of application `application_pk` if `user` may see it (its holders, its
    site's approvers, staff); a 404 otherwise."""
    queryset = allocation_list_for_user(user=user).select_related(*ALLOCATION_PAGE_RELATED)
    return get_object_or_404(queryset, application_id=application_pk)


def allocation_get_for_holder(*, user: User | AnonymousUser, application_pk: int) -> Allocation:
    """The allocation if `user` holds it: the applicant or a representative of the
    organisation (the letter, change requests, reports). Everybody else, staff and the site
    included, gets a 404."""
    if not user.is_authenticated or not 0 < application_pk < 2**63:  # no such row: a 404
        raise Http404(gettext("No allocation you hold."))
    own = Application.objects.filter(visible_to_applicant(user)).values("pk")
    queryset = Allocation.objects.select_related(*ALLOCATION_PAGE_RELATED)
    return get_object_or_404(queryset, application_id=application_pk, application_id__in=own)


def allocation_get_for_manager(*, user: User | AnonymousUser, application_pk: int) -> Allocation:
    """The allocation if `user` manages it (an approver of its site); a 404 for everybody
    else."""
    allocation = allocation_get_for_user(user=user, application_pk=application_pk)
    if not allocation_may_manage(user, allocation):
        raise Http404(gettext("No allocation you manage."))
    return allocation


def allocation_may_manage(user: User | AnonymousUser, allocation: Allocation) -> bool:
    """Moves the allocation (activate, suspend, resume, close) and decides its change requests:
    an active approver of its site (staff see it, as they see decisions, but do not decide)."""
    if not user.is_authenticated:
        return False
    return is_site_approver(user, allocation.system.factory_id)


def allocation_is_held_by(user: User | AnonymousUser, allocation: Allocation) -> bool:
    if not user.is_authenticated:
        return False
    return Application.objects.filter(
        visible_to_applicant(user), pk=allocation.application_id
    ).exists()


def allocation_conditions(allocation: Allocation) -> list[str]:
    """The conditions of the award, as the letter and the page list them: the standard ones,
    then the award's own (one a line)."""
    final_days, every_months = report_policy(allocation.application.access_mode)
    factory = allocation.system.factory
    months = (allocation.end.year - allocation.start.year) * 12 + (
        allocation.end.month - allocation.start.month
    )
    system, site = allocation.system.name, factory.display_name
    if months > every_months:
        reports = ngettext(
            "Hand in a final report within %(days)s days of the end of the allocation, and a "
            "progress report every %(months)s months from its start. An overdue final report "
            "blocks your organisation's new applications to %(site)s until it is in.",
            "Hand in a final report within %(days)s days of the end of the allocation, and a "
            "progress report every %(months)s months from its start. An overdue final report "
            "blocks your organisation's new applications to %(site)s until it is in.",
            every_months,
        ) % {"days": final_days, "months": every_months, "site": site}
    else:
        reports = ngettext(
            "Hand in a final report within %(days)s day of the end of the allocation. An overdue "
            "final report blocks your organisation's new applications to %(site)s until it is in.",
            "Hand in a final report within %(days)s days of the end of the allocation. An overdue "
            "final report blocks your organisation's new applications to %(site)s until it is in.",
            final_days,
        ) % {"days": final_days, "site": site}
    own = [line.strip() for line in allocation.conditions.splitlines() if line.strip()]
    return [
        gettext(
            "Use the GPU-hours on %(system)s only for the project described in the application, "
            "by its team; changes to the team are requested through the portal."
        )
        % {"system": system},
        reports,
        gettext(
            "Acknowledge %(site)s and the EuroHPC Joint Undertaking in publications and results "
            "obtained with this allocation."
        )
        % {"site": site},
        gettext(
            "GPU-hours not used by the end date are not carried over; ask for an extension before "
            "it if you need one."
        ),
        *own,
    ]


def change_requests_for(allocation: Allocation) -> list[ChangeRequest]:
    return list(allocation.change_requests.select_related("requested_by", "decided_by"))


def change_request_get(*, allocation: Allocation, pk: int) -> ChangeRequest:
    return get_object_or_404(
        ChangeRequest.objects.select_related("allocation"), pk=pk, allocation=allocation
    )


def report_get(*, allocation: Allocation, pk: int) -> Report:
    return get_object_or_404(
        Report.objects.select_related("allocation"), pk=pk, allocation=allocation
    )


# --- Reports owed --------------------------------------------------------------------------------


def reports_missing_for_user(
    *, user: User | AnonymousUser, today: datetime.date | None = None
) -> QuerySet[Report]:
    """The reports not handed in at the sites `user` approves for (every site for staff), due
    soonest first: overdue ones first."""
    queryset = Report.objects.filter(submitted_at__isnull=True).select_related(
        "allocation__application__organisation", "allocation__system__factory"
    )
    if not user.is_authenticated:
        return queryset.none()
    if not user.is_staff:
        queryset = queryset.filter(allocation__system__factory_id__in=approver_factory_ids(user))
    return queryset.order_by("due_on", "pk")


def overdue_final_reports(
    *, organisation_id: int, factory_id: int, today: datetime.date
) -> QuerySet[Report]:
    """The final reports of `organisation_id`'s allocations at `factory_id` past their due date
    and not handed in, but those staff lifted the block of (an override made after the report
    fell due)."""
    lifted = ReportBlockOverride.objects.filter(
        organisation_id=organisation_id,
        factory_id=factory_id,
        created_at__date__gt=OuterRef("due_on"),
    )
    return (
        Report.objects.filter(
            kind=Report.Kind.FINAL,
            submitted_at__isnull=True,
            due_on__lt=today,
            allocation__application__organisation_id=organisation_id,
            allocation__system__factory_id=factory_id,
        )
        .exclude(Exists(lifted))
        .select_related("allocation__application")
    )


def report_block_message(*, organisation_id: int, factory_id: int, today: datetime.date) -> str:
    """Why `organisation_id` may not apply to `factory_id` now (an overdue final report), or ""."""
    overdue = list(
        overdue_final_reports(organisation_id=organisation_id, factory_id=factory_id, today=today)[
            :3
        ]
    )
    if not overdue:
        return ""
    which = ", ".join(
        gettext("%(reference)s (due %(date)s)")
        % {"reference": report.allocation.reference, "date": date_format(report.due_on, "j F Y")}
        for report in overdue
    )
    return gettext(
        "The final report of %(which)s is overdue: hand it in on the allocation's page before "
        "applying to this AI Factory again."
    ) % {"which": which}


# --- Reclaim notices -----------------------------------------------------------------------------


def reclaim_notices_for(allocation: Allocation) -> list[ReclaimNotice]:
    return list(
        allocation.reclaim_notices.select_related(
            "created_by", "answered_by", "allocation__application"
        )
    )


def reclaim_notice_get(*, allocation: Allocation, pk: int) -> ReclaimNotice:
    return get_object_or_404(
        ReclaimNotice.objects.select_related("allocation"), pk=pk, allocation=allocation
    )
