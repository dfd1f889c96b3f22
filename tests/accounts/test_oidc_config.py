"""OpenID Connect providers from the environment: the MyAccessID preset, several providers, a
clear error for an incomplete one, and a sign-in button only for a provider configured."""

from __future__ import annotations

import re

import pytest

from accounts.providers.oidc.config import (
    OIDCConfigurationError,
    form_action_origins,
    oidc_apps,
)
from tests.accounts.conftest import use_providers

MYACCESSID = {
    "OIDC_PROVIDERS": "myaccessid",
    "OIDC_MYACCESSID_CLIENT_ID": "portal",
    "OIDC_MYACCESSID_CLIENT_SECRET": "s3cret",
}


def apps_from(env: dict[str, str]) -> list[dict]:
    return oidc_apps(lambda name, default: env.get(name, default))


def test_it_configures_no_provider_without_the_environment():
    assert apps_from({}) == []


def test_it_fills_in_the_myaccessid_preset():
    (app,) = apps_from(MYACCESSID)

    assert (app["provider_id"], app["name"], app["client_id"]) == (
        "myaccessid",
        "MyAccessID",
        "portal",
    )
    assert app["settings"]["server_url"] == "https://proxy.myaccessid.org"
    assert app["settings"]["scope"] == ["openid", "profile", "email", "aarc"]
    assert app["settings"]["uid_field"] == "voperson_id"
    assert app["settings"]["uid_ignore_case"] is True
    assert app["settings"]["oauth_pkce_enabled"] is True
    assert app["settings"]["email_authentication"] is True
    assert form_action_origins([app]) == ["https://proxy.myaccessid.org"]


def test_it_configures_several_providers():
    env = {
        **MYACCESSID,
        "OIDC_PROVIDERS": "myaccessid, uni-idp",
        "OIDC_UNI_IDP_SERVER_URL": "https://login.uni.example/realms/staff/",
        "OIDC_UNI_IDP_NAME": "University login",
        "OIDC_UNI_IDP_CLIENT_ID": "portal",
        "OIDC_UNI_IDP_CLIENT_SECRET": "other",
        "OIDC_UNI_IDP_SCOPES": "openid email",
        "OIDC_UNI_IDP_LINK_BY_EMAIL": "false",
    }

    myaccessid, uni = apps_from(env)

    assert myaccessid["provider_id"] == "myaccessid"
    assert (uni["provider_id"], uni["name"]) == ("uni-idp", "University login")
    assert uni["settings"]["server_url"] == "https://login.uni.example/realms/staff"
    assert uni["settings"]["uid_field"] == "sub"
    assert uni["settings"]["uid_ignore_case"] is False
    assert uni["settings"]["scope"] == ["openid", "email"]
    assert uni["settings"]["email_authentication"] is False
    assert form_action_origins([myaccessid, uni]) == [
        "https://proxy.myaccessid.org",
        "https://login.uni.example",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_PROVIDERS": "myaccessid"}, "OIDC_MYACCESSID_CLIENT_ID is required"),
        (
            {**MYACCESSID, "OIDC_MYACCESSID_CLIENT_SECRET": ""},
            "OIDC_MYACCESSID_CLIENT_SECRET is required",
        ),
        (
            {
                "OIDC_PROVIDERS": "other",
                "OIDC_OTHER_CLIENT_ID": "a",
                "OIDC_OTHER_CLIENT_SECRET": "b",
            },
            "OIDC_OTHER_SERVER_URL is required",
        ),
        ({**MYACCESSID, "OIDC_MYACCESSID_PRESET": "eduteams"}, "the presets are myaccessid"),
        ({**MYACCESSID, "OIDC_MYACCESSID_SCOPES": "email"}, "must include openid"),
        ({**MYACCESSID, "OIDC_MYACCESSID_LINK_BY_EMAIL": "maybe"}, "is not a boolean"),
        ({**MYACCESSID, "OIDC_PROVIDERS": "My AccessID"}, "is not a provider id"),
        ({**MYACCESSID, "OIDC_PROVIDERS": "myaccessid,myaccessid"}, "names a provider twice"),
    ],
)
def test_it_refuses_an_incomplete_provider_naming_the_variable(env, message):
    with pytest.raises(OIDCConfigurationError, match=message):
        apps_from(env)


@pytest.mark.django_db
def test_it_shows_no_provider_button_when_none_is_configured(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert not re.findall(rb">Sign in with ([^<]+)</button>", response.content)
    assert b"Sign In" in response.content  # the password form stays


@pytest.mark.django_db
def test_it_refuses_the_sign_in_of_a_provider_not_configured(client, settings):
    use_providers(settings, {**MYACCESSID, "OIDC_MYACCESSID_SERVER_URL": "http://127.0.0.1:9"})

    assert client.post("/accounts/oidc/guest/login/").status_code == 404
    assert client.get("/accounts/oidc/guest/login/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_it_shows_a_button_for_each_provider_configured_and_only_those(client, settings):
    use_providers(settings, {**MYACCESSID, "OIDC_MYACCESSID_SERVER_URL": "http://127.0.0.1:9"})

    response = client.get("/accounts/login/")

    html = response.content.decode()
    assert re.findall(r">Sign in with ([^<]+)</button>", html) == ["MyAccessID"]
    assert 'action="/accounts/oidc/myaccessid/login/?process=login"' in html
    assert "https://guestidp.myaccessid.org/registration" in html
    assert "form-action 'self' http://127.0.0.1:9" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_buttons_cost_the_sign_in_page_no_query(client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as without:
        client.get("/accounts/login/")
    use_providers(
        settings,
        {
            **MYACCESSID,
            "OIDC_PROVIDERS": "myaccessid,uni",
            "OIDC_MYACCESSID_SERVER_URL": "http://127.0.0.1:9",
            "OIDC_UNI_SERVER_URL": "http://127.0.0.1:10",
            "OIDC_UNI_CLIENT_ID": "portal",
            "OIDC_UNI_CLIENT_SECRET": "other",
        },
    )
    with CaptureQueriesContext(connection) as with_two:
        response = client.get("/accounts/login/")

    assert re.findall(r">Sign in with ([^<]+)</button>", response.content.decode()) == [
        "MyAccessID",
        "uni",
    ]
    # allauth's one look for providers kept in the database (SocialApp), with or without any.
    assert len(with_two) == len(without) == 1
