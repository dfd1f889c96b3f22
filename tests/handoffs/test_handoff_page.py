"""The hand-off's state on the allocation's page: the holder sees it, the site's approver and
staff also see the last error; nobody else sees the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from handoffs.models import HandOff, HandOffSettings
from tests.fixtures.reviews import login
from tests.queries import SESSION_QUERIES, USER_QUERIES

pytestmark = pytest.mark.django_db


def page(allocation) -> str:
    return reverse("allocations:detail", args=[allocation.application_id])


def test_the_applicant_sees_the_state_of_the_set_up(
    client, approve, site_export, alice, django_assert_max_num_queries
):
    allocation = approve()
    login(client, alice)

    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 11):
        body = client.get(page(allocation)).content.decode()

    assert "Set-up at the site" in body
    assert "Waiting for the site" in body
    assert f"aif-{allocation.application_id}" in body


def test_the_site_sees_the_error_the_applicant_does_not(
    client, approve, waldur, alice, site_x, sam, bob
):
    HandOffSettings.objects.filter(pk=waldur.pk).update(waldur_api_url="http://127.0.0.1:9")
    allocation = approve()
    assert HandOff.objects.get(allocation=allocation).status == "failed"

    login(client, alice)
    body = client.get(page(allocation)).content.decode()
    assert "the portal's staff retry it" in body
    assert "could not be reached" not in body

    login(client, site_x.approver)
    assert "could not be reached" in client.get(page(allocation)).content.decode()
    login(client, sam)
    assert "in the admin (retry)" in client.get(page(allocation)).content.decode()
    login(client, bob)
    assert client.get(page(allocation)).status_code == 404


def test_staff_retry_from_the_admin_and_others_cannot(
    client, approve, waldur, fake_waldur, sam, django_capture_on_commit_callbacks
):
    url = waldur.waldur_api_url
    HandOffSettings.objects.filter(pk=waldur.pk).update(waldur_api_url="http://127.0.0.1:9")
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)
    HandOffSettings.objects.filter(pk=waldur.pk).update(waldur_api_url=url)

    login(client, sam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:handoffs_handoff_changelist"),
            {"action": "retry", "_selected_action": [handoff.pk]},
        )
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == "done"
    assert fake_waldur.violations == []
