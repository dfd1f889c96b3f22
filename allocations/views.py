"""Allocation pages: one allocation (its holders, its site, staff), its letter, its moves,
change requests and reports; the site's missing reports; the capacity page."""

from __future__ import annotations

import io
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from allocations import selectors, services
from allocations.forms import (
    ChangeDecisionForm,
    ChangeRequestForm,
    MoveForm,
    ReportBlockOverrideForm,
    ReportForm,
)
from allocations.letters import letter_pdf
from allocations.models import Allocation, Report
from allocations.services import changes as change_services
from allocations.services import reports as report_services
from allocations.usage_page import usage_context
from applications.models import OPEN_STATUSES, Application
from factories.models import System
from portal import permissions
from portal.decorators import approver_or_staff_required
from portal.forms import add_service_errors
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


# --- One allocation ------------------------------------------------------------------------------


def _next_step(allocation: Allocation, reports: list[Report], *, holder: bool) -> str:
    """What to do next, in one sentence, for the holder or for the site."""
    today = timezone.localdate()
    due = next((r for r in reports if not r.is_submitted), None)
    report = (
        gettext("The %(kind)s is due by %(date)s.")
        % {"kind": due.get_kind_display().lower(), "date": date_format(due.due_on, "j F Y")}
        if due
        else ""
    )
    status = allocation.status
    if status == Allocation.Status.AWARDED:
        if holder:
            return gettext("The site sets up your project: the allocation becomes active then.")
        return gettext("Set the project up at the site, then activate the allocation.")
    if status == Allocation.Status.ACTIVE:
        days = (allocation.end - today).days
        left = ngettext(
            "%(hours)s GPU-hours left, until %(date)s (%(days)s day).",
            "%(hours)s GPU-hours left, until %(date)s (%(days)s days).",
            days,
        ) % {
            "hours": number_format(allocation.left_gpu_hours, 0, force_grouping=True),
            "date": date_format(allocation.end, "j F Y"),
            "days": days,
        }
        return f"{left} {report}".strip()
    if status == Allocation.Status.SUSPENDED:
        if holder:
            suspended = gettext("Suspended: the site will tell you what is needed to resume it.")
        else:
            suspended = gettext("Suspended: resume it, or close it early.")
        return f"{suspended} {report}".strip()
    if due:
        return report
    return gettext("Nothing left to do: every report is in.")


def allocation_page(
    request: AuthenticatedHttpRequest,
    allocation: Allocation,
    *,
    change_form: ChangeRequestForm | None = None,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The allocation's page, with `change_form` or the reclaim forms in `bound` posted with
    errors (then `status` 400)."""
    holder = selectors.allocation_is_held_by(request.user, allocation)
    manager = selectors.allocation_may_manage(request.user, allocation)
    reports = list(allocation.reports.all())
    changes = selectors.change_requests_for(allocation)
    if holder and allocation.is_live and change_form is None:
        change_form = ChangeRequestForm()
    context = {
        "allocation": allocation,
        "application": allocation.application,
        "conditions": selectors.allocation_conditions(allocation),
        "reports": reports,
        "changes": changes,
        "is_holder": holder,
        "may_manage": manager,
        "next_step": _next_step(allocation, reports, holder=holder),
        "change_form": change_form if holder and allocation.is_live else None,
        "move_form": MoveForm() if manager and allocation.is_live else None,
        "decision_form": ChangeDecisionForm() if manager else None,
        "today": timezone.localdate(),
        **usage_context(allocation, holder=holder, manager=manager, bound=bound),
    }
    return render(request, "allocations/detail.html", context, status=status)


@login_required
@require_GET
def allocation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allocation of application `pk`: award, used and left, dates, conditions, reports,
    change requests, the timeline's next step; the site's approver moves it from here."""
    allocation = selectors.allocation_get_for_user(user=request.user, application_pk=pk)
    return allocation_page(request, allocation)


@login_required
@require_GET
def allocation_letter(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The decision letter as a PDF: for the applicant and their organisation's representatives
    only (everybody else, staff and the site included, gets a 404)."""
    allocation = selectors.allocation_get_for_holder(user=request.user, application_pk=pk)
    response = FileResponse(
        io.BytesIO(letter_pdf(allocation)),
        as_attachment=True,
        filename=f"{allocation.reference}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def allocation_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The site's approver activates, suspends, resumes or closes the allocation early."""
    allocation = selectors.allocation_get_for_manager(user=request.user, application_pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a change and give its reason."))
        return redirect("allocations:detail", pk=pk)
    moves: dict[str, Callable[..., Allocation]] = {
        "activate": services.allocation_activate,
        "suspend": services.allocation_suspend,
        "resume": services.allocation_resume,
        "close": services.allocation_close,
    }
    move = moves[form.cleaned_data["move"]]
    try:
        allocation = move(allocation, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            gettext("The allocation is %(status)s.")
            % {"status": allocation.get_status_display().lower()},
        )
    return redirect("allocations:detail", pk=pk)


@login_required
@require_POST
def change_request_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The holder asks for an extension, more GPU-hours or a team change."""
    allocation = selectors.allocation_get_for_holder(user=request.user, application_pk=pk)
    form = ChangeRequestForm(request.POST)
    if form.is_valid():
        try:
            change_services.change_request_create(
                allocation, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Your request was sent to the site."))
            return redirect("allocations:detail", pk=pk)
    return allocation_page(request, allocation, change_form=form, status=400)


@login_required
@require_POST
def change_request_decide(
    request: AuthenticatedHttpRequest, pk: int, change_id: int
) -> HttpResponse:
    """The site's approver approves or rejects a change request."""
    allocation = selectors.allocation_get_for_manager(user=request.user, application_pk=pk)
    change = selectors.change_request_get(allocation=allocation, pk=change_id)
    form = ChangeDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose approve or reject and give the reasons."))
        return redirect("allocations:detail", pk=pk)
    try:
        change = change_services.change_request_decide(
            change, approver=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            gettext("The request is %(status)s.") % {"status": change.get_status_display().lower()},
        )
    return redirect("allocations:detail", pk=pk)


@login_required
def report_detail(request: AuthenticatedHttpRequest, pk: int, report_id: int) -> HttpResponse:
    """A report: its holders write and hand it in; the site reads it."""
    allocation = selectors.allocation_get_for_user(user=request.user, application_pk=pk)
    report = selectors.report_get(allocation=allocation, pk=report_id)
    holder = selectors.allocation_is_held_by(request.user, allocation)
    if request.method == "POST" and not holder:
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = ReportForm(data) if holder and not report.is_submitted else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            report_services.report_submit(report, user=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("Your %(kind)s is in.") % {"kind": report.get_kind_display().lower()},
            )
            return redirect("allocations:detail", pk=pk)
    elif request.method == "POST" and form is None:
        messages.error(request, gettext("This report was handed in already."))
        return redirect("allocations:detail", pk=pk)
    context = {"allocation": allocation, "report": report, "form": form}
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "allocations/report.html", context, status=status)


# --- The site's reports --------------------------------------------------------------------------


@approver_or_staff_required
def reports_missing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports not handed in at the user's sites (all for staff), overdue first; staff
    lift an organisation's block here."""
    form = None
    if request.user.is_staff:
        form = ReportBlockOverrideForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            report_services.report_block_override(actor=request.user, **form.cleaned_data)
            messages.success(
                request, gettext("The block is lifted: the organisation may apply again.")
            )
            return redirect("allocations:reports")
    elif request.method == "POST":
        raise PermissionDenied(gettext("Only the portal's staff lift a report block."))
    reports = selectors.reports_missing_for_user(user=request.user)
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    context = {"page": page, "today": timezone.localdate(), "override_form": form}
    return render(
        request,
        "allocations/reports.html",
        context,
        status=400 if form is not None and form.is_bound else 200,
    )
