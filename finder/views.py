"""The finder's page, and the pages that move an application to another site."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications import selectors as applications_selectors
from applications.models import Application
from finder import selectors
from finder.forms import FinderForm, MoveForm
from portal.decorators import staff_required
from portal.http import AuthenticatedHttpRequest
from reviews.services import rerouting


@require_http_methods(["GET", "HEAD"])
def finder_page(request: HttpRequest) -> HttpResponse:
    """The form; with its inputs (GET, so a result can be linked), the systems ranked."""
    form = FinderForm(request.GET or None)
    results = selectors.finder_results(form.needs()) if form.is_valid() else None
    return render(request, "finder/finder.html", {"form": form, "results": results})


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_POST
def application_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The applicant accepts an alternative: the application moves there (only theirs)."""
    application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, application, _("Choose one of the systems offered."))
    try:
        rerouting.application_move(
            application=application, system=form.cleaned_data["system"], actor=request.user
        )
    except ValidationError as exc:
        return _refused(request, application, _errors(exc))
    messages.success(
        request, _("Moved to %(system)s.") % {"system": form.cleaned_data["system"].name}
    )
    return redirect(application)


def _refused(
    request: AuthenticatedHttpRequest, application: Application, reason: str
) -> HttpResponse:
    """A 400 page with the reason and the way back: nothing moved."""
    context = {"application": application, "reason": reason}
    return render(request, "finder/move_refused.html", context, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def application_propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Staff propose another system; the applicant decides on their page."""
    application = get_object_or_404(
        Application.objects.select_related("system__factory", "access_mode", "organisation"),
        pk=pk,
    )
    form = MoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rerouting.move_propose(
                application=application, system=form.cleaned_data["system"],
                actor=request.user, reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error("system", _errors(exc))
        else:
            messages.success(request, _("Proposed: the applicant is told and decides."))
            return redirect("finder:application-propose", pk=application.pk)
    context = {
        "application": application,
        "form": form,
        "alternatives": selectors.application_alternatives(application),
        "proposals": list(application.move_proposals.select_related("system__factory")),
    }
    return render(request, "finder/propose.html", context, status=400 if form.errors else 200)
