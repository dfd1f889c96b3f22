"""The site API's authentication: `Authorization: Site <key>`, one key per factory (SiteToken).

A request with a site key has `request.auth` the SiteToken and `request.user` anonymous; the
permission `IsSite` lets only those through. A signed-in person (session or personal token) is
refused with 403: the site API is for the site's systems, not for people."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from handoffs import selectors
from handoffs.models import SiteToken
from portal.auth import TokenAuthentication

KEYWORD = "Site"


class SiteTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                gettext("Give one site key: `Authorization: Site <key>`.")
            )
        try:
            key = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(gettext("The site key is not valid.")) from error
        token = selectors.site_token_get(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(gettext("Unknown or revoked site key."))
        return (AnonymousUser(), token)

    def authenticate_header(self, request) -> str:
        return KEYWORD


class IsSite(permissions.BasePermission):
    message = "The site API takes a factory's site key (`Authorization: Site <key>`)."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, SiteToken)


SITE_AUTHENTICATION = [
    SiteTokenAuthentication,
    TokenAuthentication,  # the portal's (a person's token: refused with a 403 by the permission)
    authentication.SessionAuthentication,
]


class SiteTokenScheme(OpenApiAuthenticationExtension):
    target_class = "handoffs.site_auth.SiteTokenAuthentication"
    name = "siteKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A factory's site key: `Site <key>` (issued in the admin).",
        }
