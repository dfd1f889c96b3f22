"""Template context: the navigation's links, the language switcher's buttons and the user's
roles."""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

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


@functools.lru_cache(maxsize=32)
def _language_buttons(current: str | None) -> SafeString:
    """The language switcher's buttons (base.html), each language named in itself, the current
    one marked: the same for every page in that language, so built once."""
    return format_html_join(
        "",
        '<button type="submit" name="language" value="{}" lang="{}" '
        'class="btn btn-link btn-sm px-0 py-1 align-baseline{}"{}>{}</button>',
        (
            (
                code,
                code,
                " fw-bold text-body" if code == current else "",
                mark_safe(' aria-current="true"') if code == current else "",
                name,
            )
            for code, name in settings.LANGUAGES
        ),
    )


def navigation(request: HttpRequest) -> dict[str, object]:
    """`nav`: the navigation's URLs by key (`nav.desk`), for the script prefix in use;
    `language_buttons`: the switcher's buttons for the page's language."""
    return {
        "nav": _nav(get_script_prefix()),
        "language_buttons": _language_buttons(get_language()),
    }


def roles(request: HttpRequest) -> dict[str, object]:
    """`is_reviewer` and `is_approver`, computed only when a template asks (from the flags the
    signed-in user is loaded with: no query)."""
    user = getattr(request, "user", None)
    return {
        "is_reviewer": SimpleLazyObject(lambda: bool(user and permissions.has_site_role(user))),
        "is_approver": SimpleLazyObject(lambda: bool(user and permissions.is_an_approver(user))),
    }
