"""Caching of the signed-in lists: the applicant dashboard, the reviewer desk, their API lists.

Profiled under gunicorn, these pages spent most of their time not in the database but in Python:
building 50 model rows and rendering them (or serialising 20), 10 to 15 ms a request. Their content
changes only when somebody writes, so each answer is cached for the one user (and browser
session or API token) that asked, under two versions (portal/versioned_cache.py): a global one
and the user's own. One cache round trip reads both versions and the entry.

Every write to the data these pages show bumps versions (signals.py; at once, and again when the
transaction commits):
- a save of a row about one application (the application, its assignments, reviews, decision,
  routing records, events, attachments, team) bumps the versions of the users whose lists show
  it: the applicant, the organisation's representatives, every reviewer assigned, the site's
  approvers (selectors.users_following_applications), found when the row is written and again
  at commit (for followers added meanwhile by another transaction); a row that moved (another
  applicant, organisation, system or application) bumps the global version, since who
  followed it may no longer;
- a save of a membership or a site role bumps that user's version;
- deleting such a row does the same (a team member, an attachment, an assignment, a membership:
  the deleted row still says whom it concerned);
- anything else (deleting an application or a review, a catalogue or access-mode edit, an
  organisation, a user, an allocation, which staff see all of) bumps the global version:
  everybody's lists.
So an applicant editing a draft invalidates their own lists and their representatives', not the
whole portal's. Bulk writes, which send no signal, call `access_data_changed()` themselves.

An answer is cached only for a GET with no message waiting, only when it is a 200 that sets no
cookie, and its key holds what makes it differ between requests: the user, the session (its
CSRF token is in the page's forms), the token, the full path with its query string, the
Accept header, the host, and today's date (overdue marks). With several processes, CACHE_URL
must point at a shared cache (settings.USER_PAGE_CACHE is off without it, but in tests).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.versioned_cache import VersionedCache, plain_response


def _users_concerned(changes: set[tuple[str, int]]) -> set[str]:
    """The scopes of the users given, and of everybody whose lists show the applications given
    (found when the write happens, and again at commit: somebody made a representative or an
    approver meanwhile, in another transaction, may have cached them as they were)."""
    from .selectors import users_following_applications

    users = {pk for kind, pk in changes if kind == "user"}
    users |= users_following_applications({pk for kind, pk in changes if kind == "application"})
    return {_scope(user_id) for user_id in users}


def _scope(user_id: int) -> str:
    return f"user:{user_id}"


LISTS = VersionedCache("access", resolve=_users_concerned)


def access_data_changed(*, application_ids=None, user_ids=None) -> None:
    """Invalidate cached lists (now, and again once the transaction commits): with neither
    argument everybody's; else only those of the users given and of everybody whose lists show
    the applications given (selectors.users_following_applications)."""
    if application_ids is None and user_ids is None:
        LISTS.changed()
        return
    LISTS.changed(
        {("application", pk) for pk in application_ids or ()}
        | {("user", pk) for pk in user_ids or ()}
    )


def _cacheable(request: HttpRequest) -> bool:
    if not settings.USER_PAGE_CACHE or request.method not in ("GET", "HEAD"):
        return False
    if request.COOKIES.get("messages"):  # a message waits to be shown once
        return False
    session = getattr(request, "session", None)
    return not (session is not None and "_messages" in session)


def _key(request: HttpRequest, user_id: int, view_name: str) -> str:
    session = getattr(request, "session", None)
    parts = [
        view_name,
        str(user_id),
        (session.session_key or "") if session is not None else "",
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        request.META.get("HTTP_AUTHORIZATION", ""),
        request.get_host(),
        request.get_full_path(),
        request.headers.get("Accept", ""),
        timezone.localdate().isoformat(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _csrf_token_reusable(request: HttpRequest) -> bool:
    """Whether the page's CSRF tokens come from the secret in the browser's cookie, so that the
    same page is valid for every request carrying that cookie (part of the key)."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return bool(cookie) and request.META.get("CSRF_COOKIE") == cookie


def cached_for_user(
    request: HttpRequest,
    user,
    view_name: str,
    build: Callable[[], HttpResponse],
    *,
    page_has_forms: bool = False,
) -> HttpResponse:
    """The answer `build()` gives, from the cache when this user asked the same since the last
    write. `request` is Django's request (for a DRF view: `request._request`). An HTML page
    (`page_has_forms`) is cached only when its CSRF tokens come from the browser's cookie."""
    if not (user.is_authenticated and _cacheable(request)):
        return build()
    key = _key(request, user.pk, view_name)
    stamp, hit = LISTS.get(key, scope=_scope(user.pk))
    if hit is not None:
        return hit
    response = build()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if (
        response.status_code == 200
        and not response.cookies
        and (not page_has_forms or _csrf_token_reusable(request))
    ):
        LISTS.set(key, stamp, plain_response(response), timeout=settings.USER_PAGE_CACHE_SECONDS)
    return response


def cache_per_user(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for a function view behind `login_required` that renders an HTML page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return cached_for_user(
            request,
            request.user,
            f"{view.__module__}.{view.__qualname__}",
            lambda: view(request, *args, **kwargs),
            page_has_forms=True,
        )

    return wrapper


class CachedListMixin:
    """For a DRF list view: JSON answers cached per user and token (or session) until the next
    write. The browsable API's HTML is not cached (its forms carry CSRF tokens)."""

    def list(self, request, *args, **kwargs):
        parent = super().list
        if getattr(request.accepted_renderer, "format", None) != "json":
            return parent(request, *args, **kwargs)
        return cached_for_user(
            request._request,
            request.user,
            f"{type(self).__module__}.{type(self).__qualname__}",
            lambda: self.finalize_response(request, parent(request, *args, **kwargs)),
        )
