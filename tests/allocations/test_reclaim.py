"""Reclaim: the site gives notice (10 working days to answer, on the timeline and by email),
the holder answers with a text, the site's approver returns unused GPU-hours to the system's
capacity (the ledger) or withdraws; never more than is unused; everybody else refused; in the
browser and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from allocations import services
from allocations.models import ReclaimNotice
from allocations.selectors import system_remaining_gpu_hours
from allocations.services import reclaim
from applications.models import ApplicationEvent
from notifications.models import Notification
from portal.workdays import add_working_days
from tests.allocations.conftest import AWARD
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def events(allocation) -> list[str]:
    return list(
        ApplicationEvent.objects.filter(
            application=allocation.application, kind=ApplicationEvent.Kind.ALLOCATION
        )
        .order_by("pk")
        .values_list("message", flat=True)
    )


@pytest.fixture
def used(awarded):
    services.allocation_activate(awarded, actor=None, reason="Hand-off completed")
    return services.allocation_record_usage(awarded, Decimal("2000.5"))  # 13,999 unused


def test_notice_answer_and_reclaim_move_the_ledger(used, alice, site_x):
    system, year = used.system, used.period_year
    left_before = system_remaining_gpu_hours(system=system, year=year)
    today = datetime.date(2027, 3, 1)
    notice = reclaim.reclaim_notice_create(
        used, approver=site_x.approver, gpu_hours=6000, reason="Idle since March.", today=today
    )
    assert notice.deadline == add_working_days(today, 10, country=system.factory.country)
    assert Notification.objects.get(key=f"reclaim-notice:{notice.pk}").recipient == alice.email
    reclaim.reclaim_notice_answer(notice, user=alice, text="We start next week; keep 2,000.")
    assert Notification.objects.filter(key__startswith=f"reclaim-answered:{notice.pk}:").exists()
    notice = reclaim.reclaim_decide(
        notice, approver=site_x.approver, outcome="reclaim", gpu_hours=4000, comment="4,000 back."
    )
    used.refresh_from_db()
    assert notice.status == ReclaimNotice.Status.RECLAIMED and notice.reclaimed_gpu_hours == 4000
    assert used.reclaimed_gpu_hours == 4000 and used.total_gpu_hours == AWARD - 4000
    assert system_remaining_gpu_hours(system=system, year=year) == left_before + 4000
    messages = events(used)
    assert messages[-3].startswith("Reclaim notice: 6,000 unused GPU-hours, answer by")
    assert messages[-2] == "Reclaim notice answered: We start next week; keep 2,000."
    assert messages[-1].startswith("Reclaimed: 4,000 unused GPU-hours returned to")
    assert Notification.objects.filter(key=f"reclaim-decided:{notice.pk}").exists()


def test_never_more_than_is_unused(used, site_x):
    with pytest.raises(ValidationError) as error:
        reclaim.reclaim_notice_create(used, approver=site_x.approver, gpu_hours=14000, reason="R")
    assert error.value.message_dict == {
        "gpu_hours": ["Only 13,999 GPU-hours of this allocation are unused."]
    }
    notice = reclaim.reclaim_notice_create(
        used, approver=site_x.approver, gpu_hours=13999, reason="R", today=datetime.date(2027, 1, 4)
    )
    services.allocation_record_usage(used, 10000)  # used since the notice
    with pytest.raises(ValidationError) as error:
        reclaim.reclaim_decide(
            notice, approver=site_x.approver, outcome="reclaim", comment="C",
            today=datetime.date(2027, 2, 1),
        )  # fmt: skip
    assert error.value.message_dict == {
        "gpu_hours": ["Only 6,000 GPU-hours of this allocation are unused."]
    }
    used.refresh_from_db()
    assert used.reclaimed_gpu_hours == 0
    assert ReclaimNotice.objects.get().status == ReclaimNotice.Status.OPEN


def test_no_reclaim_before_the_deadline_unless_answered(used, site_x):
    today = datetime.date(2027, 1, 4)
    notice = reclaim.reclaim_notice_create(
        used, approver=site_x.approver, gpu_hours=100, reason="R", today=today
    )
    with pytest.raises(ValidationError, match="may answer until"):
        reclaim.reclaim_decide(
            notice, approver=site_x.approver, outcome="reclaim", comment="C", today=notice.deadline
        )
    after = notice.deadline + datetime.timedelta(days=1)
    reclaim.reclaim_decide(
        notice, approver=site_x.approver, outcome="reclaim", comment="C", today=after
    )
    used.refresh_from_db()
    assert used.reclaimed_gpu_hours == 100


def test_one_open_notice_at_a_time_and_a_withdrawn_one_keeps_the_hours(used, site_x):
    notice = reclaim.reclaim_notice_create(used, approver=site_x.approver, gpu_hours=5, reason="R")
    with pytest.raises(ValidationError, match="open already"):
        reclaim.reclaim_notice_create(used, approver=site_x.approver, gpu_hours=5, reason="R")
    reclaim.reclaim_decide(notice, approver=site_x.approver, outcome="withdraw", comment="Fine.")
    with pytest.raises(ValidationError, match="withdrawn already"):
        reclaim.reclaim_decide(notice, approver=site_x.approver, outcome="reclaim", comment="C")
    used.refresh_from_db()
    assert used.reclaimed_gpu_hours == 0
    assert reclaim.reclaim_notice_create(used, approver=site_x.approver, gpu_hours=5, reason="R")


def test_the_browser_flow_and_its_refusals(client, used, alice, bob, site_x, site_y):
    base = reverse("allocations:detail", args=[used.application_id])
    new = reverse("allocations:reclaim-new", args=[used.application_id])
    login(client, site_x.approver)
    assert "Give notice of reclaiming unused GPU-hours" in client.get(base).content.decode()
    response = client.post(new, {"gpu_hours": "20000", "reason": "Idle."}, follow=True)
    assert "Only 13,999 GPU-hours of this allocation are unused." in response.content.decode()
    response = client.post(new, {"gpu_hours": "nope", "reason": ""}, follow=True)
    assert "Give the GPU-hours to reclaim" in response.content.decode()
    assert not ReclaimNotice.objects.exists()
    for user in (alice, bob, site_y.approver):
        login(client, user)
        assert client.post(new, {"gpu_hours": "10", "reason": "R"}).status_code == 404
    assert not ReclaimNotice.objects.exists()
    login(client, site_x.approver)
    response = client.post(new, {"gpu_hours": "3000", "reason": "Idle."}, follow=True)
    assert "The notice is sent: the holder may answer until" in response.content.decode()
    notice = ReclaimNotice.objects.get()
    answer = reverse("allocations:reclaim-answer", args=[used.application_id, notice.pk])
    assert client.post(answer, {"answer": "No."}).status_code == 404  # the site does not answer
    login(client, alice)
    response = client.post(answer, {"answer": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(answer, {"answer": "We need 1,000 of them."}, follow=True)
    assert "Your answer was sent to the site." in response.content.decode()
    decide = reverse("allocations:reclaim-decide", args=[used.application_id, notice.pk])
    assert client.post(decide, {"outcome": "reclaim", "comment": "C"}).status_code == 404
    login(client, site_x.approver)
    response = client.post(
        decide, {"outcome": "reclaim", "gpu_hours": "2000", "comment": "2,000 back."}, follow=True
    )
    assert "The notice is reclaimed." in response.content.decode()
    used.refresh_from_db()
    assert used.reclaimed_gpu_hours == 2000
    assert "2,000 reclaimed" in client.get(base).content.decode()


def test_the_api_flow_and_its_refusals(used, alice, bob, site_x, site_y, staff):
    base = f"/api/v1/applications/{used.application_id}/allocation/reclaim-notices/"
    assert api(site_x.approver).post(base, {"gpu_hours": 0}, format="json").status_code == 400
    response = api(site_x.approver).post(
        base, {"gpu_hours": 14000, "reason": "Idle."}, format="json"
    )
    assert response.status_code == 409  # a rule of the service (portal/api.py)
    assert response.json()["errors"] == {
        "gpu_hours": ["Only 13,999 GPU-hours of this allocation are unused."]
    }
    for user in (alice, bob, site_y.approver, staff):
        assert (
            api(user).post(base, {"gpu_hours": 1, "reason": "R"}, format="json").status_code == 404
        )
    assert not ReclaimNotice.objects.exists()
    response = api(site_x.approver).post(base, {"gpu_hours": 500, "reason": "R"}, format="json")
    assert response.status_code == 201, response.json()
    notice_id = response.json()["id"]
    assert [n["status"] for n in api(alice).get(base).json()] == ["open"]
    assert api(bob).get(base).status_code == 404
    answer, decide = f"{base}{notice_id}/answer/", f"{base}{notice_id}/decide/"
    assert api(alice).post(answer, {}, format="json").status_code == 400
    for user in (bob, site_x.approver):
        assert api(user).post(answer, {"text": "T"}, format="json").status_code == 404
    assert api(alice).post(answer, {"text": "Take them."}, format="json").status_code == 200
    assert api(alice).post(answer, {"text": "Again."}, format="json").status_code == 409
    for user in (alice, site_y.approver, staff):
        body = {"outcome": "reclaim", "comment": "C"}
        assert api(user).post(decide, body, format="json").status_code == 404
    assert api(site_x.approver).post(decide, {"outcome": "?"}, format="json").status_code == 400
    response = api(site_x.approver).post(
        decide, {"outcome": "reclaim", "comment": "Back.", "gpu_hours": 501}, format="json"
    )
    assert response.status_code == 409
    response = api(site_x.approver).post(
        decide, {"outcome": "reclaim", "comment": "Back."}, format="json"
    )
    assert response.status_code == 200 and response.json()["reclaimed_gpu_hours"] == 500
    allocation = api(alice).get(f"/api/v1/applications/{used.application_id}/allocation/").json()
    assert allocation["reclaimed_gpu_hours"] == 500 and allocation["total_gpu_hours"] == AWARD - 500
