"""The capacity page: per system, capacity against allocated and pending."""

from __future__ import annotations

from django.db.models import F, Q, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from applications.models import OPEN_STATUSES, Application
from factories.models import System
from portal import permissions
from portal.decorators import approver_or_staff_required
from portal.http import AuthenticatedHttpRequest


@approver_or_staff_required
def capacity(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per factory and system: capacity vs allocated vs pending requests for this year."""
    factory_ids = permissions.approver_factory_ids(request.user)
    year = timezone.localdate().year
    systems = System.objects.select_related("factory").filter(kind=System.Kind.SUPERCOMPUTER)
    if not request.user.is_staff:
        systems = systems.filter(factory_id__in=factory_ids)
    systems = systems.annotate(
        allocated=Sum(
            F("allocations__gpu_hours")
            + F("allocations__extra_gpu_hours")
            - F("allocations__reclaimed_gpu_hours"),
            filter=Q(allocations__period_year=year),
        ),
    )
    pending = dict(
        Application.objects.filter(status__in=OPEN_STATUSES, start_date__year=year)
        .values_list("system_id")
        .annotate(total=Sum("gpu_hours"))
    )
    rows = []
    for system in systems:
        allocated = system.allocated or 0
        cap = system.allocatable_gpu_hours_per_year
        scale = max(cap or 0, allocated + pending.get(system.pk, 0), 1)
        rows.append(
            {
                "system": system,
                "capacity": cap,
                "allocated": allocated,
                "pending": pending.get(system.pk, 0),
                "cap_w": round(400 * (cap or 0) / scale, 1),
                "alloc_w": round(400 * allocated / scale, 1),
                "pend_w": round(400 * pending.get(system.pk, 0) / scale, 1),
            }
        )
    return render(request, "allocations/capacity.html", {"rows": rows, "year": year})
