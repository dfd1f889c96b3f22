"""The signed-in lists are computed for each request (no per-user cache): a change shows at
once, nobody sees another user's list, and a list one lost the right to is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from applications import services
from reviews.models import Assignment, SiteRole
from reviews.services import assignments as assignment_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    login(client, user)
    return client


def token_client(user) -> Client:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_the_dashboard_shows_a_change_at_once(alice, submit_application):
    application = submit_application(title="Fresh protein model")
    client = browser(alice)
    assert "Fresh protein model" in client.get("/applications/").content.decode()

    services.application_withdraw(application=application, actor=alice)

    assert "Withdrawn" in client.get("/applications/").content.decode()


def test_an_admin_edit_to_a_shown_name_reaches_the_dashboard(alice, submit_application, site_x):
    submit_application()
    client = browser(alice)
    site_x.system.name = "LUMI-renamed"
    site_x.system.save()

    assert "LUMI-renamed" in client.get("/applications/").content.decode()


def test_the_api_list_shows_a_change_at_once(alice, submit_application):
    application = submit_application()
    client = token_client(alice)
    assert client.get("/api/v1/applications/").json()["results"][0]["status"] == "submitted"

    services.application_withdraw(application=application, actor=alice)

    assert client.get("/api/v1/applications/").json()["results"][0]["status"] == "withdrawn"


def test_one_users_list_never_shows_another(alice, bob, submit_application):
    submit_application(title="Alice's confidential plan")
    assert "Alice&#x27;s confidential plan" in browser(alice).get("/applications/").content.decode()

    assert "confidential plan" not in browser(bob).get("/applications/").content.decode()
    assert token_client(bob).get("/api/v1/applications/").json()["count"] == 0


def test_routing_to_a_reviewer_reaches_their_desk(site_x, submit_application):
    tess = site_x.technical[0]
    client = browser(tess)
    assert list(client.get("/review/").context["page"]) == []

    application = submit_application(title="Freshly routed")
    routing_services.application_route(application_id=application.pk)

    response = client.get("/review/")
    assert [row["title"] for row in response.context["page"].object_list] == [application.title]
    api = token_client(tess).get("/api/v1/assignments/").json()
    assert [row["application"] for row in api["results"]] == [application.pk]


def test_a_reviewer_whose_role_ends_loses_the_desk(site_x, routed):
    tess = site_x.technical[0]
    client = browser(tess)
    assert client.get("/review/").status_code == 200

    SiteRole.objects.filter(user=tess).update(is_active=False)

    assert client.get("/review/").status_code == 403


def test_the_site_approver_sees_a_new_submission(site_x, submit_application):
    paula = browser(site_x.approver)
    assert list(paula.get("/review/site/").context["page"]) == []

    application = submit_application(title="Just submitted")

    response = paula.get("/review/site/")
    assert [row["title"] for row in response.context["page"].object_list] == [application.title]


def test_an_assignment_declined_leaves_the_desk(site_x, routed):
    tess = site_x.technical[0]
    client = browser(tess)
    assignment = Assignment.objects.get(application=routed, reviewer=tess)
    assert [row["title"] for row in client.get("/review/").context["page"]] == [
        assignment.application.title
    ]

    assignment_services.assignment_decline(
        assignment=assignment, reviewer=tess, reason="On leave this month."
    )

    assert list(client.get("/review/").context["page"]) == []
