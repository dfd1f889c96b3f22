"""The admin's "route again" action for applications that could not be staffed."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from applications.models import Application
from reviews.models import Assignment, SiteRole
from reviews.services import routing as review_services
from tests.fixtures.reviews import site_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    from tests.model_factories import UserFactory

    user = UserFactory(email="root@portal.example", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def test_it_routes_an_application_again_once_the_pool_is_fixed(
    client, staff, submit_application, site_x
):
    application = submit_application()
    # The site's reviewers left after the submission (a site without them takes none).
    SiteRole.objects.filter(factory=site_x.factory).exclude(role="approver").update(is_active=False)
    review_services.application_route(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == Application.Status.NEEDS_ATTENTION
    site_person(site_x.factory, "new@csc.fi", "Nina New", SiteRole.Role.TECHNICAL)
    client.force_login(staff)

    response = client.post(
        "/admin/applications/application/",
        {"action": "route_again", "_selected_action": [application.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 of 1 application(s) routed" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.UNDER_REVIEW
    assert Assignment.objects.get(application=application).reviewer.email == "new@csc.fi"


def test_it_refuses_the_action_to_a_non_staff_user(client, alice, routed):
    client.force_login(alice)

    response = client.post(
        "/admin/applications/application/",
        {"action": "route_again", "_selected_action": [routed.pk]},
    )

    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert routed.routing_records.count() == 1
