"""The portal's middleware: a database outage becomes a clear 503 instead of a stack trace or a
500; staff and site staff must set up two-factor authentication before anything else."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.contrib import messages
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.selectors import user_has_mfa
from portal import permissions
from portal.auth import token_user

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = _(
    "The portal's database cannot be reached right now. Nothing was changed; "
    "please try again in a few minutes."
)


def _is_outage(exc: BaseException) -> bool:
    # OperationalError covers a refused or dropped connection; psycopg's pool raises
    # PoolTimeout, which Django wraps as OperationalError too.
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    )


def unavailable_response(request: HttpRequest) -> HttpResponse:
    # Often answered before LocaleMiddleware has run (the session's query failed): the language
    # from the cookie or Accept-Language, which needs no database.
    with translation.override(translation.get_language_from_request(request)):
        if request.path.startswith("/api/") or request.path == "/healthz":
            response: HttpResponse = JsonResponse(
                {"detail": str(UNAVAILABLE_MESSAGE), "code": "database_unavailable"}, status=503
            )
        else:
            html = render_to_string("503.html", {"message": UNAVAILABLE_MESSAGE})
            response = HttpResponse(html, status=503)
    response["Retry-After"] = "60"
    return response


def _note_outage(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Django turns an exception raised by a middleware (the session or token lookup of a
    signed-in user) into a 500 response before it reaches this middleware; mark the request
    when that exception was an outage, so that the 500 becomes a 503."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and _is_outage(exc):
        request._database_outage = exc  # type: ignore[attr-defined]  # a marker: stubs list Django's own


got_request_exception.connect(_note_outage, dispatch_uid="portal.middleware.note_outage")


def database_outage(request: HttpRequest) -> bool:
    """Whether serving `request` already failed for want of the database."""
    return getattr(request, "_database_outage", None) is not None


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except Exception as exc:
            if _is_outage(exc):
                logger.error("Database unavailable while serving %s: %s", request.path, exc)
                return unavailable_response(request)
            raise
        outage = getattr(request, "_database_outage", None)
        if outage is not None and response.status_code == 500:
            logger.error("Database unavailable while serving %s: %s", request.path, outage)
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if _is_outage(exception):
            logger.error("Database unavailable while serving %s: %s", request.path, exception)
            return unavailable_response(request)
        return None


# Pages a user without MFA may still reach: setting MFA up, signing out, verifying the email.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/media/")


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(ALLOWED_PREFIXES):
            # Before the user is read: /healthz must answer without the database.
            return self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META:
            # Scripts authenticate with a token, which DRF reads only inside the view, before
            # the session: look it up here too, or a token would be a way around the second
            # factor (also from a browser signed in as somebody who needs none).
            user = token_user(request) or user
        if (
            user is not None
            and user.is_authenticated
            and permissions.requires_mfa(user)
            and not user_has_mfa(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "detail": gettext(
                            "Staff and reviewers must set up two-factor authentication "
                            "first: sign in to the portal in a browser."
                        ),
                        "code": "mfa_required",
                    },
                    status=403,
                )
            messages.warning(
                request,
                gettext(
                    "Staff and reviewers must set up two-factor authentication before using "
                    "the portal."
                ),
            )
            next_url = quote(request.get_full_path(), safe="/")
            return redirect(f"{reverse('mfa_activate_totp')}?next={next_url}")
        return self.get_response(request)
