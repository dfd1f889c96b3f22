"""Staff and reviewers must set up TOTP before they can use anything but the set-up pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.authtoken.models import Token

from reviews.models import SiteRole

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"


def assert_sent_to_setup(response, next_path: str) -> None:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == SETUP
    assert parse_qs(location.query)["next"] == [next_path]


@pytest.mark.parametrize("path", ["/applications/", "/admin/", "/me/api-token/"])
def test_it_sends_staff_without_totp_to_the_setup(client, staff, path):
    client.force_login(staff)

    assert_sent_to_setup(client.get(path), path)


def test_it_keeps_the_query_string_in_next(client, staff):
    client.force_login(staff)

    response = client.get("/admin/accounts/user/?q=alice")

    assert_sent_to_setup(response, "/admin/accounts/user/?q=alice")


def test_it_tells_staff_why_they_were_sent_to_the_setup(client, staff):
    client.force_login(staff)

    response = client.get("/applications/", follow=True)

    assert response.redirect_chain[0] == (f"{SETUP}?next=/applications/", 302)
    messages = [str(m) for m in response.context["messages"]]
    assert (
        "Staff and reviewers must set up two-factor authentication before using the portal."
        in messages
    )


def test_it_lets_staff_without_totp_reach_the_setup_and_logout(client, staff):
    client.force_login(staff)

    for path in (SETUP, "/accounts/logout/"):
        response = client.get(path)

        assert response.status_code in (200, 302), path
        assert not response.get("Location", "").startswith(SETUP), path


def test_it_answers_403_mfa_required_to_staff_in_the_api(client, staff):
    client.force_login(staff)

    response = client.get("/api/v1/applications/")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_it_answers_403_mfa_required_to_staff_using_a_token(client, staff):
    token = Token.objects.create(user=staff)

    response = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_it_sends_a_reviewer_without_totp_to_the_setup(client, reviewer):
    client.force_login(reviewer)

    assert_sent_to_setup(client.get("/applications/"), "/applications/")
    api = client.get("/api/v1/applications/")
    assert (api.status_code, api.json()["code"]) == (403, "mfa_required")


def test_it_lets_a_former_reviewer_in_without_totp(client, reviewer):
    SiteRole.objects.filter(user=reviewer).update(is_active=False)
    client.force_login(reviewer)

    assert client.get("/applications/").status_code == 200


def test_it_lets_an_applicant_in_without_totp(client, applicant):
    client.force_login(applicant)

    assert client.get("/applications/").status_code == 200
    assert client.get("/api/v1/applications/").status_code == 200
    assert client.get("/me/api-token/").status_code == 200


def test_it_lets_staff_with_totp_in(client, staff_with_totp):
    client.force_login(staff_with_totp)

    assert client.get("/applications/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/applications/").status_code == 200


def test_it_sends_the_admin_login_to_the_allauth_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_it_sends_an_anonymous_admin_visitor_to_the_allauth_login(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/login/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200


def test_a_token_sent_from_a_session_that_needs_no_mfa_is_still_checked(client, staff, db):
    from tests.model_factories import UserFactory

    client.force_login(UserFactory())  # an applicant: no second factor required
    token = Token.objects.create(user=staff)  # staff without TOTP

    response = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
