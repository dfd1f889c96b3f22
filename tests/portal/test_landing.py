"""After signing in each role lands on its own work, and the navigation shows it its pages."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from factories.models import AIFactory
from tests.fixtures.reviews import person, site_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def lumi(catalogue):
    return AIFactory.objects.get(slug="lumi-aif")


def landing(client, user) -> str:
    client.force_login(user)
    response = client.get("/start/")
    assert response.status_code == 302
    return response["Location"]


def test_an_applicant_lands_on_their_applications(client):
    assert landing(client, person("ann@example.org", "Ann Applicant")) == "/applications/"


def test_a_reviewer_lands_on_the_desk(client, lumi):
    reviewer = site_person(lumi, "rita@csc.fi", "Rita Reviewer", "technical")
    assert landing(client, reviewer) == "/review/"


def test_an_approver_lands_on_the_sites_applications(client, lumi):
    approver = site_person(lumi, "paula@csc.fi", "Paula Approver", "approver")
    assert landing(client, approver) == "/review/site/"


def test_staff_land_on_the_overview(client):
    staff = person("sam@example.org", "Sam Staff", is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    assert landing(client, staff) == "/review/stats/"


def test_signing_in_with_the_second_factor_lands_on_the_desk(client, lumi):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    reviewer = site_person(lumi, "rita@csc.fi", "Rita Reviewer", "technical")
    reviewer.set_password("a-long-pass-123")
    reviewer.save()
    secret = decrypt(Authenticator.objects.get(user=reviewer, type="totp").data["secret"])
    code = format_hotp_value(hotp_value(secret, int(__import__("time").time()) // 30))

    first = client.post(
        "/accounts/login/", {"login": reviewer.email, "password": "a-long-pass-123"}
    )
    second = client.post(first["Location"], {"code": code})
    third = client.get(second["Location"])

    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert second["Location"] == "/start/"
    assert third["Location"] == "/review/"


def test_the_navigation_shows_an_approver_capacity_and_statistics(client, lumi):
    client.force_login(site_person(lumi, "paula@csc.fi", "Paula Approver", "approver"))

    html = client.get("/review/site/").content.decode()

    assert 'href="/review/capacity/"' in html
    assert 'href="/review/stats/"' in html
    assert 'href="/review/site/"' in html
    assert 'href="/staff/jobs/"' not in html


def test_the_navigation_shows_an_applicant_only_their_pages(client):
    client.force_login(person("ann@example.org", "Ann Applicant"))

    html = client.get("/applications/").content.decode()

    assert 'href="/applications/"' in html
    for href in ("/review/", "/review/site/", "/review/capacity/", "/review/stats/", "/admin/"):
        assert f'href="{href}"' not in html
    assert "Ann Applicant" in html  # the user menu, by name


def test_the_navigation_shows_staff_the_overview_and_jobs(client):
    staff = person("sam@example.org", "Sam Staff", is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    html = client.get("/review/stats/").content.decode()

    assert 'href="/staff/jobs/"' in html and 'href="/review/capacity/"' in html


def test_an_approver_sees_only_their_sites_statistics(client, lumi):
    client.force_login(site_person(lumi, "paula@csc.fi", "Paula Approver", "approver"))

    html = client.get("/review/stats/").content.decode()

    assert "LUMI AIF" in html
    assert "MareNostrum" not in html and "BSC AIF" not in html


def test_a_reviewer_is_refused_the_statistics_with_a_403_page(client, lumi):
    client.force_login(site_person(lumi, "rita@csc.fi", "Rita Reviewer", "technical"))

    response = client.get("/review/stats/")

    assert response.status_code == 403
    assert 'href="/start/"' in response.content.decode()


def test_a_signed_in_applicant_is_refused_the_admin_without_a_loop(client):
    client.force_login(person("ann@example.org", "Ann Applicant"))

    first = client.get("/admin/")
    second = client.get(first["Location"])

    assert first["Location"].startswith("/admin/login/")
    assert second.status_code == 403
