"""Applicant pages: dashboard, the multi-step application form, the timeline, the letter."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseFormSet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from applications import call_form, call_form_services, rules, services, uploads
from applications import selectors as applications_selectors
from applications.call_form_forms import (
    ExcludedReviewerFormSet,
    MilestoneFormSet,
    ResourceLineFormSet,
    formset_rows,
)
from applications.display import NEXT_STEP_TEXT, NO_VALUE, OTHER_BADGE, STATUS_BADGE, STATUS_LABELS
from applications.filters import ApplicationFilter
from applications.forms import (
    FIELD_STEP,
    STEP_NAMES,
    STEPS,
    ApplicationStartForm,
    StepForm,
    TeamMemberFormSet,
)
from applications.models import Application, untitled_format
from organisations import selectors as organisations_selectors
from organisations.models import Membership, OrganisationType
from portal.forms import add_service_errors
from portal.http import AuthenticatedHttpRequest
from portal.lists import filtered_page, grouped, html_rows, row_url, short_date
from reviews import selectors as reviews_selectors


def _safe_next(request: HttpRequest) -> str | None:
    """The `next` parameter when it stays on this site (never an open redirect)."""
    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


ORG_TYPE_LABELS: dict[str, Any] = dict(OrganisationType.choices)  # lazy labels
REPRESENTATIVE = Membership.Role.REPRESENTATIVE


# One row of the dashboard (portal.lists.html_rows: built here, not with a template tag a cell).
DASHBOARD_ROW = (
    '<tr><th scope="row"><a href="{url}">{title}</a>{for_organisation}</th>'
    '<td class="small">{where}</td><td>{gpu_hours}</td>'
    '<td><span class="badge {badge}">{status}</span></td>'
    '<td class="small">{next_step}</td><td>{decision_by}</td></tr>'
)
FOR_ORGANISATION = '<div class="small text-body-secondary">{}</div>'


def _dashboard_rows(rows: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    """What each row of the dashboard shows, computed once here: per-row template logic is
    what makes a list slow."""
    untitled = untitled_format()
    # Translators: under an application's title in a list: the organisation it is for.
    for_organisation = gettext("for %(organisation)s")
    statuses, next_steps = STATUS_LABELS.current(), NEXT_STEP_TEXT.current()
    shown = []
    for row in rows:
        pk, status = row["id"], row["status"]
        own = row["applicant_id"] == user_id
        if status == Application.Status.DRAFT and own:
            url = row_url("applications:application-edit", pk, STEP_NAMES[0])
        else:
            url = row_url("applications:application-detail", pk)
        where = row["mode_name"] or NO_VALUE
        if row["system_name"]:
            factory = row["factory_short_name"] or row["factory_name"]
            where = f"{where} · {row['system_name']} ({factory})"
        organisation = "" if own else row["organisation_name"] or ""
        shown.append(
            {
                "url": url,
                "title": row["title"] or untitled % {"number": pk},
                "for_organisation": format_html(
                    FOR_ORGANISATION, for_organisation % {"organisation": organisation}
                )
                if organisation
                else "",
                "where": where,
                "gpu_hours": grouped(row["gpu_hours"]),
                "status": statuses[status],
                "badge": STATUS_BADGE.get(status, OTHER_BADGE),
                "next_step": next_steps[status],
                "decision_by": short_date(row["expected_decision_by"]),
            }
        )
    return shown


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The applications the user follows, 25 a page, filtered as the API filters them: three
    queries (their organisations, the count, the page)."""
    memberships = organisations_selectors.membership_rows_for_user(user=request.user)
    represented = [m["organisation_id"] for m in memberships if m["role"] == REPRESENTATIVE]
    rows = applications_selectors.application_rows_for_applicant(
        user=request.user, represented=represented
    )
    filters, page = filtered_page(request, ApplicationFilter, rows)
    shown = _dashboard_rows(list(page.object_list), request.user.pk)
    for membership in memberships:
        membership["org_type"] = ORG_TYPE_LABELS.get(membership["org_type"], membership["org_type"])
        membership["country"] = countries.name(membership["country"])
    return render(
        request,
        "applications/dashboard.html",
        {
            "page": page,
            "rows": html_rows(DASHBOARD_ROW, shown),
            "filters": filters,
            "organisations": memberships,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET (an "Apply" link, `?mode=…&system=…` by slug): a page to start a draft with them;
    POST: a new draft with the mode and system given (those that exist), then step 1."""
    start = ApplicationStartForm(request.POST if request.method == "POST" else request.GET)
    start.is_valid()  # an unknown slug is named on the page and left out of the draft
    if request.method == "GET":
        return render(request, "applications/application_new.html", {"start": start})
    application = services.application_create(applicant=request.user, **start.prefill())
    return redirect("applications:application-edit", pk=application.pk, step=STEP_NAMES[0])


def _step_url(application: Application, step: str) -> str:
    return reverse("applications:application-edit", kwargs={"pk": application.pk, "step": step})


@login_required
def application_edit(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
    if step not in STEP_NAMES:
        raise Http404
    if not application.is_editable:
        messages.info(request, gettext("Only drafts can be edited."))
        return redirect(application)
    index = STEP_NAMES.index(step)
    context = {
        "application": application,
        "steps": [(name, label) for name, label, _ in STEPS],
        "step": step,
        "step_index": index,
    }
    if step == "review":
        problems = rules.submission_errors(application, user=request.user)
        context["problems"] = [
            (field, FIELD_STEP.get(field, "review"), msgs) for field, msgs in problems.items()
        ]
        context["team_members"] = application.team_members.all()
        context["attachments"] = application.attachments.all()
        context["excluded_reviewers"] = application.excluded_reviewers.all()
        return render(request, "applications/application_review.html", context)

    form_class = STEPS[index][2]
    assert form_class is not None  # only the review step, answered above, has no form
    # The form gets its own copy: a bound ModelForm writes into its instance while validating.
    instance = Application.objects.get(pk=application.pk)
    form = form_class(
        request.POST or None, request.FILES or None, instance=instance, user=request.user
    )
    formsets = _formsets(step, application, request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and all(formset.is_valid() for formset in formsets.values())
    ):
        try:
            _save_step(request, application, form, formsets)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            go = request.POST.get("go", "next")
            if go == "back" and index > 0:
                return redirect(_step_url(application, STEP_NAMES[index - 1]))
            if go == "stay":
                messages.success(request, gettext("Saved."))
                return redirect(_step_url(application, step))
            return redirect(_step_url(application, STEP_NAMES[index + 1]))
    context.update(
        form=form,
        team=formsets.get("team"),
        formsets=formsets,
        attachments=application.attachments.all(),
    )
    if step == "resources":
        context.update(_hours_context(application))
    return render(request, "applications/application_step.html", context)


_LINE_FIELDS = (
    "partition", "node_hours", "gpu_hours", "parallel_jobs", "gpus_per_job", "memory_gb",
    "storage_tb", "checkpoint_hours",
)  # fmt: skip


def _formsets(step: str, application: Application, data: Any) -> dict[str, BaseFormSet]:
    """The lists a step edits, bound to `data` when posted: the team (project); the resources
    per partition, once a system is chosen, and the milestones (resources); the excluded
    reviewers (data)."""
    if step == "project":
        initial = list(application.team_members.values("name", "email", "role", "affiliation"))
        return {"team": TeamMemberFormSet(data, initial=initial, prefix="team")}
    sets: dict[str, BaseFormSet] = {}

    def posted(prefix: str) -> bool:
        # A post without a list's management form (a script, an older page) leaves it alone.
        return data is None or f"{prefix}-TOTAL_FORMS" in data

    if step == "resources":
        if posted("milestones"):
            milestones = list(application.milestones.values("title", "month", "hours"))
            sets["milestones"] = MilestoneFormSet(data, initial=milestones, prefix="milestones")
        if application.system is not None and posted("lines"):
            lines = list(application.resource_lines.values(*_LINE_FIELDS))
            sets["lines"] = ResourceLineFormSet(
                data, initial=lines, prefix="lines", form_kwargs={"system": application.system}
            )
    if step == "data" and posted("excluded"):
        excluded = list(application.excluded_reviewers.values("name", "email", "reason"))
        sets["excluded"] = ExcludedReviewerFormSet(data, initial=excluded, prefix="excluded")
    return sets


def _hours_context(application: Application) -> dict[str, Any]:
    """The request and each partition line both ways, GPU-hours and node-hours."""
    lines = list(application.resource_lines.select_related("partition"))
    return {
        "request_hours": call_form.request_hours(application),
        "line_hours": [(line, call_form.line_hours(line, application.system)) for line in lines],
    }


@transaction.atomic
def _save_step(
    request: AuthenticatedHttpRequest,
    application: Application,
    form: StepForm,
    formsets: dict[str, BaseFormSet],
) -> None:
    """One step is saved whole or not at all (fields, its lists, attachment)."""
    values = {f: form.cleaned_data[f] for f in form._meta.fields or () if f in form.cleaned_data}
    services.application_update(application=application, actor=request.user, **values)
    actor = request.user
    if "team" in formsets:
        members = [m for m in formset_rows(formsets["team"]) if m.get("email")]
        services.team_members_set(application=application, actor=actor, members=members)
    if "lines" in formsets:
        lines = formset_rows(formsets["lines"])
        call_form_services.resource_lines_set(application=application, actor=actor, lines=lines)
    if "milestones" in formsets:
        rows = formset_rows(formsets["milestones"])
        call_form_services.milestones_set(application=application, actor=actor, milestones=rows)
    if "excluded" in formsets:
        rows = formset_rows(formsets["excluded"])
        call_form_services.excluded_reviewers_set(
            application=application, actor=actor, reviewers=rows
        )
    upload = form.cleaned_data.get("attachment") if "attachment" in form.fields else None
    if upload:
        services.attachment_add(application=application, actor=request.user, upload=upload)


@login_required
@require_POST
def application_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
    try:
        services.application_submit(application=application, actor=request.user)
    except ValidationError:
        messages.error(
            request, gettext("The application cannot be submitted yet: see the problems below.")
        )
        return redirect(_step_url(application, "review"))
    messages.success(request, gettext("Your application was submitted."))
    return redirect(application)


@login_required
@require_POST
def application_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
    try:
        services.application_withdraw(application=application, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, gettext("Your application was withdrawn."))
    return redirect(application)


@login_required
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = applications_selectors.application_get_for_applicant(user=request.user, pk=pk)
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "decision": getattr(application, "decision", None),
            "reviews": reviews_selectors.reviews_for_applicant(application=application),
            "events": applications_selectors.application_public_events(application),
            "next_step": NEXT_STEP_TEXT[application.status],
            "is_owner": application.applicant_id == request.user.pk,
        },
    )


@login_required
def attachment_download(
    request: AuthenticatedHttpRequest, pk: int, attachment_id: int
) -> FileResponse:
    application = applications_selectors.application_get_for_applicant(user=request.user, pk=pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return uploads.attachment_response(attachment)


@login_required
@require_POST
def attachment_delete(
    request: AuthenticatedHttpRequest, pk: int, attachment_id: int
) -> HttpResponse:
    application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    try:
        services.attachment_remove(attachment=attachment, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_step_url(application, "data"))


@login_required
def decision_letter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A print-ready decision letter, for the applicant (and the site's reviewers)."""
    from reviews import selectors as review_selectors

    try:
        application = applications_selectors.application_get_for_applicant(user=request.user, pk=pk)
    except Http404:
        application = review_selectors.application_get_for_reviewer(user=request.user, pk=pk)
    decision = getattr(application, "decision", None)
    if decision is None:
        raise Http404
    allocation = getattr(application, "allocation", None)
    return render(
        request,
        "applications/decision_letter.html",
        {"application": application, "decision": decision, "allocation": allocation},
    )
