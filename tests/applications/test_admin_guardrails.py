"""The admin cannot break the audit trail: applications, their events and routing records,
reviews, decisions and allocations are never deleted there, events never edited, and a user or
an organisation whose deletion would take the trail with it is refused."""

from __future__ import annotations

import pytest

from accounts.models import User
from allocations.models import Allocation
from applications import services
from applications.models import Application, ApplicationEvent
from organisations.models import Organisation
from reviews.models import ConflictOfInterest, Decision, Review, RoutingRecord
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import review_all
from tests.helpers import pdf

pytestmark = pytest.mark.django_db

ADMIN = "/admin/organisations"


@pytest.fixture
def decided(alice_org, submit_application, site_x, media):
    """Alice's Fast Lane application at LUMI, with a team member and an attachment, routed
    (Theo excluded: a declared conflict with her organisation), reviewed by Tess and approved
    by Paula: it has events, a routing record, a review, a decision and an allocation."""
    theo = site_x.technical[1]
    ConflictOfInterest.objects.create(reviewer=theo, organisation=alice_org, reason="Ex-employer")
    application = submit_application(team=["bo@partner.eu"], upload=pdf())
    routing_services.application_route(application_id=application.pk)
    review_all(application)
    decision_services.application_decide(
        application=application,
        approver=site_x.approver,
        outcome="approve",
        gpu_hours=800,
        comment="A sound plan.",
    )
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    return application


def _rows(application: Application) -> dict[type, set[int]]:
    """The audit trail of `application`, by model."""
    reviews = Review.objects.filter(assignment__application=application)
    return {
        Application: {application.pk},
        ApplicationEvent: set(application.events.values_list("pk", flat=True)),
        RoutingRecord: set(application.routing_records.values_list("pk", flat=True)),
        Review: set(reviews.values_list("pk", flat=True)),
        Decision: {application.decision.pk},
        Allocation: {application.allocation.pk},
    }  # fmt: skip


def _still_there(rows: dict[type, set[int]]) -> None:
    for model, pks in rows.items():
        assert pks, model
        assert set(model.objects.filter(pk__in=pks).values_list("pk", flat=True)) == pks, model


def _url(model: type, pk: int | None = None, page: str = "") -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return f"{base}{pk}/{page}" if pk is not None else base


PROTECTED = [Application, ApplicationEvent, RoutingRecord, Review, Decision, Allocation]


# --- Nothing of the trail is deleted ------------------------------------------------------------


@pytest.mark.parametrize("model", PROTECTED, ids=lambda m: m.__name__)
def test_it_refuses_the_delete_page(client, sam, decided, model):
    rows = _rows(decided)
    pk = min(rows[model])
    client.force_login(sam)

    assert client.get(_url(model, pk, "delete/")).status_code == 403
    assert client.post(_url(model, pk, "delete/"), {"post": "yes"}).status_code == 403

    _still_there(rows)


@pytest.mark.parametrize("model", PROTECTED, ids=lambda m: m.__name__)
def test_it_offers_no_bulk_delete_and_refuses_a_forged_one(client, sam, decided, model):
    rows = _rows(decided)
    client.force_login(sam)

    page = client.get(_url(model))
    response = client.post(
        _url(model),
        {"action": "delete_selected", "_selected_action": sorted(rows[model]), "post": "yes"},
    )

    assert page.status_code == 200
    assert page.context["cl"].result_count == len(rows[model])
    action_form = page.context["action_form"]
    actions = [name for name, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in actions
    assert response.status_code in (200, 302)
    _still_there(rows)


def test_it_keeps_route_again_as_the_only_action_on_applications(client, sam, decided):
    client.force_login(sam)

    page = client.get(_url(Application))

    choices = [name for name, _ in page.context["action_form"].fields["action"].choices]
    assert choices == ["", "route_again"]


# --- Events and routing records are view only ---------------------------------------------------


def test_it_shows_an_event_but_refuses_to_change_or_add_one(client, sam, decided):
    event = decided.events.get(kind=ApplicationEvent.Kind.APPROVED)
    client.force_login(sam)

    page = client.get(_url(ApplicationEvent, event.pk, "change/"))
    changed = client.post(
        _url(ApplicationEvent, event.pk, "change/"),
        {"message": "Rejected, in fact.", "kind": "rejected", "to_status": "rejected"},
    )
    added = client.post(
        _url(ApplicationEvent) + "add/",
        {"application": decided.pk, "kind": "approved", "to_status": "approved"},
    )

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="message"' not in page.content.decode()
    assert "Approved: 800 GPU-hours on LUMI." in page.content.decode()
    assert changed.status_code == 403
    assert added.status_code == 403
    event.refresh_from_db()
    assert (event.kind, event.message) == ("approved", "Approved: 800 GPU-hours on LUMI.")
    assert decided.events.count() == len(_rows(decided)[ApplicationEvent])


def test_it_shows_the_events_in_the_application_page_as_text_only(client, sam, decided):
    client.force_login(sam)

    html = client.get(_url(Application, decided.pk, "change/")).content.decode()

    assert "Approved: 800 GPU-hours on LUMI." in html
    # Only the hidden keys of each row are inputs: no field to edit, no box to delete it.
    for prefix, field in [
        ("events", "message"),
        ("routing_records", "reason"),
        ("team_members", "name"),
        ("attachments", "name"),
    ]:
        assert f'name="{prefix}-0-id"' in html, prefix
        assert f'name="{prefix}-0-{field}"' not in html, prefix
        assert f'name="{prefix}-0-DELETE"' not in html, prefix


def test_it_refuses_to_change_or_add_a_routing_record(client, sam, decided):
    record = decided.routing_records.get()
    client.force_login(sam)

    changed = client.post(_url(RoutingRecord, record.pk, "change/"), {"reason": "Forged."})
    added = client.get(_url(RoutingRecord) + "add/")

    assert (changed.status_code, added.status_code) == (403, 403)
    record.refresh_from_db()
    assert record.reason != "Forged."


# --- The routing record reads as text -----------------------------------------------------------


def _text(html: str) -> str:
    return " ".join(html.split())


def test_it_shows_the_routing_record_as_readable_text(client, sam, decided):
    record = decided.routing_records.get()
    client.force_login(sam)

    response = client.get(_url(RoutingRecord, record.pk, "change/"))

    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "Routed (trigger: submit), 5 candidate(s)." in text
    assert (
        "<td>chosen</td><td>tess@csc.fi</td><td>technical</td>"
        "<td>0 open assignment(s), matching expertise</td>"
    ) in text
    assert (
        "<td>excluded</td><td>theo@csc.fi</td><td>technical</td>"
        "<td>declared a conflict of interest with the applicant&#x27;s organisation</td>"
    ) in text
    assert "<td>not needed</td><td>sara@csc.fi, saul@csc.fi, sven@csc.fi</td>" in text
    assert "user_id" not in text
    assert "[{" not in text and "{&quot;" not in text


def test_it_shows_the_routing_record_readably_in_the_application_page(client, sam, decided):
    client.force_login(sam)

    text = _text(client.get(_url(Application, decided.pk, "change/")).content.decode())

    assert "<td>chosen</td><td>tess@csc.fi</td>" in text
    assert "<td>excluded</td><td>theo@csc.fi</td>" in text
    assert "user_id" not in text  # the raw JSON of the record is not shown


def test_it_escapes_what_the_routing_record_holds(client, sam, decided):
    record = decided.routing_records.get()
    script = "<script>alert(1)</script>"
    RoutingRecord.objects.filter(pk=record.pk).update(
        reason=script,
        exclusions=[{"user_id": 1, "email": script, "kind": "technical", "reason": script}],
        chosen=[{"email": script, "kind": script, "open_assignments": script}],
        candidates=[1, 2, 99_999],
    )
    client.force_login(sam)

    html = client.get(_url(RoutingRecord, record.pk, "change/")).content.decode()

    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "user #99999" in html  # a candidate no longer in the database


# --- Deleting a user or an organisation -----------------------------------------------------------


def test_it_refuses_to_delete_a_user_who_acted_in_the_audit_trail(client, sam, rita, submitted):
    services.application_withdraw(application=submitted, actor=rita)
    event = submitted.events.get(kind=ApplicationEvent.Kind.WITHDRAWN)
    client.force_login(sam)
    url = f"/admin/accounts/user/{rita.pk}/delete/"

    page = client.get(url)
    response = client.post(url, {"post": "yes"})
    bulk = client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [rita.pk], "post": "yes"},
    )

    text = _text(page.content.decode())
    assert "Cannot delete user" in text
    assert (
        "1 application event records rita@example.org as its actor: deactivate the user "
        "(untick Active) instead of deleting them."
    ) in text
    assert response.status_code == 200
    assert "Cannot delete user" in response.content.decode()
    assert bulk.status_code == 200
    assert "rita@example.org as its actor" in bulk.content.decode()
    assert User.objects.filter(pk=rita.pk).exists()
    event.refresh_from_db()
    assert event.actor == rita


def test_it_still_deletes_a_user_with_no_part_in_the_trail(client, sam, bob):
    client.force_login(sam)
    url = f"/admin/accounts/user/{bob.pk}/delete/"

    assert "Are you sure" in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists()


def test_it_refuses_to_delete_the_applicant_or_the_organisation_of_an_application(
    client, sam, alice, alice_org, decided
):
    rows = _rows(decided)
    client.force_login(sam)

    for url in (
        f"/admin/accounts/user/{alice.pk}/delete/",
        f"{ADMIN}/organisation/{alice_org.pk}/delete/",
    ):
        page = client.get(url)
        response = client.post(url, {"post": "yes"})

        assert "Cannot delete" in page.content.decode(), url
        assert "<li>application</li>" in _text(page.content.decode()), url
        assert response.status_code == 200, url

    assert User.objects.filter(pk=alice.pk).exists()
    assert Organisation.objects.filter(pk=alice_org.pk).exists()
    _still_there(rows)


# --- Outsiders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "change/", "delete/"])
def test_it_sends_a_non_staff_user_to_the_login_page(client, alice, decided, page):
    rows = _rows(decided)
    record = min(rows[RoutingRecord])
    client.force_login(alice)

    response = client.post(_url(RoutingRecord, record, page)) if page == "delete/" else None
    got = client.get(_url(RoutingRecord, record, page) if page else _url(RoutingRecord))

    for answer in filter(None, (response, got)):
        assert answer.status_code == 302
        assert "/login/" in answer["Location"]
    assert "tess@csc.fi" not in got.content.decode()
    _still_there(rows)
