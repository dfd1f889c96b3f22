"""OpenID Connect providers read from the environment, and the MyAccessID preset.

portal/settings.py calls `oidc_apps` while settings load, so this module imports nothing from
Django's apps. `OIDC_PROVIDERS` names the providers (comma-separated, e.g. `myaccessid,guest`);
each one reads `OIDC_<ID>_*` (the id upper-cased, `-` as `_`):

- `CLIENT_ID`, `CLIENT_SECRET` (or `CLIENT_SECRET_FILE`): required.
- `PRESET`: a preset's defaults (default: the id itself when a preset has that name).
- `SERVER_URL`: the issuer (its `/.well-known/openid-configuration` is read); the preset's.
- `NAME`: the button says "Sign in with NAME"; `HINT`: a line under it; `SCOPES`:
  space-separated; `UID_CLAIM`: the claim the account is keyed on (default `sub`);
  `LINK_BY_EMAIL`: link an existing portal account whose address is verified when the
  provider says the address is verified (default true).

A provider named but not fully configured stops the start with the variable that is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop


class Preset(TypedDict):
    name: str
    server_url: str
    scopes: list[str]
    uid_claim: str
    uid_ignore_case: bool
    hint: str
    guest_registration_url: str


# MyAccessID (GÉANT), the EuroHPC identity layer: eduGAIN institutions and its Guest IdP (for
# companies) behind one proxy. Accounts are keyed on its Community User Identifier
# (`voperson_id`, scope `aarc`; e.g. 28c5353b8bb34984a8bd4169ba94c606@myaccessid.org), persistent
# and never reassigned, not on the email address, which a user's institution may change.
# Source: GÉANT's MyAccessID attribute and claim tables (kb.pert.geant.net) and the reference
# data's `identity` entry. The acceptance (test) service: https://proxy.acc.myaccessid.org.
PRESETS: dict[str, Preset] = {
    "myaccessid": {
        "name": "MyAccessID",
        "server_url": "https://proxy.myaccessid.org",
        "scopes": ["openid", "profile", "email", "aarc"],
        "uid_claim": "voperson_id",
        # eduPersonUniqueId's syntax, compared ignoring case (the GÉANT page itself writes both
        # @MyAccessID.org and @myaccessid.org): kept lower-cased, so both are one person.
        "uid_ignore_case": True,
        # Marked for extraction only (a plain string in settings): the sign-in snippet
        # translates it when it shows it.
        "hint": gettext_noop(
            "Through your university or institute (eduGAIN), or, for companies without one, "
            "the MyAccessID Guest IdP."
        ),
        "guest_registration_url": "https://guestidp.myaccessid.org/registration",
    },
}

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

Read = Callable[[str, str], str]


class OIDCConfigurationError(ValueError):
    """A provider named in OIDC_PROVIDERS whose variables are missing or wrong."""


def _flag(read: Read, name: str, default: bool) -> bool:
    raw = read(name, "").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise OIDCConfigurationError(f"{name}={raw!r} is not a boolean: use true or false.")


def _app(read: Read, provider_id: str) -> dict[str, Any]:
    prefix = f"OIDC_{provider_id.upper().replace('-', '_')}_"
    preset_name = read(prefix + "PRESET", provider_id if provider_id in PRESETS else "")
    if preset_name and preset_name not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise OIDCConfigurationError(f"{prefix}PRESET={preset_name!r}: the presets are {known}.")
    preset: dict[str, Any] = dict(PRESETS[preset_name]) if preset_name else {}

    def value(key: str, default: str = "") -> str:
        found = read(prefix + key, default).strip()
        if not found:
            raise OIDCConfigurationError(f"{prefix}{key} is required for provider {provider_id}.")
        return found

    scopes = read(prefix + "SCOPES", " ".join(preset.get("scopes", ["openid", "profile", "email"])))
    scope_list = scopes.replace(",", " ").split()
    if "openid" not in scope_list:
        raise OIDCConfigurationError(f"{prefix}SCOPES must include openid.")
    return {
        "provider_id": provider_id,
        "name": value("NAME", preset.get("name", provider_id)),
        "client_id": value("CLIENT_ID"),
        "secret": value("CLIENT_SECRET"),
        "settings": {
            "server_url": value("SERVER_URL", preset.get("server_url", "")).rstrip("/"),
            "scope": scope_list,
            "uid_field": value("UID_CLAIM", preset.get("uid_claim", "sub")),
            "uid_ignore_case": preset.get("uid_ignore_case", False),
            "email_authentication": _flag(read, prefix + "LINK_BY_EMAIL", True),
            "oauth_pkce_enabled": True,
            "hint": read(prefix + "HINT", preset.get("hint", "")).strip(),
            "guest_registration_url": preset.get("guest_registration_url", ""),
        },
    }


def oidc_apps(read: Read) -> list[dict[str, Any]]:
    """allauth's `APPS` entries for the providers in OIDC_PROVIDERS (none when it is empty).

    `read(name, default)` reads one variable (settings' `env_str`, which also reads `NAME_FILE`).
    Raises OIDCConfigurationError naming the variable when a provider is incomplete.
    """
    apps = []
    for provider_id in [p.strip() for p in read("OIDC_PROVIDERS", "").split(",") if p.strip()]:
        if not PROVIDER_ID.match(provider_id):
            raise OIDCConfigurationError(
                f"OIDC_PROVIDERS: {provider_id!r} is not a provider id (lower-case letters, "
                "digits and '-', at most 40)."
            )
        apps.append(_app(read, provider_id))
    if len({app["provider_id"] for app in apps}) != len(apps):
        raise OIDCConfigurationError("OIDC_PROVIDERS names a provider twice.")
    return apps


def form_action_origins(apps: list[dict[str, Any]]) -> list[str]:
    """The providers' origins, for the Content-Security-Policy's `form-action`: the sign-in
    button posts to the portal, which redirects to the provider, and browsers check a form's
    redirects against `form-action` too. Assumes the authorization endpoint is on the issuer's
    host, as MyAccessID's is."""
    origins = []
    for app in apps:
        parts = urlsplit(app["settings"]["server_url"])
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins
