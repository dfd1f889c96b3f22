"""Authentication that loads, with the user, what every request then asks about them.

The MFA middleware asks of each signed-in request whether the user has an active site role and a
TOTP authenticator. Loaded with the user, in the one query that reads the user, these cost no
round trip of their own (profiled: two of the five queries of a reviewer's request). Compiling
that query (two EXISTS subqueries) cost the ORM more than running it, 1.4 ms against 0.5, so its
SQL is compiled once per process and run as a raw query.
"""

from __future__ import annotations

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication

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


# Stand-ins for the looked-up value while the SQL is compiled; replaced by the value at run time.
_PLACEHOLDERS = {int: -918_273_645, str: "\x00placeholder\x00"}


@functools.cache
def _flagged_user_sql(field: str, kind: type) -> tuple[str, tuple]:
    users = get_user_model()._default_manager.filter(**{field: _PLACEHOLDERS[kind]})
    return with_access_flags(users).query.sql_with_params()


def user_with_access_flags(field: str, value: int | str):
    """The user whose `field` (pk, or a unique lookup) is `value`, with their flags; or None."""
    kind = int if isinstance(value, int) else str
    sql, params = _flagged_user_sql(field, kind)
    placeholder = _PLACEHOLDERS[kind]
    params = [value if type(p) is kind and p == placeholder else p for p in params]
    return next(iter(get_user_model()._default_manager.raw(sql, params)), None)


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
