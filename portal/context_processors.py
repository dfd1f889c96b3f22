"""Template context: the user's roles, for the navigation."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal import permissions


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
