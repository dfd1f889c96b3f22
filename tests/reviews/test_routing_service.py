"""`application_route` with the database: assignments, the routing record, the state change,
one email per reviewer however often it runs, and applications a site cannot staff."""

from __future__ import annotations

import pytest

from applications.models import Application, ApplicationEvent, ApplicationStatus
from factories.models import System
from notifications import services as notifications_services
from notifications.models import Notification
from organisations.models import Membership
from portal.workdays import add_working_days
from reviews.models import Assignment, ConflictOfInterest, RoutingRecord, SiteRole
from reviews.services import routing as routing_services
from tests.fixtures.reviews import login, site_person

pytestmark = pytest.mark.django_db


def route(application, django_capture_on_commit_callbacks, **kwargs):
    """Route as the task does, and run what it enqueues on commit (the emails)."""
    with django_capture_on_commit_callbacks(execute=True):
        return routing_services.application_route(application_id=application.pk, **kwargs)


def test_it_assigns_a_fast_lane_application_and_records_why(
    submit_application, site_x, django_capture_on_commit_callbacks
):
    tess = site_x.technical[0]
    application = submit_application()

    record = route(application, django_capture_on_commit_callbacks)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assignment = application.assignments.get()
    assert (assignment.reviewer, assignment.kind, assignment.status) == (
        tess,
        Assignment.Kind.TECHNICAL,
        Assignment.Status.PENDING,
    )
    # Two working days in Finland before the decision date: the approver's time to decide.
    assert assignment.due_by == add_working_days(application.expected_decision_by, -2, country="FI")
    assert record == application.routing_records.get()
    assert record.outcome == RoutingRecord.Outcome.ROUTED
    assert record.factory == site_x.factory
    assert record.trigger == "submit"
    assert record.candidates == sorted(u.pk for u in site_x.reviewers)
    assert record.exclusions == []
    assert record.chosen == [
        {
            "user_id": tess.pk,
            "email": "tess@csc.fi",
            "kind": "technical",
            "open_assignments": 0,
            "expertise_match": True,
        }
    ]
    assert "tess@csc.fi (0 open assignments, matching expertise)" in record.reason
    event = application.events.get(kind=ApplicationEvent.Kind.ROUTED)
    assert (event.from_status, event.to_status, event.actor) == (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.UNDER_REVIEW,
        None,
    )
    assert not event.internal


def test_it_records_exclusions_with_reasons_and_loads(
    submit_application, site_x, alice_org, django_capture_on_commit_callbacks
):
    tess, theo = site_x.technical
    f = site_x.factory
    # Tess, the health expert, declared a conflict with Alice's organisation; Theo has a load.
    ConflictOfInterest.objects.create(reviewer=tess, organisation=alice_org, reason="Ex-employer")
    colleague = site_person(f, "cleo@csc.fi", "Cleo Colleague", SiteRole.Role.TECHNICAL)
    Membership.objects.create(user=colleague, organisation=alice_org)
    namesake = site_person(f, "dora@example.org", "Dora Domain", SiteRole.Role.TECHNICAL)
    teammate = site_person(f, "tim@tu-berlin.de", "Tim Team", SiteRole.Role.TECHNICAL)
    domain_mate = site_person(f, "tara@uni-heidelberg.de", "Tara Domain", SiteRole.Role.TECHNICAL)
    webmail = site_person(f, "wendy@gmail.com", "Wendy Webmail", SiteRole.Role.TECHNICAL)
    route(submit_application(title="Earlier"), django_capture_on_commit_callbacks)  # -> Theo
    application = submit_application(
        team=["tim@tu-berlin.de", "ben@uni-heidelberg.de", "carla@gmail.com"]
    )

    record = route(application, django_capture_on_commit_callbacks)

    reasons = {e["email"]: e["reason"] for e in record.exclusions}
    assert reasons == {
        "tess@csc.fi": "declared a conflict of interest with the applicant's organisation",
        colleague.email: "member of the applicant's organisation",
        namesake.email: "same email domain as the applicant or a team member (example.org)",
        teammate.email: "is a member of the project team",
        domain_mate.email: (
            "same email domain as the applicant or a team member (uni-heidelberg.de)"
        ),
    }
    assert all(e["kind"] == "technical" for e in record.exclusions)
    # Theo has one open assignment already; Wendy (webmail like a team member) has none.
    assert record.chosen == [
        {
            "user_id": webmail.pk,
            "email": "wendy@gmail.com",
            "kind": "technical",
            "open_assignments": 0,
            "expertise_match": False,
        }
    ]
    assert theo.pk in record.candidates
    assert list(application.assignments.values_list("reviewer__email", flat=True)) == [
        "wendy@gmail.com"
    ]


def test_it_routes_large_scale_to_one_technical_and_two_scientific_reviewers(
    submit_application, site_x, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_application(mode="large-scale")

    route(application, django_capture_on_commit_callbacks)

    kinds = sorted(application.assignments.values_list("kind", "reviewer__email"))
    assert kinds == [
        ("scientific", "sara@csc.fi"),
        ("scientific", "saul@csc.fi"),
        ("technical", "tess@csc.fi"),
    ]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert sorted(m.to[0] for m in mailoutbox) == ["sara@csc.fi", "saul@csc.fi", "tess@csc.fi"]


def test_it_routes_once_and_emails_each_reviewer_once_when_run_twice(
    submit_application, site_x, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_application(mode="large-scale")

    first = route(application, django_capture_on_commit_callbacks)
    second = route(application, django_capture_on_commit_callbacks)

    assert first is not None
    assert second is None
    assert application.assignments.count() == 3
    assert application.routing_records.count() == 1
    assert application.events.filter(kind=ApplicationEvent.Kind.ROUTED).count() == 1
    # The applicant's receipt (its send enqueued at the submit's commit, not run here) aside.
    assigned = Notification.objects.exclude(key=f"receipt:{application.pk}")
    keys = sorted(assigned.values_list("key", flat=True))
    assert keys == sorted(f"assigned:{a.pk}" for a in application.assignments.all())
    assert assigned.filter(sent_at__isnull=True).count() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["sara@csc.fi", "saul@csc.fi", "tess@csc.fi"]
    assert "/review/assignments/" in mailoutbox[0].body

    # A retried send finds sent_at set and sends nothing.
    for notification in assigned:
        assert notifications_services.notification_send(notification_id=notification.pk) is False
    assert len(mailoutbox) == 3


def test_it_does_not_route_a_draft_or_a_withdrawn_application(
    submit_application, alice, site_x, django_capture_on_commit_callbacks
):
    from applications import services

    application = submit_application()
    services.application_withdraw(application=application, actor=alice)

    assert route(application, django_capture_on_commit_callbacks) is None
    assert not application.assignments.exists()
    assert not application.routing_records.exists()


# --- A site that cannot staff the application -----------------------------------------------------


@pytest.fixture
def meluxina(catalogue) -> System:
    """MeluXina: operational, at a factory with nobody to review."""
    return System.objects.get(slug="meluxina")


def submit_unstaffed(submit_application, system: System, **values) -> Application:
    """An application for `system`, whose site has nobody to review. Submission refuses such a
    site, so it is submitted at LUMI (staffed) and its system is then `system`: as if the site's
    reviewers had left between submission and routing."""
    application = submit_application(**values)
    Application.objects.filter(pk=application.pk).update(system=system)
    application.refresh_from_db()
    return application


def test_it_flags_an_application_a_site_cannot_staff_and_tells_the_admins(
    submit_application,
    meluxina,
    admin_user,
    site_x,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    application = submit_unstaffed(submit_application, meluxina)

    record = route(application, django_capture_on_commit_callbacks)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_ATTENTION
    reason = "Not enough eligible reviewers at this site: missing 1 technical reviewer(s)."
    assert application.attention_reason == reason
    assert record.outcome == RoutingRecord.Outcome.NEEDS_ATTENTION
    assert record.reason == reason
    assert not application.assignments.exists()
    events = application.events.filter(kind=ApplicationEvent.Kind.NEEDS_ATTENTION)
    assert [(e.internal, e.message) for e in events] == [
        (False, "The AI Factory's staff are finding reviewers."),
        (True, reason),
    ]
    # The admins (superusers) are told; LUMI's approver is not (another site).
    assert [m.to for m in mailoutbox] == [["admin@example.org"]]
    assert reason in mailoutbox[0].body
    assert "Needs attention: Protein language model fine-tuning" in mailoutbox[0].subject


def test_it_flags_a_site_short_of_scientific_reviewers_and_keeps_whom_it_found(
    submit_application, site_x, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_application(mode="large-scale")
    # Two of the scientific reviewers left after the submission.
    SiteRole.objects.filter(user__in=site_x.scientific[1:]).update(is_active=False)

    route(application, django_capture_on_commit_callbacks)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_ATTENTION
    assert "missing 1 scientific reviewer(s)" in application.attention_reason
    assert sorted(application.assignments.values_list("reviewer__email", flat=True)) == [
        "sara@csc.fi",
        "tess@csc.fi",
    ]
    # Paula approves at LUMI: she and the admin hear of it.
    attention = sorted(
        m.to[0] for m in mailoutbox if m.subject.startswith("[AI Factory portal] Needs")
    )
    assert attention == ["admin@example.org", "paula@csc.fi"]


def test_it_alerts_once_when_an_unstaffable_application_is_routed_twice(
    submit_application, meluxina, admin_user, site_x, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_unstaffed(submit_application, meluxina)

    route(application, django_capture_on_commit_callbacks)
    again = route(application, django_capture_on_commit_callbacks)

    assert again is None
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_ATTENTION
    assert application.routing_records.count() == 1
    assert application.events.filter(kind=ApplicationEvent.Kind.NEEDS_ATTENTION).count() == 2
    assert [m.to for m in mailoutbox] == [["admin@example.org"]]


def test_it_routes_a_flagged_application_when_an_admin_asks_again(
    submit_application, meluxina, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_unstaffed(submit_application, meluxina)
    route(application, django_capture_on_commit_callbacks)
    rex = site_person(meluxina.factory, "rex@lxp.lu", "Rex Reviewer", SiteRole.Role.TECHNICAL)

    record = route(application, django_capture_on_commit_callbacks, trigger="admin")

    application.refresh_from_db()
    assert record.outcome == RoutingRecord.Outcome.ROUTED
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.attention_reason == ""
    assert application.assignments.get().reviewer == rex
    assert [m.to[0] for m in mailoutbox] == ["admin@example.org", "rex@lxp.lu"]


def test_it_never_drops_an_application_whose_routing_failed_for_good(
    submit_application, site_x, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit_application()

    with django_capture_on_commit_callbacks(execute=True):
        routing_services.application_flag_routing_failure(
            application_id=application.pk, error="database unavailable"
        )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_ATTENTION
    assert application.attention_reason == "Routing failed: database unavailable"
    assert sorted(m.to[0] for m in mailoutbox) == ["admin@example.org", "paula@csc.fi"]


def test_it_hides_the_attention_reason_from_the_applicant(
    client, submit_application, meluxina, alice, admin_user, django_capture_on_commit_callbacks
):
    application = submit_unstaffed(submit_application, meluxina)
    route(application, django_capture_on_commit_callbacks)

    page = login(client, alice).get(f"/applications/{application.pk}/")
    api = client.get(f"/api/v1/applications/{application.pk}/")

    assert page.status_code == api.status_code == 200
    assert "finding reviewers" in page.content.decode()
    for body in (page.content.decode(), api.content.decode()):
        assert "Not enough eligible reviewers" not in body
    assert api.json()["status"] == "needs_attention"


# --- Through the task ---------------------------------------------------------------------------


def test_it_routes_on_submit_through_the_task(
    alice, modes, site_x, submit_application, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submit_application()

    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.assignments.get().reviewer == site_x.technical[0]
    # Alice's receipt (enqueued at the submit's commit), then Tess's assignment.
    assert [m.to for m in mailoutbox] == [["alice@example.org"], ["tess@csc.fi"]]


def test_the_routing_task_does_nothing_the_second_time(routed, mailoutbox):
    from reviews import tasks

    assert tasks.route_application.delay(routed.pk).get() == "nothing to do"
    assert routed.assignments.count() == 1
    assert mailoutbox == []
