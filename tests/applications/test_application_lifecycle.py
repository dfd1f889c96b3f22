"""Draft → submitted → withdrawn: edits only in drafts, one submission, one event per change,
and the decision date counted in working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationEvent, Cutoff
from factories.models import System
from portal.workdays import working_days_between
from tests.helpers import call_form_parts, pdf, submitted_events

pytestmark = pytest.mark.django_db

Kind = ApplicationEvent.Kind


def api(pk: int, action: str = "") -> str:
    return f"/api/v1/applications/{pk}/" + (f"{action}/" if action else "")


def next_weekday(weekday: int, *, after_days: int = 1) -> datetime:
    """Noon (local time) on the next `weekday` (0 = Monday) at least `after_days` from today
    with no public holiday of Finland (LUMI's) in the three weeks after it: the tables below
    count Monday to Friday (holidays are counted in tests/portal/test_workdays.py)."""
    day = timezone.localdate() + timedelta(days=after_days)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while working_days_between(day, day + timedelta(days=21), country="FI") < 15:
        day += timedelta(days=7)
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def freeze(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


# --- Edits ----------------------------------------------------------------------------------------


def test_it_records_which_fields_an_edit_changed(alice, draft):
    services.application_update(application=draft, actor=alice, title="New title", gpu_hours=1000)

    event = draft.events.last()
    assert event.kind == Kind.EDITED
    assert event.extra == {"fields": ["title"]}
    assert event.actor == alice


def test_it_writes_no_event_for_an_edit_that_changes_nothing(alice, draft):
    services.application_update(application=draft, actor=alice, title=draft.title)

    assert list(draft.events.values_list("kind", flat=True)) == [Kind.CREATED]


def test_it_refuses_fields_an_applicant_may_not_set(alice, draft):
    with pytest.raises(ValidationError) as excinfo:
        services.application_update(application=draft, actor=alice, status="approved")

    assert excinfo.value.message_dict == {"status": ["This field cannot be set."]}
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_it_refuses_edits_after_submission(alice, submitted, media):
    with pytest.raises(ValidationError, match="This application is submitted: only drafts"):
        services.application_update(application=submitted, actor=alice, title="Changed")
    with pytest.raises(ValidationError, match="Only drafts can be edited"):
        services.team_members_set(
            application=submitted, actor=alice, members=[{"name": "X", "email": "x@example.org"}]
        )
    with pytest.raises(ValidationError, match="Only drafts can be edited"):
        services.attachment_add(application=submitted, actor=alice, upload=pdf())

    submitted.refresh_from_db()
    assert submitted.title == "Protein language model fine-tuning"
    assert not submitted.team_members.exists()
    assert not submitted.attachments.exists()
    assert not submitted.events.filter(kind=Kind.EDITED).exists()


def test_it_answers_409_to_an_api_patch_after_submission(client, alice, submitted):
    client.force_login(alice)

    response = client.patch(
        api(submitted.pk), {"title": "Changed"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "non_field_errors": ["This application is submitted: only drafts can be edited."]
    }
    submitted.refresh_from_db()
    assert submitted.title == "Protein language model fine-tuning"


def test_it_patches_a_draft_through_the_api(client, alice, draft):
    client.force_login(alice)

    response = client.patch(
        api(draft.pk),
        {"gpu_hours": 2000, "team_members": [{"name": "Dana", "email": "dana@example.org"}]},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["gpu_hours"] == 2000
    assert body["team_members"] == [
        {"name": "Dana", "email": "dana@example.org", "role": "", "affiliation": ""}
    ]
    draft.refresh_from_db()
    assert draft.gpu_hours == 2000


def test_it_sends_the_html_edit_of_a_submitted_application_to_its_page(client, alice, submitted):
    client.force_login(alice)

    response = client.post(
        f"/applications/{submitted.pk}/edit/project/", {"title": "Changed", "go": "next"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/applications/{submitted.pk}/"
    submitted.refresh_from_db()
    assert submitted.title == "Protein language model fine-tuning"


# --- Submission -----------------------------------------------------------------------------------


def test_it_writes_one_submitted_event(alice, draft):
    services.application_submit(application=draft, actor=alice)

    event = draft.events.get(kind=Kind.SUBMITTED)
    assert (event.from_status, event.to_status, event.actor) == ("draft", "submitted", alice)


def test_it_submits_once_when_called_twice(alice, draft):
    first = services.application_submit(application=draft, actor=alice)
    second = services.application_submit(application=draft, actor=alice)

    assert second.submitted_at == first.submitted_at
    assert submitted_events(draft) == 1
    draft.refresh_from_db()
    assert draft.submitted_at == first.submitted_at


def test_it_submits_once_when_the_api_is_called_twice(client, alice, draft):
    client.force_login(alice)

    first = client.post(api(draft.pk, "submit"))
    second = client.post(api(draft.pk, "submit"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == second.json()["status"] == "submitted"
    assert first.json()["submitted_at"] == second.json()["submitted_at"]
    assert submitted_events(draft) == 1
    assert [e["kind"] for e in second.json()["events"]] == ["created", "submitted"]


def test_it_submits_once_when_the_html_button_is_pressed_twice(client, alice, draft):
    client.force_login(alice)

    client.post(f"/applications/{draft.pk}/submit/")
    response = client.post(f"/applications/{draft.pk}/submit/")

    assert response.status_code == 302
    assert submitted_events(draft) == 1


# --- Withdrawal -----------------------------------------------------------------------------------


def test_it_withdraws_a_submitted_application(alice, submitted):
    services.application_withdraw(application=submitted, actor=alice)

    submitted.refresh_from_db()
    assert submitted.status == Application.Status.WITHDRAWN
    assert submitted.submitted_at is not None
    event = submitted.events.get(kind=Kind.WITHDRAWN)
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "withdrawn", alice)


def test_it_withdraws_a_draft(alice, draft):
    services.application_withdraw(application=draft, actor=alice)

    draft.refresh_from_db()
    assert draft.status == Application.Status.WITHDRAWN
    assert draft.events.get(kind=Kind.WITHDRAWN).from_status == "draft"


def test_it_withdraws_once_when_asked_twice(alice, submitted):
    services.application_withdraw(application=submitted, actor=alice)
    services.application_withdraw(application=submitted, actor=alice)

    submitted.refresh_from_db()
    assert submitted.status == Application.Status.WITHDRAWN
    assert submitted.events.filter(kind=Kind.WITHDRAWN).count() == 1


@pytest.mark.parametrize("fixture", ["draft", "submitted"])
def test_it_refuses_to_submit_a_withdrawn_application(request, alice, fixture):
    application = request.getfixturevalue(fixture)
    services.application_withdraw(application=application, actor=alice)

    with pytest.raises(ValidationError, match="This application is withdrawn and cannot be"):
        services.application_submit(application=application, actor=alice)

    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert submitted_events(application) == (1 if fixture == "submitted" else 0)


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_it_refuses_to_withdraw_after_a_decision(alice, submitted, decided):
    # Decisions arrive with the reviewer services; set the state directly here.
    Application.objects.filter(pk=submitted.pk).update(status=decided)

    with pytest.raises(ValidationError, match=f"already {decided}: it can no longer be withdrawn"):
        services.application_withdraw(application=submitted, actor=alice)

    submitted.refresh_from_db()
    assert submitted.status == decided
    assert not submitted.events.filter(kind=Kind.WITHDRAWN).exists()


def test_it_withdraws_through_the_api_once(client, alice, submitted):
    client.force_login(alice)

    first = client.post(api(submitted.pk, "withdraw"))
    second = client.post(api(submitted.pk, "withdraw"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "withdrawn"
    assert submitted.events.filter(kind=Kind.WITHDRAWN).count() == 1


def test_it_answers_409_to_submitting_a_withdrawn_application_in_the_api(client, alice, submitted):
    services.application_withdraw(application=submitted, actor=alice)
    client.force_login(alice)

    response = client.post(api(submitted.pk, "submit"))

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "non_field_errors": ["This application is withdrawn and cannot be submitted."]
    }


def test_it_withdraws_through_the_html_button(client, alice, submitted):
    client.force_login(alice)

    response = client.post(f"/applications/{submitted.pk}/withdraw/")

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.WITHDRAWN
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    assert "Withdrawn by the applicant." in page
    assert ">Withdraw</button>" not in page


# --- Decision dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "weekday", "days_later"),
    [
        # Fast Lane: 4 working days. Friday → Thursday; Saturday → Thursday; Monday → Friday.
        ("fast-lane", 4, 6),
        ("fast-lane", 5, 5),
        ("fast-lane", 0, 4),
        # Playground: 2 working days. Thursday → Monday.
        ("playground", 3, 4),
    ],
)
def test_it_expects_a_continuous_modes_decision_in_working_days_from_submission(
    monkeypatch, alice, modes, draft, mode, weekday, days_later
):
    submitted_at = next_weekday(weekday)
    months = 1 if mode == "playground" else 2
    services.application_update(
        application=draft,
        actor=alice,
        access_mode=modes[mode],
        duration_months=months,
        start_date=submitted_at.date() + timedelta(days=14),
    )
    freeze(monkeypatch, submitted_at)

    services.application_submit(application=draft, actor=alice)

    draft.refresh_from_db()
    assert draft.submitted_at == submitted_at
    assert draft.cutoff is None
    assert draft.expected_decision_by == submitted_at.date() + timedelta(days=days_later)


@pytest.mark.parametrize(
    ("system", "submitted_on", "decision"),
    [
        # Fast Lane: 4 working days. From Monday 2 December 2030 the fourth is Friday 6,
        # Independence Day in Finland: moved to Monday 9 for LUMI, not for IT4LIA.
        pytest.param("lumi", date(2030, 12, 2), date(2030, 12, 9), id="LUMI, December"),
        pytest.param("leonardo", date(2030, 12, 2), date(2030, 12, 6), id="IT4LIA, December"),
        # From Tuesday 23 April 2030: Thursday 25 is Liberation Day in Italy.
        pytest.param("lumi", date(2030, 4, 23), date(2030, 4, 29), id="LUMI, April"),
        pytest.param("leonardo", date(2030, 4, 23), date(2030, 4, 30), id="IT4LIA, April"),
    ],
)
def test_it_expects_the_decision_in_working_days_of_the_factorys_country(
    request, monkeypatch, alice, draft, system, submitted_on, decision
):
    if system == "leonardo":  # staffed and with a capacity, so that it takes applications
        request.getfixturevalue("site_y")
        System.objects.filter(slug=system).update(allocatable_gpu_hours_per_year=1_000_000)
    freeze(monkeypatch, timezone.make_aware(datetime.combine(submitted_on, time(12, 0))))
    services.application_update(
        application=draft,
        actor=alice,
        system=System.objects.get(slug=system),
        start_date=submitted_on + timedelta(days=14),
    )

    services.application_submit(application=draft, actor=alice)

    draft.refresh_from_db()
    assert draft.expected_decision_by == decision


def test_it_expects_a_cutoff_modes_decision_in_working_days_from_the_cutoff(alice, modes, draft):
    large_scale = modes["large-scale"]
    Cutoff.objects.filter(access_mode=large_scale).delete()
    friday = next_weekday(4, after_days=3).replace(hour=10)
    cutoff = Cutoff.objects.create(access_mode=large_scale, closes_at=friday)
    Cutoff.objects.create(access_mode=large_scale, closes_at=friday + timedelta(days=14))
    services.application_update(
        application=draft,
        actor=alice,
        access_mode=large_scale,
        gpu_hours=80_000,
        duration_months=6,
    )

    services.application_submit(application=draft, actor=alice)

    draft.refresh_from_db()
    assert draft.cutoff == cutoff
    # 10 working days after a Friday: the Friday two weeks later.
    assert draft.expected_decision_by == friday.date() + timedelta(days=14)
    assert draft.expected_decision_by.weekday() == 4


def test_it_batches_into_the_next_cutoff_not_a_past_one(alice, modes, draft):
    science = modes["ai-for-science"]
    services.application_update(
        application=draft, actor=alice, access_mode=science, duration_months=6
    )
    call_form_parts(draft, alice)

    services.application_submit(application=draft, actor=alice)

    draft.refresh_from_db()
    upcoming = science.cutoffs.filter(closes_at__gt=draft.submitted_at).order_by("closes_at")
    assert draft.cutoff == upcoming.first()
    assert draft.expected_decision_by > timezone.localdate(draft.cutoff.closes_at)
