from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from . import services


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """Show the personal API token; POST creates a new one (the old one stops working)."""
    if request.method == "POST":
        services.api_token_rotate(user=request.user)
        messages.success(request, "A new API token was created; the previous one no longer works.")
        return redirect("accounts:api-token")
    token = services.api_token_get(user=request.user)
    return render(request, "accounts/api_token.html", {"token": token})
