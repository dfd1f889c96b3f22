"""The reviewer's desk, reviews, the approver's decision, staff statistics and capacity."""

from __future__ import annotations

import statistics

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from factories.models import AIFactory, System
from portal.decorators import role_required

from . import review_selectors as rs
from . import review_services
from .models import Application, ApplicationStatus, Assignment
from .review_forms import DecisionForm, DeclineForm, DeskFilterForm, ReviewForm
from .views import _add_errors as _form_errors


def _reviewer(user) -> bool:
    return rs.is_reviewer(user)


def _approver_or_staff(user) -> bool:
    return user.is_staff or bool(rs.approver_factory_ids(user))


reviewer_required = role_required(
    _reviewer, "The review desk is for reviewers and approvers of an AI Factory."
)
approver_required = role_required(
    lambda user: bool(rs.approver_factory_ids(user)),
    "This page is for the site approvers of an AI Factory.",
)
approver_or_staff_required = role_required(
    _approver_or_staff, "This page is for the site approvers of an AI Factory and for staff."
)


def _site_applications(request: HttpRequest, data: dict, today) -> list[Application]:
    approver_sites = rs.approver_factory_ids(request.user)
    if not approver_sites:
        return []
    site_applications = rs.application_list_for_reviewer(
        user=request.user, approver_sites=approver_sites
    ).filter(system__factory_id__in=approver_sites)
    if data.get("mode"):
        site_applications = site_applications.filter(access_mode__slug=data["mode"])
    if data.get("overdue"):
        site_applications = site_applications.filter(
            expected_decision_by__lt=today, status__in=rs.OPEN_STATUSES
        )
    return list(site_applications.order_by("expected_decision_by", "pk"))


@reviewer_required
def desk(request: HttpRequest) -> HttpResponse:
    """A reviewer's assignments, soonest due first; an approver's site applications."""
    filters = DeskFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    today = timezone.localdate()
    assignments = rs.assignment_list_for_reviewer(user=request.user)
    status = data.get("status") or ""
    if status == "":
        assignments = assignments.filter(status__in=Assignment.OPEN)
    elif status != "all":
        assignments = assignments.filter(status=status)
    if data.get("mode"):
        assignments = assignments.filter(application__access_mode__slug=data["mode"])
    if data.get("overdue"):
        assignments = assignments.filter(due_by__lt=today, status__in=Assignment.OPEN)
    return render(
        request,
        "access_requests/review/desk.html",
        {
            "assignments": list(assignments),
            "site_applications": _site_applications(request, data, today),
            "filters": filters,
            "today": today,
        },
    )


@approver_required
def site_applications(request: HttpRequest) -> HttpResponse:
    """An approver's landing page: the applications at the sites they approve for."""
    filters = DeskFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    today = timezone.localdate()
    return render(
        request,
        "access_requests/review/site_applications.html",
        {
            "site_applications": _site_applications(request, data, today),
            "filters": filters,
            "today": today,
        },
    )


@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
    application = rs.application_get_for_reviewer(user=request.user, pk=assignment.application_id)
    review_form = ReviewForm(request.POST or None) if assignment.is_open else None
    decline_form = DeclineForm(prefix="decline") if assignment.is_open else None
    if request.method == "POST" and review_form is not None and review_form.is_valid():
        try:
            review_services.review_record(
                assignment=assignment, reviewer=request.user, **review_form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(review_form, exc)
        else:
            messages.success(request, "Your review was recorded. Thank you.")
            return redirect("review:desk")
    return render(
        request,
        "access_requests/review/assignment.html",
        {
            "assignment": assignment,
            "application": application,
            "review_form": review_form,
            "decline_form": decline_form,
        },
    )


@login_required
@require_POST
def assignment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
    try:
        review_services.assignment_accept(assignment=assignment, reviewer=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("review:assignment-detail", pk=pk)


@login_required
@require_POST
def assignment_decline(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            review_services.assignment_decline(
                assignment=assignment,
                reviewer=request.user,
                reason=form.cleaned_data["reason"],
                conflict_of_interest=form.cleaned_data["conflict_of_interest"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "You declined the assignment.")
            return redirect("review:desk")
    else:
        messages.error(request, "Say why you decline.")
    return redirect("review:assignment-detail", pk=pk)


@login_required
def site_application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The application as reviewers and approvers see it, with reviews, routing and decision."""
    application = rs.application_get_for_reviewer(user=request.user, pk=pk)
    is_approver = rs.is_site_approver(request.user, application.system.factory_id)
    if request.method == "POST" and not is_approver:
        raise Http404  # only the site's approvers decide, as in the API
    form = None
    if is_approver and application.status == ApplicationStatus.UNDER_REVIEW:
        form = DecisionForm(request.POST or None, initial={"gpu_hours": application.gpu_hours})
        if request.method == "POST" and form.is_valid():
            try:
                review_services.application_decide(
                    application=application, approver=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "The decision was recorded and the applicant told.")
                return redirect("review:site-application", pk=pk)
    remaining = None
    if is_approver and application.start_date:
        remaining = review_services.system_remaining_gpu_hours(
            system=application.system, year=application.start_date.year
        )
    return render(
        request,
        "access_requests/review/application.html",
        {
            "application": application,
            "is_approver": is_approver,
            "decision_form": form,
            "reviews_complete": rs.reviews_complete(application),
            "remaining": remaining,
            "routing_records": application.routing_records.all() if is_approver else [],
        },
    )


@login_required
def site_attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    application = rs.application_get_for_reviewer(user=request.user, pk=pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
        content_type="application/pdf",
    )  # fmt: skip


@approver_or_staff_required
def staff_stats(request: HttpRequest) -> HttpResponse:
    """Per factory: open applications, overdue ones, median working time to decision. Staff see
    every factory, an approver the sites they approve for."""
    today = timezone.localdate()
    factories = AIFactory.objects.all()
    if not request.user.is_staff:
        factories = factories.filter(pk__in=rs.approver_factory_ids(request.user))
    factories = factories.annotate(
        open_count=Count(
            "systems__applications",
            filter=Q(systems__applications__status__in=rs.OPEN_STATUSES),
        ),
        overdue_count=Count(
            "systems__applications",
            filter=Q(systems__applications__status__in=rs.OPEN_STATUSES,
                     systems__applications__expected_decision_by__lt=today),
        ),
    ).order_by("wave", "name")  # fmt: skip
    durations: dict[int, list[float]] = {}
    decided = Application.objects.filter(decided_at__isnull=False, submitted_at__isnull=False)
    for factory_id, submitted, decided_at in decided.values_list(
        "system__factory_id", "submitted_at", "decided_at"
    ):
        durations.setdefault(factory_id, []).append(
            (decided_at - submitted).total_seconds() / 86400
        )
    rows = [
        {
            "factory": f,
            "open": f.open_count,
            "overdue": f.overdue_count,
            "median_days": round(statistics.median(durations[f.pk]), 1)
            if f.pk in durations
            else None,
            "decided": len(durations.get(f.pk, [])),
        }
        for f in factories
    ]
    return render(request, "access_requests/review/stats.html", {"rows": rows})


@approver_or_staff_required
def capacity(request: HttpRequest) -> HttpResponse:
    """Per factory and system: capacity vs allocated vs pending requests for this year."""
    factory_ids = rs.approver_factory_ids(request.user)
    year = timezone.localdate().year
    systems = System.objects.select_related("factory").filter(kind=System.Kind.SUPERCOMPUTER)
    if not request.user.is_staff:
        systems = systems.filter(factory_id__in=factory_ids)
    systems = systems.annotate(
        allocated=Sum("allocations__gpu_hours", filter=Q(allocations__period_year=year)),
    )
    pending = dict(
        Application.objects.filter(status__in=rs.OPEN_STATUSES, start_date__year=year)
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
    return render(request, "access_requests/review/capacity.html", {"rows": rows, "year": year})
