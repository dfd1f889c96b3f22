"""Authentication that loads, with the user, what every request then asks about them.

The MFA middleware asks of each signed-in request whether the user has an active site role and a
TOTP authenticator. Loaded with the user, in the one query that reads the user, these cost no
round trip of their own (profiled: two of the five queries of a reviewer's request). Compiling
that query (two EXISTS subqueries) cost the ORM more than running it, 1.4 ms against 0.5, so its
SQL is compiled once per process (portal/precompiled.py).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication

from portal.precompiled import PrecompiledQuery

# Where a request keeps the result of a token lookup, so that the MFA middleware (which must
# look the token up before the view) and DRF's authentication (inside the view) share one query.
TOKEN_RESULT_ATTRIBUTE = "_portal_token_auth"


def with_access_flags(users: QuerySet) -> QuerySet:
    """`users` annotated with `site_role_active` and `totp_enabled` (see accounts.selectors)."""
    from access_requests.models import SiteRole

    return users.annotate(
        site_role_active=Exists(SiteRole.objects.filter(user=OuterRef("pk"), is_active=True)),
        totp_enabled=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
    )


def _flagged_user(field: str) -> PrecompiledQuery:
    return PrecompiledQuery(
        lambda value: with_access_flags(get_user_model()._default_manager.filter(**{field: value})),
        value=int if field == "pk" else str,
    )


# Compiled once per process (portal/precompiled.py): by id (sessions) and by API token.
_BY_ID = _flagged_user("pk")
_BY_TOKEN = _flagged_user("auth_token__key")


def user_with_access_flags(field: str, value: int | str):
    """The user whose `field` ("pk" or "auth_token__key") is `value`, with their flags; or
    None."""
    query = _BY_ID if field == "pk" else _BY_TOKEN
    return next(iter(query.instances(get_user_model(), value=value)), None)


def _get_user(backend: DjangoModelBackend, user_id):
    try:
        user_id = get_user_model()._meta.pk.to_python(user_id)
    except Exception:  # a malformed id in a session: nobody
        return None
    user = user_with_access_flags("pk", user_id)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class TokenAuthentication(DrfTokenAuthentication):
    """DRF's token authentication: the user loaded with their flags, once per request."""

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        found = getattr(django_request, TOKEN_RESULT_ATTRIBUTE, None)
        if found is not None:
            return found
        result = super().authenticate(request)
        setattr(django_request, TOKEN_RESULT_ATTRIBUTE, result)
        return result

    def authenticate_credentials(self, key):
        model = self.get_model()
        user = user_with_access_flags("auth_token__key", str(key))
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, model(key=key, user=user))
