"""Usage pages: the reclaim of unused GPU-hours on an allocation's page (the site's notice,
the holder's answer, the site's decision) and the site's usage per system (/review/usage/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from allocations import selectors
from allocations.charts import SYSTEM_BAR_W, system_usage_rows
from allocations.forms import ReclaimAnswerForm, ReclaimDecisionForm, ReclaimNoticeForm
from allocations.services import reclaim as reclaim_services
from allocations.views import allocation_page
from factories.models import System
from portal import permissions
from portal.decorators import approver_or_staff_required
from portal.forms import add_service_errors
from portal.http import AuthenticatedHttpRequest


@login_required
@require_POST
def reclaim_notice_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The site's approver gives notice of reclaiming unused GPU-hours; a refusal is a message
    on the page (as for the allocation's other moves), with nothing saved."""
    allocation = selectors.allocation_get_for_manager(user=request.user, application_pk=pk)
    form = ReclaimNoticeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, gettext("Give the GPU-hours to reclaim (more than 0) and the reason.")
        )
        return redirect("allocations:detail", pk=pk)
    try:
        notice = reclaim_services.reclaim_notice_create(
            allocation, approver=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        until = date_format(notice.deadline, "j F Y")
        messages.success(
            request,
            gettext("The notice is sent: the holder may answer until %(until)s.")
            % {"until": until},
        )
    return redirect("allocations:detail", pk=pk)


@login_required
@require_POST
def reclaim_answer(request: AuthenticatedHttpRequest, pk: int, notice_id: int) -> HttpResponse:
    """The holder answers the site's reclaim notice."""
    allocation = selectors.allocation_get_for_holder(user=request.user, application_pk=pk)
    notice = selectors.reclaim_notice_get(allocation=allocation, pk=notice_id)
    form = ReclaimAnswerForm(request.POST)
    if form.is_valid():
        try:
            reclaim_services.reclaim_notice_answer(
                notice, user=request.user, text=form.cleaned_data["answer"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Your answer was sent to the site."))
            return redirect("allocations:detail", pk=pk)
    return allocation_page(request, allocation, bound={"reclaim_answer_form": form}, status=400)


@login_required
@require_POST
def reclaim_decide(request: AuthenticatedHttpRequest, pk: int, notice_id: int) -> HttpResponse:
    """The site's approver reclaims the GPU-hours or withdraws the notice; a refusal is a
    message on the page, with nothing saved."""
    allocation = selectors.allocation_get_for_manager(user=request.user, application_pk=pk)
    notice = selectors.reclaim_notice_get(allocation=allocation, pk=notice_id)
    form = ReclaimDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose reclaim or withdraw and give the reasons."))
        return redirect("allocations:detail", pk=pk)
    try:
        notice = reclaim_services.reclaim_decide(notice, approver=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            gettext("The notice is %(status)s.") % {"status": notice.get_status_display().lower()},
        )
    return redirect("allocations:detail", pk=pk)


@approver_or_staff_required
@require_GET
def system_usage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per system at the user's sites (every site for staff): this year's GPU-hours awarded,
    used and left."""
    year = timezone.localdate().year
    systems = System.objects.select_related("factory").filter(kind=System.Kind.SUPERCOMPUTER)
    if not request.user.is_staff:
        systems = systems.filter(factory_id__in=permissions.approver_factory_ids(request.user))
    context = {"rows": system_usage_rows(systems, year=year), "year": year, "bar_w": SYSTEM_BAR_W}
    return render(request, "allocations/usage.html", context)
