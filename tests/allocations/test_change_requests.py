"""Change requests: the holders ask (an extension, more GPU-hours, a team change) with a
reason; the site's approver decides; more GPU-hours only within the system's capacity; each on
the timeline; in the browser and the API; everybody else refused."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from allocations.models import Allocation, ChangeRequest, Report
from allocations.services import changes
from applications.models import ApplicationEvent
from factories.models import System
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def change_events(allocation):
    return list(
        ApplicationEvent.objects.filter(
            application=allocation.application, kind=ApplicationEvent.Kind.CHANGE_REQUEST
        ).values_list("message", flat=True)
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_approved_extension_moves_the_end_date_and_the_final_report(awarded, alice, site_x):
    new_end = awarded.end + datetime.timedelta(days=60)
    change = changes.change_request_create(
        awarded, user=alice, kind="extension", reason="The data arrived late.", new_end=new_end
    )
    changes.change_request_decide(
        change, approver=site_x.approver, outcome="approve", comment="Fine."
    )
    awarded.refresh_from_db()
    assert awarded.end == new_end
    assert awarded.reports.get(kind=Report.Kind.FINAL).due_on == new_end + datetime.timedelta(
        days=30
    )
    assert change_events(awarded) == [
        f"Requested: an extension of the end date to {new_end:%d %B %Y}. The data arrived late.",
        f"Approved: an extension of the end date to {new_end:%d %B %Y}. Fine.",
    ]


def test_approved_gpu_hours_are_added_and_counted_in_the_ledger(awarded, alice, site_x):
    from allocations.selectors import system_remaining_gpu_hours

    before = system_remaining_gpu_hours(system=site_x.system, year=awarded.period_year)
    change = changes.change_request_create(
        awarded, user=alice, kind="gpu_hours", reason="A longer run.", extra_gpu_hours=2000
    )
    changes.change_request_decide(change, approver=site_x.approver, outcome="approve", comment="Ok")
    awarded.refresh_from_db()
    assert awarded.extra_gpu_hours == 2000 and awarded.total_gpu_hours == 18_000
    after = system_remaining_gpu_hours(system=site_x.system, year=awarded.period_year)
    assert after == before - 2000


def test_more_gpu_hours_than_the_system_has_left_are_refused(awarded, alice, site_x):
    System.objects.filter(pk=site_x.system.pk).update(allocatable_gpu_hours_per_year=17_000)
    change = changes.change_request_create(
        awarded, user=alice, kind="gpu_hours", reason="A longer run.", extra_gpu_hours=2000
    )
    with pytest.raises(ValidationError) as error:
        changes.change_request_decide(
            change, approver=site_x.approver, outcome="approve", comment="Ok"
        )
    assert error.value.message_dict == {
        "extra_gpu_hours": [f"Only 1,000 GPU-hours are left on LUMI for {awarded.period_year}."]
    }
    change.refresh_from_db()
    awarded.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING and awarded.extra_gpu_hours == 0
    assert len(change_events(awarded)) == 1  # the request only


@pytest.mark.parametrize(
    "values, errors",
    [
        ({"kind": "extension", "reason": "Late."}, {"new_end": ["Give the new end date."]}),
        ({"kind": "extension", "reason": "Late.", "new_end": "past"}, "must be after"),
        ({"kind": "extension", "reason": "Late.", "new_end": "far"}, "At most 12 months more"),
        ({"kind": "gpu_hours", "reason": "More.", "extra_gpu_hours": 0}, "more than 0 GPU-hours"),
        ({"kind": "team", "reason": "Joins."}, "Say who joins or leaves"),
        ({"kind": "team", "reason": " ", "team_change": "Eve"}, "Say why you need this"),
        ({"kind": "holiday", "reason": "Why not"}, "Choose an extension, more"),
    ],
)  # fmt: skip
def test_a_bad_request_is_refused_by_field(awarded, alice, values, errors):
    if values.get("new_end") == "past":
        values["new_end"] = awarded.end
    elif values.get("new_end") == "far":
        values["new_end"] = awarded.end + datetime.timedelta(days=400)
    with pytest.raises(ValidationError) as error:
        changes.change_request_create(awarded, user=alice, **values)
    if isinstance(errors, dict):
        assert error.value.message_dict == errors
    else:
        assert errors in " ".join(error.value.messages)
    assert not ChangeRequest.objects.exists()


def test_one_pending_request_of_a_kind_at_a_time(awarded, alice):
    changes.change_request_create(awarded, user=alice, kind="team", reason="R", team_change="Eve")
    with pytest.raises(ValidationError) as error:
        changes.change_request_create(awarded, user=alice, kind="team", reason="R", team_change="X")
    assert "already waiting for a decision" in " ".join(error.value.messages)


def test_an_ended_allocation_takes_no_requests(awarded, alice):
    from allocations import services

    services.allocation_close(awarded, actor=None, reason="Stopped")
    with pytest.raises(ValidationError) as error:
        changes.change_request_create(awarded, user=alice, kind="team", reason="R", team_change="E")
    assert "closed early: it cannot be changed any more" in " ".join(error.value.messages)


def test_a_decided_request_is_not_decided_again(awarded, alice, site_x):
    change = changes.change_request_create(
        awarded, user=alice, kind="team", reason="R", team_change="Eve"
    )
    changes.change_request_decide(change, approver=site_x.approver, outcome="reject", comment="No")
    with pytest.raises(ValidationError):
        changes.change_request_decide(
            change, approver=site_x.approver, outcome="approve", comment="Yes"
        )


def test_only_the_sites_approver_decides(awarded, alice, site_y, staff):
    change = changes.change_request_create(
        awarded, user=alice, kind="team", reason="R", team_change="Eve"
    )
    for user in (alice, site_y.approver, staff):
        with pytest.raises(ChangeRequest.DoesNotExist):
            changes.change_request_decide(change, approver=user, outcome="approve", comment="Ok")
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING


def test_only_the_holders_ask(awarded, bob, site_x):
    for user in (bob, site_x.approver):
        with pytest.raises(Allocation.DoesNotExist):
            changes.change_request_create(
                awarded, user=user, kind="team", reason="R", team_change="Eve"
            )


# --- The browser ---------------------------------------------------------------------------------


def test_the_applicant_asks_in_the_browser_and_the_approver_decides(client, awarded, alice, site_x):
    login(client, alice)
    url = reverse("allocations:change-request-new", args=[awarded.application_id])
    response = client.post(
        url, {"kind": "gpu_hours", "extra_gpu_hours": "500", "reason": "A longer run."}, follow=True
    )
    assert "Your request was sent to the site." in response.content.decode()
    change = ChangeRequest.objects.get()
    login(client, site_x.approver)
    decide = reverse("allocations:change-request-decide", args=[awarded.application_id, change.pk])
    response = client.post(decide, {"outcome": "approve", "comment": "Granted."}, follow=True)
    assert "The request is approved." in response.content.decode()
    awarded.refresh_from_db()
    assert awarded.extra_gpu_hours == 500


def test_a_bad_request_in_the_browser_shows_the_error(client, awarded, alice):
    login(client, alice)
    url = reverse("allocations:change-request-new", args=[awarded.application_id])
    response = client.post(url, {"kind": "extension", "reason": "Late."})
    assert response.status_code == 400
    assert "Give the new end date." in response.content.decode()
    assert not ChangeRequest.objects.exists()


# --- The API -------------------------------------------------------------------------------------


def test_the_api_lists_creates_and_decides(awarded, alice, site_x):
    base = f"/api/v1/applications/{awarded.application_id}/allocation/change-requests/"
    response = api(alice).post(
        base,
        {"kind": "team", "reason": "Eve joins.", "team_change": "Eve, engineer"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    change_id = response.json()["id"]
    assert [c["kind"] for c in api(alice).get(base).json()] == ["team"]
    assert api(site_x.approver).get(base).status_code == 200
    response = api(site_x.approver).post(
        f"{base}{change_id}/decide/", {"outcome": "approve", "comment": "Welcome."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_the_api_refuses_a_bad_body_with_its_fields(awarded, alice):
    base = f"/api/v1/applications/{awarded.application_id}/allocation/change-requests/"
    response = api(alice).post(base, {"kind": "gpu_hours", "reason": "More."}, format="json")
    assert response.status_code == 409  # a rule of the service (portal/api.py)
    assert response.json()["errors"] == {"extra_gpu_hours": ["Ask for more than 0 GPU-hours."]}
    response = api(alice).post(base, {"kind": "nope"}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind", "reason"}
    assert not ChangeRequest.objects.exists()


def test_the_api_refuses_the_wrong_roles(awarded, alice, bob, site_x, site_y):
    base = f"/api/v1/applications/{awarded.application_id}/allocation/change-requests/"
    body = {"kind": "team", "reason": "R", "team_change": "Eve"}
    assert api(bob).post(base, body, format="json").status_code == 404
    assert api(site_x.approver).post(base, body, format="json").status_code == 404
    assert api(bob).get(base).status_code == 404
    change = changes.change_request_create(awarded, user=alice, **body)
    decide = f"{base}{change.pk}/decide/"
    for user in (alice, site_y.approver):
        response = api(user).post(decide, {"outcome": "approve", "comment": "Ok"}, format="json")
        assert response.status_code == 404
    response = api(site_x.approver).post(decide, {"outcome": "maybe"}, format="json")
    assert response.status_code == 400
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
