from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from factories.models import AIFactory
from tests.model_factories import SiteRoleFactory, UserFactory


@pytest.fixture
def applicant(db):
    """A verified applicant with no role anywhere."""
    return UserFactory(email="alice@example.org")


@pytest.fixture
def other_applicant(db):
    return UserFactory(email="bob@example.org")


@pytest.fixture
def staff(db):
    """Staff without a second factor yet."""
    return UserFactory(email="sam@example.org", is_staff=True)


@pytest.fixture
def staff_with_totp(db):
    user = UserFactory(email="tess@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def reviewer(catalogue):
    """A technical reviewer at LUMI AIF, without a second factor yet."""
    return SiteRoleFactory(
        user=UserFactory(email="rob@example.org"),
        factory=AIFactory.objects.get(slug="lumi-aif"),
        role="technical",
    ).user


# What the test OpenID provider releases, by login name (its sign-in page takes any password).
# MyAccessID keys people on `voperson_id`; `sub` is the login name, so a test can tell them apart.
PROVIDER_ACCOUNTS: dict[str, dict] = {
    "nora": {
        "email": "nora@example.org",
        "email_verified": True,
        "given_name": "Nora",
        "family_name": "Neural",
        "voperson_id": "28c5353b8bb34984a8bd4169ba94c606@myaccessid.org",
    },
    # alice@example.org, the `applicant` fixture: verified on both sides.
    "alice": {
        "email": "alice@example.org",
        "email_verified": True,
        "given_name": "Alice",
        "family_name": "Example",
        "voperson_id": "a11ce0000000000000000000000000a1@myaccessid.org",
    },
    # bob@example.org (the `other_applicant`), but not verified by the provider.
    "mallory": {
        "email": "bob@example.org",
        "email_verified": False,
        "given_name": "Mallory",
        "family_name": "Example",
        "voperson_id": "3a11013700000000000000000000d00d@myaccessid.org",
    },
    # rob@example.org, the `reviewer` fixture.
    "rob": {
        "email": "rob@example.org",
        "email_verified": True,
        "given_name": "Rob",
        "family_name": "Example",
        "voperson_id": "40b0000000000000000000000000000b@myaccessid.org",
    },
    # A provider that leaves the persistent identifier out.
    "nopid": {
        "email": "nopid@example.org",
        "email_verified": True,
        "given_name": "No",
        "family_name": "Identifier",
    },
}


def provider_env(provider_id: str, issuer: str, client_id: str, secret: str) -> dict[str, str]:
    """The environment an operator sets for a provider with the MyAccessID preset, pointed at
    the test provider instead of MyAccessID's proxy."""
    prefix = f"OIDC_{provider_id.upper()}_"
    return {
        "OIDC_PROVIDERS": provider_id,
        f"{prefix}PRESET": "myaccessid",
        f"{prefix}SERVER_URL": issuer,
        f"{prefix}CLIENT_ID": client_id,
        f"{prefix}CLIENT_SECRET": secret,
    }


def use_providers(settings, env: dict[str, str]) -> list[dict]:
    """Configure the running portal as settings.py would from `env`."""
    from accounts.providers.oidc.config import form_action_origins, oidc_apps

    apps = oidc_apps(lambda name, default: env.get(name, default))
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": apps},
    }
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", *form_action_origins(apps)]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    return apps


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """The real OpenID provider (oidc-provider on Node), allowed to send people back to the
    live server's callback of the provider `myaccessid`."""
    from tests.oidc.server import running_provider

    callback = f"{live_server.url}/accounts/oidc/myaccessid/login/callback/"
    with running_provider([callback], PROVIDER_ACCOUNTS) as provider:
        yield provider


@pytest.fixture
def myaccessid(settings, oidc_provider):
    """The portal signing in through the test provider with the MyAccessID preset."""
    oidc_provider.set_accounts(PROVIDER_ACCOUNTS)
    env = provider_env(
        "myaccessid", oidc_provider.issuer, oidc_provider.client_id, oidc_provider.client_secret
    )
    use_providers(settings, env)
    return oidc_provider
