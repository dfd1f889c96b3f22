"""The reviewer's desk, reviews, the site's applications, the approver's decision, statistics."""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_POST

from allocations import selectors as allocations_selectors
from applications import uploads
from applications.display import NO_VALUE, OTHER_BADGE, STATUS_BADGE, STATUS_LABELS, PerLanguage
from applications.filters import ApplicationFilter
from applications.models import OPEN_STATUSES, Application, ApplicationStatus, untitled_format
from factories.models import AIFactory
from portal import permissions
from portal.decorators import approver_or_staff_required, approver_required, reviewer_required
from portal.forms import add_service_errors
from portal.http import AuthenticatedHttpRequest
from portal.lists import filtered_page, grouped, html_rows, row_url, short_date
from portal.workdays import working_days_between
from reviews import selectors as reviews_selectors
from reviews.filters import AssignmentFilter
from reviews.forms import DecisionForm, DeclineForm, ReviewForm
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from reviews.services import decisions as decision_services

# Translated once per language, not once per row (the lists are speed-critical).
ASSIGNMENT_STATUS_LABELS = PerLanguage(lambda: dict(Assignment.Status.choices))
ASSIGNMENT_KIND_LABELS = PerLanguage(lambda: dict(Assignment.Kind.choices))


def _overdue() -> SafeString:
    return format_html(OVERDUE, pgettext("badge of a row in a list", "overdue"))


# The rows of the desk and of the site's list (portal.lists.html_rows).
DESK_ROW = (
    '<tr><th scope="row">{title}<div class="small text-body-secondary">{organisation}</div></th>'
    "<td>{site}</td><td>{mode}</td><td>{kind}</td><td>{status}</td><td>{due}{overdue}</td></tr>"
)
SITE_ROW = (
    '<tr><th scope="row"><a href="{url}">{title}</a>'
    '<div class="small text-body-secondary">{organisation}</div></th>'
    "<td>{system}</td><td>{mode}</td><td>{gpu_hours}</td>"
    '<td><span class="badge {badge}">{status}</span></td><td>{due}{overdue}</td></tr>'
)
LINK = '<a href="{}">{}</a>'
OVERDUE = ' <span class="badge text-bg-danger">{}</span>'


def _desk_rows(rows: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """What each row of the desk shows, computed once here."""
    untitled, overdue = untitled_format(), _overdue()
    kinds, statuses = ASSIGNMENT_KIND_LABELS.current(), ASSIGNMENT_STATUS_LABELS.current()
    shown = []
    for row in rows:
        status, due = row["status"], row["due_by"]
        title = row["title"] or untitled % {"number": row["application_id"]}
        shown.append(
            {
                "title": title
                if status == Assignment.Status.DECLINED
                else format_html(LINK, row_url("review:assignment-detail", row["id"]), title),
                "organisation": row["organisation_name"] or "",
                "site": row["factory_short_name"] or row["factory_name"] or NO_VALUE,
                "mode": row["mode_name"] or NO_VALUE,
                "kind": kinds.get(row["kind"], row["kind"]),
                "status": statuses.get(status, status),
                "due": short_date(due),
                "overdue": overdue if due and due < today and status in Assignment.OPEN else "",
            }
        )
    return shown


@reviewer_required
def desk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A reviewer's assignments, soonest due first, 25 a page: the open ones unless the filter
    says otherwise (the API filters alike)."""
    rows = reviews_selectors.assignment_rows_for_reviewer(user=request.user)
    filters, page = filtered_page(request, AssignmentFilter, rows, defaults={"status": "open"})
    today = timezone.localdate()
    shown = _desk_rows(list(page.object_list), today)
    return render(
        request,
        "reviews/desk.html",
        {
            "page": page,
            "rows": html_rows(DESK_ROW, shown),
            "filters": filters,
            "is_site_approver": permissions.is_an_approver(request.user),
        },
    )


def _site_rows(rows: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """What each row of the site's list shows, computed once here."""
    untitled, overdue, statuses = untitled_format(), _overdue(), STATUS_LABELS.current()
    shown = []
    for row in rows:
        status, due = row["status"], row["expected_decision_by"]
        shown.append(
            {
                "url": row_url("review:site-application", row["id"]),
                "title": row["title"] or untitled % {"number": row["id"]},
                "organisation": row["organisation_name"] or "",
                "system": row["system_name"] or NO_VALUE,
                "mode": row["mode_name"] or NO_VALUE,
                "gpu_hours": grouped(row["gpu_hours"]),
                "status": statuses[status],
                "badge": STATUS_BADGE.get(status, OTHER_BADGE),
                "due": short_date(due),
                "overdue": overdue if due and due < today and status in OPEN_STATUSES else "",
            }
        )
    return shown


@approver_required
def site_applications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An approver's landing page: the applications at the sites they approve for, the
    undecided ones (`Open`) unless the filter says otherwise, decision due soonest first."""
    rows = reviews_selectors.application_rows_for_site(
        factory_ids=permissions.approver_factory_ids(request.user)
    )
    filters, page = filtered_page(request, ApplicationFilter, rows, defaults={"status": "open"})
    today = timezone.localdate()
    shown = _site_rows(list(page.object_list), today)
    return render(
        request,
        "reviews/site_applications.html",
        {"page": page, "rows": html_rows(SITE_ROW, shown), "filters": filters},
    )


@login_required
def assignment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = reviews_selectors.assignment_get_for_reviewer(user=request.user, pk=pk)
    application = reviews_selectors.application_get_for_reviewer(
        user=request.user, pk=assignment.application_id
    )
    review_form = ReviewForm(request.POST or None) if assignment.is_open else None
    decline_form = DeclineForm(prefix="decline") if assignment.is_open else None
    if request.method == "POST" and review_form is not None and review_form.is_valid():
        try:
            assignment_services.review_record(
                assignment=assignment, reviewer=request.user, **review_form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(review_form, exc)
        else:
            messages.success(request, gettext("Your review was recorded. Thank you."))
            return redirect("review:desk")
    return render(
        request,
        "reviews/assignment.html",
        {
            "assignment": assignment,
            "application": application,
            "review_form": review_form,
            "decline_form": decline_form,
        },
    )


@login_required
@require_POST
def assignment_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = reviews_selectors.assignment_get_for_reviewer(user=request.user, pk=pk)
    try:
        assignment_services.assignment_accept(assignment=assignment, reviewer=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("review:assignment-detail", pk=pk)


@login_required
@require_POST
def assignment_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = reviews_selectors.assignment_get_for_reviewer(user=request.user, pk=pk)
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            assignment_services.assignment_decline(
                assignment=assignment,
                reviewer=request.user,
                reason=form.cleaned_data["reason"],
                conflict_of_interest=form.cleaned_data["conflict_of_interest"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, gettext("You declined the assignment."))
            return redirect("review:desk")
    else:
        messages.error(request, gettext("Say why you decline."))
    return redirect("review:assignment-detail", pk=pk)


@login_required
def site_application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The application as reviewers and approvers see it, with reviews, routing and decision."""
    application = reviews_selectors.application_get_for_reviewer(user=request.user, pk=pk)
    is_approver = permissions.may_decide(request.user, application)
    if request.method == "POST" and not is_approver:
        raise Http404  # only the site's approvers decide, as in the API
    form = None
    if is_approver and application.status == ApplicationStatus.UNDER_REVIEW:
        form = DecisionForm(request.POST or None, initial={"gpu_hours": application.gpu_hours})
        if request.method == "POST" and form.is_valid():
            try:
                decision_services.application_decide(
                    application=application, approver=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, gettext("The decision was recorded and the applicant told.")
                )
                return redirect("review:site-application", pk=pk)
    remaining = None
    if is_approver and application.system and application.start_date:
        remaining = allocations_selectors.system_remaining_gpu_hours(
            system=application.system, year=application.start_date.year
        )
    return render(
        request,
        "reviews/application.html",
        {
            "application": application,
            "is_approver": is_approver,
            "decision_form": form,
            "reviews_complete": reviews_selectors.reviews_complete(application),
            "remaining": remaining,
            "routing_records": application.routing_records.all() if is_approver else [],
        },
    )


@login_required
def site_attachment_download(
    request: AuthenticatedHttpRequest, pk: int, attachment_id: int
) -> FileResponse:
    application = reviews_selectors.application_get_for_reviewer(user=request.user, pk=pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return uploads.attachment_response(attachment)


@approver_or_staff_required
def staff_stats(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per factory: open applications, overdue ones, the median working days (of the factory's
    country) to decision. Staff see every factory, an approver the sites they approve for."""
    today = timezone.localdate()
    factories = AIFactory.objects.all()
    if not request.user.is_staff:
        factories = factories.filter(pk__in=permissions.approver_factory_ids(request.user))
    factories = factories.annotate(
        open_count=Count(
            "systems__applications",
            filter=Q(systems__applications__status__in=OPEN_STATUSES),
        ),
        overdue_count=Count(
            "systems__applications",
            filter=Q(systems__applications__status__in=OPEN_STATUSES,
                     systems__applications__expected_decision_by__lt=today),
        ),
    ).order_by("wave", "name")  # fmt: skip
    listed = list(factories)
    durations = _working_days_to_decision({f.pk: f.country.code for f in listed})
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
        for f in listed
    ]
    return render(request, "reviews/stats.html", {"rows": rows})


def _working_days_to_decision(countries: dict[int, str]) -> dict[int, list[int]]:
    """Per factory id of `countries`, the working days of its country from submission to
    decision (local dates) of each decided application. One query: applications submitted
    and decided on the same days come as one row with their count."""
    decided = (
        Application.objects.filter(
            system__factory__in=list(countries), decided_at__isnull=False,
            submitted_at__isnull=False,
        )
        .values("system__factory_id", submitted=TruncDate("submitted_at"),
                decided=TruncDate("decided_at"))
        .annotate(count=Count("pk"))
        .order_by()
    )  # fmt: skip
    durations: dict[int, list[int]] = {}
    for row in decided:
        factory_id = row["system__factory_id"]
        days = working_days_between(row["submitted"], row["decided"], country=countries[factory_id])
        durations.setdefault(factory_id, []).extend([days] * row["count"])
    return durations
