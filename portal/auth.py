"""Who is signing in, read once a request: the session's user and the API token's user come with
what every request asks of them (whether they hold a site role, whether they approve at a site,
whether they set up TOTP), in the one query that loads them. `portal.permissions` and
`accounts.selectors` use these flags when they are there and ask the database when they are not
(a user loaded elsewhere).

The session backend is allauth's (email or username, and password); only `get_user` differs.
The token class is DRF's; it looks the token up once a request, shared with the MFA middleware,
which must know the token's user before DRF's view runs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from rest_framework import authentication, exceptions

from portal.querysets import built_once
from reviews.models import SiteRole

if TYPE_CHECKING:
    from accounts.models import User

# Set on the request by `token_user`: absent means "not looked up yet", None "no valid token".
TOKEN_USER_ATTRIBUTE = "portal_token_user"
TOKEN_KEY = re.compile(r"[0-9a-f]{40}")  # DRF's keys; anything else is not looked up


@built_once
def users_with_access_flags() -> QuerySet[User]:
    """Users with `portal_has_site_role`, `portal_is_approver` and `portal_has_totp` read in the
    same query (built once a process, `portal.querysets`)."""
    return get_user_model().objects.annotate(
        portal_has_site_role=Exists(SiteRole.objects.filter(user=OuterRef("pk"), is_active=True)),
        portal_is_approver=Exists(
            SiteRole.objects.filter(
                user=OuterRef("pk"), is_active=True, role=SiteRole.Role.APPROVER
            )
        ),
        portal_has_totp=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
    )


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = users_with_access_flags().get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def token_user(request: HttpRequest) -> User | None:
    """The active user of a valid `Authorization: Token <key>` header, or None; looked up once
    a request."""
    if hasattr(request, TOKEN_USER_ATTRIBUTE):
        return getattr(request, TOKEN_USER_ATTRIBUTE)
    user = None
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(words) == 2 and words[0].lower() == "token" and TOKEN_KEY.fullmatch(words[1]):
        user = users_with_access_flags().filter(auth_token__key=words[1], is_active=True).first()
    setattr(request, TOKEN_USER_ATTRIBUTE, user)
    return user


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same answers), reading the user through
    `token_user`: one query, shared with the middleware that ran before the view."""

    def authenticate(self, request: Any) -> tuple[User, None] | None:
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                gettext("Invalid token header: 'Token <key>', with no spaces in the key.")
            )
        # A DRF Request passes attribute reads through to the HttpRequest it wraps.
        user = token_user(request)
        if user is None:
            raise exceptions.AuthenticationFailed(gettext("Invalid token."))
        return (user, None)
