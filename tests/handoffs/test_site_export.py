"""The site export and the manual hand-off, and the site API that serves them: a factory's key
reads and confirms only that factory's hand-offs."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from allocations.models import AllocationStatus
from handoffs.models import HandOff, HandOffSettings

pytestmark = pytest.mark.django_db


def site(key: str | None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Site {key}")
    return client


def test_it_exports_the_slurm_account_with_its_gpu_minute_limit(approve, site_export):
    allocation = approve(800)

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.status == HandOff.Status.WAITING
    account = f"aif-{allocation.application_id}"
    assert handoff.slurm_account == account
    document = handoff.export
    assert document["account"] == account
    assert document["gpu_minutes"] == 48_000
    assert document["cluster"] == "lumi"
    add, limit = document["slurm_commands"]
    assert add.startswith(f"sacctmgr -i add account {account} Cluster=lumi ")
    assert limit == (
        f"sacctmgr -i modify account where name={account} cluster=lumi set "
        "GrpTRESMins=gres/gpu=48000"
    )
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.AWARDED  # until the site confirms


def test_without_settings_the_site_sets_it_up_by_hand(approve):
    allocation = approve()

    handoff = HandOff.objects.get(allocation=allocation)
    assert handoff.backend == "none"
    assert handoff.status == HandOff.Status.MANUAL
    assert handoff.export == {}


def test_the_site_reads_its_exports_and_confirms_them(approve, site_export, lumi_key):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)

    listed = site(lumi_key).get("/api/v1/site/handoffs/", {"status": "waiting"})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [handoff.pk]
    detail = site(lumi_key).get(f"/api/v1/site/handoffs/{handoff.pk}/").json()
    assert "GrpTRESMins=gres/gpu=48000" in detail["export"]["slurm_commands"][1]

    confirmed = site(lumi_key).post(
        f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "done"
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACTIVE
    again = site(lumi_key).post(f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json")
    assert again.status_code == 200  # idempotent
    assert handoff.events.filter(to_status="done").count() == 1


def test_another_factorys_key_sees_nothing_and_changes_nothing(approve, site_export, it4lia_key):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)

    assert site(it4lia_key).get("/api/v1/site/handoffs/").json()["results"] == []
    assert site(it4lia_key).get(f"/api/v1/site/handoffs/{handoff.pk}/").status_code == 404
    refused = site(it4lia_key).post(
        f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json"
    )
    assert refused.status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == HandOff.Status.WAITING


@pytest.mark.parametrize("header", [None, "Site not-a-key", "Site", "Token abc"])
def test_it_refuses_without_a_valid_site_key(approve, site_export, header):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post(f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Site"
    handoff.refresh_from_db()
    assert handoff.status == HandOff.Status.WAITING


def test_people_are_refused_even_staff(approve, site_export, sam, alice):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)
    for person in (sam, alice):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=person).key}")
        assert client.get("/api/v1/site/handoffs/").status_code == 403
        response = client.post(f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json")
        assert response.status_code == 403
    handoff.refresh_from_db()
    assert handoff.status == HandOff.Status.WAITING


def test_a_revoked_key_is_refused(approve, site_export, lumi_key):
    from handoffs.models import SiteToken

    SiteToken.objects.update(revoked_at="2026-12-01T00:00:00Z")
    assert site(lumi_key).get("/api/v1/site/handoffs/").status_code == 401


def test_a_bad_confirmation_is_refused_with_nothing_saved(approve, site_export, lumi_key):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)
    url = f"/api/v1/site/handoffs/{handoff.pk}/confirm/"

    response = site(lumi_key).post(url, {"account": "Not A Slurm Name!"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"account"}
    assert site(lumi_key).get("/api/v1/site/handoffs/", {"status": "bogus"}).status_code == 400
    handoff.refresh_from_db()
    assert (handoff.status, handoff.slurm_account) == (
        "waiting",
        f"aif-{allocation.application_id}",
    )


def test_a_queued_hand_off_cannot_be_confirmed(approve, site_export, lumi_key):
    allocation = approve()
    handoff = HandOff.objects.get(allocation=allocation)
    HandOff.objects.filter(pk=handoff.pk).update(status="failed")

    response = site(lumi_key).post(
        f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json"
    )

    assert response.status_code == 409  # well-formed, refused by the hand-off's state
    assert response.json()["errors"]
    handoff.refresh_from_db()
    assert handoff.status == "failed"
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.AWARDED


def test_the_site_export_needs_the_cluster(site_x):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        HandOffSettings(factory=site_x.factory, backend="site_export").full_clean()


def test_the_sweep_hands_off_what_a_lost_message_left_behind(approve, site_export, settings):
    from datetime import timedelta

    from django.utils import timezone

    from allocations.models import Allocation
    from handoffs.tasks import sweep

    allocation = approve()
    HandOff.objects.filter(allocation=allocation).delete()  # as if the broker had been down
    assert sweep.delay().get() == 0  # within the grace period: not yet
    Allocation.objects.filter(pk=allocation.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 1)
    )

    assert sweep.delay().get() == 1

    assert HandOff.objects.get(allocation=allocation).status == HandOff.Status.WAITING
    assert sweep.delay().get() == 0  # handed off: nothing left to send


def test_an_allocation_closed_meanwhile_stays_closed_when_the_site_confirms(
    approve, site_export, lumi_key, site_x
):
    from allocations.services import allocation_close

    allocation = approve()
    allocation_close(allocation, actor=site_x.approver, reason="The project was cancelled.")
    handoff = HandOff.objects.get(allocation=allocation)

    response = site(lumi_key).post(
        f"/api/v1/site/handoffs/{handoff.pk}/confirm/", {}, format="json"
    )

    assert response.status_code == 200
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.CLOSED
