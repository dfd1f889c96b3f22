"""The page that describes a new organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from organisations import services
from organisations.forms import OrganisationForm
from portal.forms import add_service_errors
from portal.http import AuthenticatedHttpRequest


def _safe_next(request: HttpRequest) -> str | None:
    """The `next` parameter when it stays on this site (never an open redirect)."""
    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
def organisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(organisation)s was created; you represent it.")
                % {"organisation": organisation.legal_name},
            )
            return redirect(_safe_next(request) or reverse("applications:dashboard"))
    return render(request, "organisations/organisation_form.html", {"form": form})
