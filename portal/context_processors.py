"""Template context: the navigation's links and the user's roles."""

from __future__ import annotations

import functools

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

from portal import permissions

# The navigation's links (base.html): reversed once a process, not on every page.
NAV_LINKS = {
    "home": "factories:home",
    "factories": "factories:factory-list",
    "public_statistics": "stats:statistics",
    "api_docs": "api-docs",
    "applications": "applications:dashboard",
    "desk": "review:desk",
    "site_applications": "review:site-applications",
    "capacity": "review:capacity",
    "statistics": "review:staff-stats",
    "jobs": "periodic-jobs",
    "admin": "admin:index",
    "profile": "accounts:profile",
    "emails": "account_email",
    "email_preferences": "notifications:preferences",
    "connections": "socialaccount_connections",
    "password": "account_change_password",
    "mfa": "mfa_index",
    "api_token": "accounts:api-token",
    "logout": "account_logout",
    "antenna_list": "factories:antenna-list",
    "access_mode_list": "factories:access-mode-list",
    "finder": "finder:finder",
    "login": "account_login",
    "signup": "account_signup",
    "set_language": "set_language",
}


@functools.cache
def _nav(prefix: str) -> dict[str, str]:
    return {key: reverse(name) for key, name in NAV_LINKS.items()}


def navigation(request: HttpRequest) -> dict[str, object]:
    """`nav`: the navigation's URLs by key (`nav.desk`), for the script prefix in use."""
    return {"nav": _nav(get_script_prefix())}


def roles(request: HttpRequest) -> dict[str, object]:
    """`is_reviewer` and `is_approver`, computed only when a template asks (one query, shared
    with the rest of the request)."""
    user = getattr(request, "user", None)
    return {
        "is_reviewer": SimpleLazyObject(lambda: bool(user and permissions.has_site_role(user))),
        "is_approver": SimpleLazyObject(
            lambda: bool(user and permissions.approver_factory_ids(user))
        ),
    }
