"""allauth's OpenID Connect provider, keyed on the claim each provider is configured with.

Settings name this class as `SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"]`.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider


class PortalOpenIDConnectProvider(OpenIDConnectProvider):
    # allauth's URLs and views of OpenID Connect serve this class too.
    package = "allauth.socialaccount.providers.openid_connect"

    def extract_uid(self, data: dict[str, Any]) -> str:
        """The persistent identifier (the app's `uid_field`, e.g. MyAccessID's `voperson_id`) from
        the userinfo answer or the ID token. A provider that does not release it is refused with
        allauth's sign-in error page (a ProviderException), never keyed on something else.
        Lower-cased where the preset says the identifier is compared ignoring case."""
        claim = self.app.settings.get("uid_field", "sub")
        for claims in (data.get("userinfo"), data.get("id_token"), data):
            value = claims.get(claim) if isinstance(claims, dict) else None
            if isinstance(value, str) and value.strip():
                uid = value.strip()
                return uid.lower() if self.app.settings.get("uid_ignore_case") else uid
        raise ProviderException(f"{self.name} did not release the {claim!r} claim.")
