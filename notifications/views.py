"""Email preferences (signed in) and the unsubscribe link of every optional email (no sign-in:
the signed token in the link is the proof)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from notifications import selectors, services
from notifications.forms import PreferencesForm, field_name
from notifications.kinds import DIGEST, KINDS, SECURITY_EMAILS
from portal import permissions
from portal.http import AuthenticatedHttpRequest
from portal.languages import set_language_cookie


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    preference = selectors.preference_for(user=user)
    digest = user.is_staff or permissions.has_site_role(user)
    form = PreferencesForm(request.POST or None, preference=preference, digest=digest)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_update(
                user=user,
                turned_off=form.turned_off(),
                daily_digest=form.cleaned_data.get("daily_digest", preference.daily_digest),
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(field_name(key) if key in KINDS else key, errors)
        else:
            # The language chosen here is the pages' language too: the cookie follows it
            # (none: the browser's Accept-Language decides again).
            language = form.cleaned_data["language"]
            with translation.override(language or translation.get_language()):
                messages.success(request, _("Your email preferences were saved."))
            response = redirect("notifications:preferences")
            if language:
                set_language_cookie(response, language)
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "security_emails": SECURITY_EMAILS},
    )


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponse:
    """GET: a confirmation page with one button; POST (that button, CSRF-checked like every
    form outside the API): turn that kind of email off. A bad link is a 400."""
    token = request.GET.get("t", "")
    found = selectors.unsubscribe_read(token) if token else None
    if found is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    email, kind = found
    label = _("The daily digest") if kind == DIGEST else KINDS[kind].label
    context = {"email": email, "label": label, "token": token, "digest": kind == DIGEST}
    if request.method == "POST":
        if services.notification_unsubscribe(email=email, kind=kind) is None:
            return render(request, "notifications/unsubscribe_invalid.html", status=400)
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)
