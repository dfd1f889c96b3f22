"""The personal API token page: create, use, rotate."""

from __future__ import annotations

import re

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

PAGE = "/me/api-token/"


def shown_key(response) -> str | None:
    match = re.search(r'id="token"[^>]*value="([0-9a-f]{40})"', response.content.decode())
    return match.group(1) if match else None


def test_it_requires_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"
    assert client.post(PAGE).status_code == 302
    assert not Token.objects.exists()


def test_it_shows_no_token_until_one_is_created(client, applicant):
    client.force_login(applicant)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "You have no token yet." in response.content.decode()
    assert shown_key(response) is None


def test_it_creates_a_token_on_post(client, applicant):
    client.force_login(applicant)

    response = client.post(PAGE, follow=True)

    token = Token.objects.get(user=applicant)
    assert response.redirect_chain == [(PAGE, 302)]
    assert shown_key(response) == token.key


def test_it_authenticates_api_calls_with_the_token(client, applicant, other_applicant):
    client.force_login(applicant)
    client.post(PAGE)
    client.logout()
    key = Token.objects.get(user=applicant).key

    created = client.post(
        "/api/v1/applications/",
        {"title": "From a script"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    listed = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {key}")

    assert created.status_code == 201
    assert [a["title"] for a in listed.json()["results"]] == ["From a script"]
    assert applicant.applications.get().title == "From a script"
    other = Token.objects.create(user=other_applicant)
    assert (
        client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {other.key}").json()["count"]
        == 0
    )


def test_it_invalidates_the_old_token_on_rotation(client, applicant):
    client.force_login(applicant)
    client.post(PAGE)
    old = Token.objects.get(user=applicant).key

    response = client.post(PAGE, follow=True)

    new = Token.objects.get(user=applicant).key
    assert new != old
    assert shown_key(response) == new
    assert "the previous one no longer works" in response.content.decode()
    client.logout()
    refused = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {old}")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    accepted = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {new}")
    assert accepted.status_code == 200
