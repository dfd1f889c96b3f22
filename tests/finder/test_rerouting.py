"""Re-routing across factories (reviews.services.rerouting): when its site cannot staff an
application, or its system has no GPU-hours left for it, the applicant is offered the finder's
alternatives and may accept one; staff may propose one. Never moved without the applicant."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from allocations.models import Allocation
from applications.models import Application, ApplicationEvent, ApplicationStatus
from factories.models import System
from finder.models import MoveProposal
from reviews.models import Assignment, RoutingRecord, SiteRole
from reviews.services import rerouting
from reviews.services import routing as routing_services
from tests.fixtures.reviews import CAPACITY, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_statistics():
    cache.clear()


@pytest.fixture
def leonardo(site_y, modes) -> System:
    """Site Y's system, able to take Fast Lane applications (a technical reviewer, an approver,
    a capacity)."""
    System.objects.filter(pk=site_y.system.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    if not modes["fast-lane"].systems.filter(pk=site_y.system.pk).exists():
        modes["fast-lane"].systems.add(site_y.system)
    site_y.system.refresh_from_db()
    return site_y.system


@pytest.fixture
def stranded(submit_application, site_x, leonardo) -> Application:
    """Alice's Fast Lane application at LUMI, which has lost its technical reviewers since:
    routing flags it "needs attention"."""
    application = submit_application()
    SiteRole.objects.filter(user__in=site_x.technical).update(is_active=False)
    Assignment.objects.filter(application=application).delete()
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.SUBMITTED)
    routing_services.application_route(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_ATTENTION
    return application


def _alternatives(client, application):
    response = client.get(f"/api/v1/applications/{application.pk}/alternatives/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_stranded_application_is_offered_the_systems_that_can_take_it(client, alice, stranded):
    login(client, alice)
    body = _alternatives(client, stranded)

    assert body["offered"] is True
    assert "cannot staff" in body["why"]
    assert [a["system"]["slug"] for a in body["alternatives"]] == ["leonardo"]
    assert body["alternatives"][0]["mode"]["slug"] == "fast-lane"
    page = client.get(f"/applications/{stranded.pk}/").content.decode()
    assert "Move your application to another AI Factory?" in page
    assert "Move it to Leonardo" in page or "Move it to LEONARDO" in page


def test_accepting_moves_it_routes_it_there_keeps_its_history_and_tells_both_sites(
    client, alice, stranded, site_x, site_y, django_capture_on_commit_callbacks
):
    events_before = stranded.events.count()
    login(client, alice)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/applications/{stranded.pk}/alternatives/accept/",
            {"system": "leonardo"},
            content_type="application/json",
        )

    assert response.status_code == 200, response.content
    stranded.refresh_from_db()
    assert stranded.system == site_y.system
    assert stranded.status == ApplicationStatus.UNDER_REVIEW
    assert stranded.attention_reason == ""
    assert stranded.events.count() > events_before  # kept, and added to
    move = stranded.events.filter(kind=ApplicationEvent.Kind.SUBMITTED).last()
    assert move.extra["moved_from"] == "lumi" and move.extra["moved_to"] == "leonardo"
    record = stranded.routing_records.first()
    assert record.factory == site_y.factory
    assert record.outcome == RoutingRecord.Outcome.ROUTED
    assert record.trigger == "moved: old site could not staff it"
    assert Assignment.objects.get(application=stranded).reviewer == site_y.technical[0]
    recipients = {m.to[0] for m in mail.outbox if "Moved to" in m.subject}
    assert {site_x.approver.email, site_y.approver.email} <= recipients


def test_accepting_on_the_page_moves_it(client, alice, stranded, site_y):
    login(client, alice)
    response = client.post(f"/finder/applications/{stranded.pk}/move/", {"system": "leonardo"})

    assert response.status_code == 302
    stranded.refresh_from_db()
    assert stranded.system == site_y.system
    assert "Moved to" in client.get(response["Location"]).content.decode()


def _unchanged(application: Application) -> None:
    before = (application.system_id, application.status, application.events.count())
    application.refresh_from_db()
    assert (application.system_id, application.status, application.events.count()) == before


@pytest.mark.parametrize("who", ["bob", "carol", "reviewer", "sam"])
def test_nobody_but_the_applicant_may_move_it(client, request, stranded, site_x, who):
    user = site_x.technical[0] if who == "reviewer" else request.getfixturevalue(who)
    login(client, user)
    api = client.post(
        f"/api/v1/applications/{stranded.pk}/alternatives/accept/",
        {"system": "leonardo"},
        content_type="application/json",
    )
    page = client.post(f"/finder/applications/{stranded.pk}/move/", {"system": "leonardo"})
    listing = client.get(f"/api/v1/applications/{stranded.pk}/alternatives/")

    assert (api.status_code, page.status_code, listing.status_code) == (404, 404, 404)
    _unchanged(stranded)


def test_the_service_refuses_another_user(stranded, bob, leonardo):
    with pytest.raises(PermissionDenied):
        rerouting.application_move(application=stranded, system=leonardo, actor=bob)
    _unchanged(stranded)


@pytest.mark.parametrize(
    ("system", "message"),
    [("lumi", "already at this system"), ("jupiter", "cannot"), ("nowhere", "No such system")],
)
def test_a_system_that_cannot_take_it_is_refused_with_the_reason(
    client, alice, stranded, system, message
):
    login(client, alice)
    response = client.post(
        f"/api/v1/applications/{stranded.pk}/alternatives/accept/",
        {"system": system},
        content_type="application/json",
    )

    assert response.status_code == 409  # well-formed, refused by a rule (portal/api.py)
    text = " ".join(response.json()["errors"]["system"])
    assert message in text or ("not" in text and system == "jupiter")
    page = client.post(f"/finder/applications/{stranded.pk}/move/", {"system": system})
    assert page.status_code == 400
    _unchanged(stranded)


def test_an_application_its_site_can_take_is_not_offered_a_move(client, alice, routed, leonardo):
    login(client, alice)
    body = _alternatives(client, routed)

    assert body["application"]["id"] == routed.pk
    assert (body["offered"], body["why"], body["proposed"], body["alternatives"]) == (
        False,
        "",
        [],
        [],
    )
    response = client.post(
        f"/api/v1/applications/{routed.pk}/alternatives/accept/",
        {"system": "leonardo"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "cannot be moved" in str(response.json())
    _unchanged(routed)
    assert "Move your application" not in client.get(f"/applications/{routed.pk}/").content.decode()


def test_staff_propose_and_only_the_applicants_acceptance_moves_it(
    client, alice, sam, routed, leonardo, site_y, django_capture_on_commit_callbacks
):
    login(client, sam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/finder/applications/{routed.pk}/propose/",
            {"system": "leonardo", "reason": "LUMI is full this quarter."},
        )
    assert response.status_code == 302
    proposal = MoveProposal.objects.get(application=routed)
    assert proposal.status == MoveProposal.Status.PENDING
    routed.refresh_from_db()
    assert routed.system.slug == "lumi"  # proposed, not moved
    assert any("A proposal to move" in m.subject for m in mail.outbox)

    login(client, alice)
    body = _alternatives(client, routed)
    assert body["offered"] is True and body["proposed"] == ["leonardo"]
    page = client.get(f"/applications/{routed.pk}/").content.decode()
    assert "proposed by the portal&#x27;s staff" in page or "proposed by the portal's staff" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/finder/applications/{routed.pk}/move/", {"system": "leonardo"})

    routed.refresh_from_db()
    proposal.refresh_from_db()
    assert routed.system == site_y.system
    assert proposal.status == MoveProposal.Status.ACCEPTED
    assert routed.routing_records.first().trigger == "moved: staff proposal, applicant agreed"
    # The assignment at LUMI was closed, not left on its reviewer's desk; Leonardo's is open.
    statuses = dict(routed.assignments.values_list("reviewer__email", "status"))
    assert statuses["tess@csc.fi"] == Assignment.Status.CLOSED
    assert statuses["yann@cineca.it"] == Assignment.Status.PENDING


def test_staff_cannot_propose_a_system_that_cannot_take_it(client, sam, routed):
    login(client, sam)
    response = client.post(f"/finder/applications/{routed.pk}/propose/", {"system": "jupiter"})

    assert response.status_code == 400
    assert not MoveProposal.objects.exists()


def test_a_reviewed_application_is_not_moved(client, alice, stranded, site_x):
    Assignment.objects.create(
        application=stranded,
        reviewer=site_x.scientific[0],
        kind=Assignment.Kind.SCIENTIFIC,
        status=Assignment.Status.DONE,
        due_by=timezone.localdate(),
    )
    login(client, alice)

    assert _alternatives(client, stranded)["offered"] is False


def test_an_application_whose_system_has_no_gpu_hours_left_is_offered_a_move(
    client, alice, routed, submit_application, site_x, leonardo, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    Allocation.objects.create(
        application=submit_application(title="Another one"),
        system=site_x.system,
        gpu_hours=CAPACITY,
        start=today,
        end=date(today.year, 12, 31),
        period_year=today.year,
    )
    cache.clear()
    login(client, alice)

    body = _alternatives(client, routed)
    assert "no GPU-hours left" in body["why"]
    assert [a["system"]["slug"] for a in body["alternatives"]] == ["leonardo"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/applications/{routed.pk}/alternatives/accept/",
            {"system": "leonardo"},
            content_type="application/json",
        )

    assert response.status_code == 200
    routed.refresh_from_db()
    assert routed.system == leonardo
    assert routed.routing_records.first().trigger == "moved: no GPU-hours left at old system"
