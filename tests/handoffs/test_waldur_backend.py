"""The Waldur hand-off against Waldur's published OpenAPI description (a loopback stand-in that
validates every request and answer against it: tests/handoffs/fake_waldur.py). Not run against
a live Waldur."""

from __future__ import annotations

from uuid import UUID

import pytest
from django.core.exceptions import ValidationError

from allocations.models import AllocationStatus
from handoffs import services
from handoffs.models import HandOff, HandOffEvent, HandOffSettings
from handoffs.tasks import hand_off
from tests.fixtures.handoffs import CUSTOMER, OFFERING

pytestmark = pytest.mark.django_db


def test_it_creates_the_project_and_the_order_and_reads_the_state_back(
    approve, waldur, fake_waldur
):
    allocation = approve(800)

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.DONE, handoff.last_error
    assert fake_waldur.violations == []
    (project,) = fake_waldur.projects.values()
    (order,) = fake_waldur.orders.values()
    assert UUID(handoff.waldur_project_uuid) == UUID(project["uuid"])
    assert UUID(handoff.waldur_order_uuid) == UUID(order["uuid"])
    assert handoff.waldur_order_state == "done"
    assert UUID(handoff.waldur_resource_uuid) == UUID(order["marketplace_resource_uuid"])
    assert (
        handoff.slurm_account == fake_waldur.resources[handoff.waldur_resource_uuid]["backend_id"]
    )
    assert project["backend_id"] == f"aif-portal-allocation-{allocation.pk}"
    assert project["customer"].endswith(f"/api/customers/{CUSTOMER}/")
    assert order["offering"].endswith(f"/api/marketplace-public-offerings/{OFFERING}/")
    assert order["limits"] == {"gpu_hours": 800}
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACTIVE
    assert [e.to_status for e in handoff.events.all()] == ["pending", "done"]


def test_it_never_creates_a_second_project_or_order_when_run_again(approve, waldur, fake_waldur):
    allocation = approve()
    assert hand_off.delay(allocation.pk).get() == "nothing to do"

    # A run that died after Waldur created the project and the order, before the portal stored
    # their identifiers: the next run finds both instead of creating them again.
    HandOff.objects.filter(allocation=allocation).update(
        status=HandOff.Status.PENDING, waldur_project_uuid="", waldur_order_uuid=""
    )
    hand_off.delay(allocation.pk).get()

    assert len(fake_waldur.projects) == 1
    assert len(fake_waldur.orders) == 1
    assert HandOff.objects.get(allocation=allocation).status == HandOff.Status.DONE
    assert fake_waldur.violations == []


def test_it_reads_the_order_again_while_waldur_executes_it(approve, waldur, fake_waldur):
    fake_waldur.polls_until_done = 3
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.DONE
    reads = [r for r in fake_waldur.requests if r[0] == "GET" and "/marketplace-orders/" in r[1]]
    assert len([r for r in reads if r[1].count("/") == 4]) == 3  # the order itself, three times
    # One event per state seen, not one per read.
    assert [e.to_status for e in handoff.events.all()] == ["pending", "waiting", "done"]


def test_a_dropped_connection_is_retried_with_backoff(approve, waldur, fake_waldur):
    fake_waldur.drop_next = 2
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.DONE
    assert handoff.attempts == 3
    assert len(fake_waldur.projects) == 1
    assert fake_waldur.violations == []


def test_an_unreachable_waldur_ends_failed_with_the_reason_then_staff_retry_it(
    approve, waldur, fake_waldur, sam, alice, django_capture_on_commit_callbacks
):
    url = waldur.waldur_api_url
    HandOffSettings.objects.filter(pk=waldur.pk).update(waldur_api_url="http://127.0.0.1:9")
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.FAILED
    assert "could not be reached" in handoff.last_error
    assert handoff.attempts == 6  # the first run and 5 retries
    assert allocation.status == AllocationStatus.AWARDED

    with pytest.raises(ValidationError):
        services.handoff_retry(handoff=handoff, actor=alice)
    HandOffSettings.objects.filter(pk=waldur.pk).update(waldur_api_url=url)
    with django_capture_on_commit_callbacks(execute=True):
        services.handoff_retry(handoff=handoff, actor=sam)

    handoff.refresh_from_db()
    assert handoff.status == HandOff.Status.DONE
    assert HandOffEvent.objects.filter(handoff=handoff, actor=sam, to_status="pending").exists()
    assert fake_waldur.violations == []


def test_an_order_waldur_refuses_fails_with_its_message(approve, waldur, fake_waldur):
    fake_waldur.order_final_state = "rejected"
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.FAILED
    assert "rejected" in handoff.last_error
    assert "The site refused the order." in handoff.last_error
    assert handoff.attempts == 1  # a refusal is not retried by itself


def test_the_token_comes_from_the_environment_and_is_never_stored(
    approve, waldur, fake_waldur, monkeypatch
):
    monkeypatch.delenv("AIF_TEST_WALDUR_TOKEN")
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.FAILED
    assert "AIF_TEST_WALDUR_TOKEN" in handoff.last_error
    assert fake_waldur.requests == []
    stored = [str(v) for v in HandOffSettings.objects.values().get()]
    assert all("fake-waldur-token" not in value for value in stored)


def test_the_admin_refuses_a_waldur_backend_without_its_settings(site_x):
    settings = HandOffSettings(factory=site_x.factory, backend="waldur")
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert set(error.value.message_dict) == {
        "waldur_api_url",
        "waldur_token_env",
        "waldur_customer_uuid",
        "waldur_offering_uuid",
    }
