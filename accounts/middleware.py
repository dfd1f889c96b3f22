"""Staff and reviewers must set up two-factor authentication before anything else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .selectors import user_has_mfa, user_requires_mfa

# Pages a user without MFA may still reach: setting MFA up, signing out, verifying the email.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/media/")


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META:
            # Scripts authenticate with a token, which DRF reads only inside the view, before
            # the session: look it up here too, or a token would be a way around the second
            # factor (also from a browser signed in as somebody who needs none).
            user = _token_user(request) or user
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and user_requires_mfa(user)
            and not user_has_mfa(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "detail": "Staff and reviewers must set up two-factor authentication "
                        "first: sign in to the portal in a browser.",
                        "code": "mfa_required",
                    },
                    status=403,
                )
            messages.warning(
                request,
                "Staff and reviewers must set up two-factor authentication before using the "
                "portal.",
            )
            next_url = quote(request.get_full_path(), safe="/")
            return redirect(f"{reverse('mfa_activate_totp')}?next={next_url}")
        return self.get_response(request)


def _token_user(request: HttpRequest):
    """The user of a valid `Authorization: Token …` header, or None (DRF answers bad ones)."""
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None
