from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.http import AuthenticatedHttpRequest

from . import services
from .forms import ProfileForm


@login_required
def api_token(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the personal API token; POST creates a new one (the old one stops working)."""
    if request.method == "POST":
        services.api_token_rotate(user=request.user)
        messages.success(
            request, _("A new API token was created; the previous one no longer works.")
        )
        return redirect("accounts:api-token")
    token = services.api_token_get(user=request.user)
    return render(request, "accounts/api_token.html", {"token": token})


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in user's names (nobody else's: there is no user in the URL or the form)."""
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your name was saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
