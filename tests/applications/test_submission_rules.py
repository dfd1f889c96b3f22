"""Every rule of applications/rules.py refuses its bad input, names the field, saves nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications import services as applications_services
from applications.models import AccessMode, Application, ApplicationEvent, Attachment, Cutoff
from applications.rules import REQUIRED_FOR_SUBMISSION
from factories.models import System
from organisations import services as organisations_services
from organisations.models import Membership
from tests.helpers import assert_still_draft, call_form_parts, pdf, submitted_events
from tests.model_factories import SystemFactory

pytestmark = pytest.mark.django_db


def refusal(application: Application, actor) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        applications_services.application_submit(application=application, actor=actor)
    return excinfo.value.message_dict


def draft_with(alice, complete_values, **changes) -> Application:
    return applications_services.application_create(
        applicant=alice, **{**complete_values, **changes}
    )


def submit_api(client, user, application: Application):
    client.force_login(user)
    return client.post(f"/api/v1/applications/{application.pk}/submit/")


def test_it_submits_a_draft_that_meets_every_rule(alice, draft):
    application = applications_services.application_submit(application=draft, actor=alice)

    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.submitted_at is not None
    assert application.expected_decision_by is not None
    assert submitted_events(application) == 1


# --- Organisation -------------------------------------------------------------------------------


def test_it_refuses_an_organisation_type_the_mode_does_not_admit(alice, modes, complete_values):
    university = organisations_services.organisation_create(
        user=alice, legal_name="Aalto Test University", country="FI", org_type="academia"
    )
    application = draft_with(alice, complete_values, organisation=university)

    errors = refusal(application, alice)

    assert errors["organisation"] == [
        "Fast Lane is open to Startup, SME, Large industry; Aalto Test University is "
        "registered as Academia / research."
    ]
    assert_still_draft(application)


def test_it_admits_academia_under_ai_for_science(alice, modes, complete_values):
    university = organisations_services.organisation_create(
        user=alice, legal_name="Aalto Test University", country="FI", org_type="academia"
    )
    application = draft_with(
        alice,
        complete_values,
        organisation=university,
        access_mode=modes["ai-for-science"],
        duration_months=6,
    )
    call_form_parts(application, alice)

    applications_services.application_submit(application=application, actor=alice)

    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_it_refuses_an_sme_without_self_declaration(alice, complete_values):
    undeclared = organisations_services.organisation_create(
        user=alice, legal_name="Undeclared Startup", country="FR", org_type="startup"
    )
    application = draft_with(alice, complete_values, organisation=undeclared)

    errors = refusal(application, alice)

    assert errors["organisation"] == [
        "Undeclared Startup needs an SME self-declaration before applying as an SME or startup."
    ]
    assert_still_draft(application)


def test_it_refuses_an_applicant_who_left_the_organisation(alice, alice_org, draft):
    Membership.objects.filter(user=alice, organisation=alice_org).delete()

    errors = refusal(draft, alice)

    assert errors["organisation"] == ["You are not a member of Alice AI GmbH."]
    assert_still_draft(draft)


def test_it_refuses_to_put_someone_elses_organisation_on_a_draft(alice, bob_org, draft):
    with pytest.raises(ValidationError) as excinfo:
        applications_services.application_update(
            application=draft, actor=alice, organisation=bob_org
        )

    assert excinfo.value.message_dict == {
        "organisation": ["You are not a member of this organisation."]
    }
    draft.refresh_from_db()
    assert draft.organisation.legal_name == "Alice AI GmbH"


def test_it_refuses_an_applicant_with_an_unverified_email(alice, draft):
    EmailAddress.objects.filter(user=alice).update(verified=False)

    errors = refusal(draft, alice)

    assert errors == {"applicant": ["Verify your email address before submitting."]}
    assert_still_draft(draft)


# --- GPU-hours, duration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "hours", "months", "message"),
    [
        ("fast-lane", 0, 2, "Ask for more than 0 GPU-hours."),
        ("playground", 0, 1, "Ask for more than 0 GPU-hours."),
        (
            "large-scale",
            50_000,
            3,
            "Large Scale starts at 50,001 GPU-hours; you asked for 50,000.",
        ),
        (
            "fast-lane",
            50_001,
            2,
            "Fast Lane allows at most 50,000 GPU-hours; you asked for 50,001.",
        ),
    ],
)
def test_it_refuses_gpu_hours_outside_the_modes_bounds(
    alice, modes, complete_values, mode, hours, months, message
):
    application = draft_with(
        alice, complete_values, access_mode=modes[mode], gpu_hours=hours, duration_months=months
    )

    errors = refusal(application, alice)

    assert errors == {"gpu_hours": [message]}
    assert_still_draft(application)


@pytest.mark.parametrize(
    ("mode", "hours", "months"),
    [("fast-lane", 50_000, 3), ("large-scale", 50_001, 12), ("playground", 1, 1)],
)
def test_it_accepts_gpu_hours_on_the_modes_bounds(
    alice, modes, complete_values, mode, hours, months
):
    application = draft_with(
        alice, complete_values, access_mode=modes[mode], gpu_hours=hours, duration_months=months
    )

    applications_services.application_submit(application=application, actor=alice)

    assert Application.objects.get(pk=application.pk).status == Application.Status.SUBMITTED


def test_it_refuses_a_duration_the_mode_does_not_offer(alice, complete_values):
    application = draft_with(alice, complete_values, duration_months=6)

    errors = refusal(application, alice)

    assert errors == {
        "duration_months": ["Fast Lane allows durations of 1, 2, 3 months; you chose 6."]
    }
    assert_still_draft(application)


# --- Dates and systems --------------------------------------------------------------------------


def test_it_refuses_a_start_date_in_the_past(alice, complete_values):
    yesterday = timezone.localdate() - timedelta(days=1)
    application = draft_with(alice, complete_values, start_date=yesterday)

    errors = refusal(application, alice)

    assert errors == {"start_date": ["The start date is in the past."]}
    assert_still_draft(application)


@pytest.fixture
def future_system(modes):
    """A planned system announced for next year only (year precision), offering Fast Lane."""
    system = SystemFactory(
        name="Future AI",
        status=System.Status.PLANNED,
        available_from=date(timezone.localdate().year + 1, 1, 1),
        available_from_precision=System.DatePrecision.YEAR,
    )
    modes["fast-lane"].systems.add(system)
    return system


@pytest.mark.parametrize("start", ["next week", "mid next year"])
def test_it_refuses_a_planned_system_before_the_end_of_its_announced_year(
    alice, complete_values, future_system, start
):
    today = timezone.localdate()
    start_date = today + timedelta(days=7) if start == "next week" else date(today.year + 1, 6, 1)
    application = draft_with(alice, complete_values, system=future_system, start_date=start_date)

    errors = refusal(application, alice)

    assert errors == {
        "start_date": [
            f"Future AI is not expected to be operational by {start_date:%-d %B %Y} "
            f"(announced: {today.year + 1}). Choose a later start date or another system."
        ],
        "system": [f"Future AI is planned, not operational yet (announced: {today.year + 1})."],
    }
    assert_still_draft(application)


def test_it_refuses_a_planned_system_even_after_its_announced_year(
    alice, complete_values, future_system, settings
):
    # Only an operational system takes applications now (applications.intake).
    settings.APPLICATION_START_HORIZON_DAYS = 800
    start_date = date(timezone.localdate().year + 2, 1, 1)
    application = draft_with(alice, complete_values, system=future_system, start_date=start_date)

    errors = refusal(application, alice)

    year = timezone.localdate().year + 1
    assert errors == {"system": [f"Future AI is planned, not operational yet (announced: {year})."]}
    assert_still_draft(application)


def test_it_refuses_a_system_without_an_announced_date(alice, modes, complete_values):
    unannounced = SystemFactory(name="Someday AI", status="", available_from=None)
    modes["fast-lane"].systems.add(unannounced)
    application = draft_with(alice, complete_values, system=unannounced)

    errors = refusal(application, alice)

    assert errors == {
        "start_date": [
            "Someday AI has not announced when it will be operational: choose an operational "
            "system."
        ],
        "system": ["Someday AI has not published that it is operational."],
    }
    assert_still_draft(application)


def test_it_refuses_a_retired_system(alice, modes, complete_values):
    retired = SystemFactory(name="Old Iron", status=System.Status.RETIRED)
    modes["fast-lane"].systems.add(retired)
    application = draft_with(alice, complete_values, system=retired)

    errors = refusal(application, alice)

    assert errors == {"system": ["Old Iron is retired: choose another system."]}
    assert_still_draft(application)


def test_it_refuses_a_system_that_does_not_offer_the_mode(alice, complete_values):
    elsewhere = SystemFactory(name="Lone Operational", status=System.Status.OPERATIONAL)
    application = draft_with(alice, complete_values, system=elsewhere)

    errors = refusal(application, alice)

    assert errors == {"system": ["Lone Operational does not offer Fast Lane."]}
    assert_still_draft(application)


def test_it_refuses_a_cutoff_mode_without_an_open_cutoff(alice, modes, complete_values):
    large_scale = modes["large-scale"]
    Cutoff.objects.filter(access_mode=large_scale, closes_at__gt=timezone.now()).delete()
    application = draft_with(
        alice, complete_values, access_mode=large_scale, gpu_hours=60_000, duration_months=3
    )

    errors = refusal(application, alice)

    assert errors == {
        "access_mode": ["Large Scale has no open cut-off: the next one has not been published yet."]
    }
    assert_still_draft(application)


def test_it_refuses_a_mode_that_stopped_accepting_applications(alice, modes, draft):
    AccessMode.objects.filter(slug="fast-lane").update(is_active=False)

    errors = refusal(draft, alice)

    assert errors == {"access_mode": ["Fast Lane is not accepting applications."]}
    assert_still_draft(draft)


@pytest.mark.parametrize(("offset_days", "refused"), [(0, True), (-1, True), (1, False)])
def test_it_reads_a_month_precision_date_as_the_end_of_that_month(
    alice, modes, complete_values, offset_days, refused
):
    today = timezone.localdate()
    announced = date(today.year + 1, 3, 1)  # "March next year"
    system = SystemFactory(
        name="Spring AI",
        status=System.Status.INSTALLING,
        available_from=announced,
        available_from_precision=System.DatePrecision.MONTH,
    )
    modes["fast-lane"].systems.add(system)
    start = date(today.year + 1, 3, 31) + timedelta(days=offset_days)
    application = draft_with(alice, complete_values, system=system, start_date=start)

    # Refused either way (only an operational system takes applications now); the start date
    # is named only when it falls in the announced month.
    not_operational = [
        f"Spring AI is being installed, not operational yet (announced: March {today.year + 1})."
    ]
    errors = refusal(application, alice)
    if refused:
        assert errors == {
            "start_date": [
                f"Spring AI is not expected to be operational by {start:%-d %B %Y} "
                f"(announced: March {today.year + 1}). Choose a later start date or another "
                "system."
            ],
            "system": not_operational,
        }
    else:
        assert errors == {"system": not_operational}
    assert_still_draft(application)


# --- Compliance ---------------------------------------------------------------------------------


def test_it_refuses_a_prohibited_ai_act_practice(alice, complete_values):
    application = draft_with(alice, complete_values, ai_act_risk="prohibited")

    errors = refusal(application, alice)

    assert errors == {
        "ai_act_risk": [
            "Projects that fall under the EU AI Act's prohibited practices cannot be supported."
        ]
    }
    assert_still_draft(application)


def test_it_refuses_personal_data_without_a_gdpr_basis(alice, complete_values):
    application = draft_with(alice, complete_values, personal_data=True, gdpr_basis="")

    errors = refusal(application, alice)

    assert errors == {"gdpr_basis": ["Give the GDPR legal basis for processing personal data."]}
    assert_still_draft(application)


def test_it_accepts_personal_data_with_a_gdpr_basis(alice, complete_values):
    application = draft_with(alice, complete_values, personal_data=True, gdpr_basis="consent")

    applications_services.application_submit(application=application, actor=alice)

    assert Application.objects.get(pk=application.pk).status == Application.Status.SUBMITTED


def test_it_lists_every_missing_required_field(alice):
    application = applications_services.application_create(applicant=alice)

    errors = refusal(application, alice)

    expected = {field: [message] for field, message in REQUIRED_FOR_SUBMISSION.items()}
    expected["personal_data"] = ["Say whether the project processes personal data."]
    assert errors == expected
    assert_still_draft(application)


# --- Attachments --------------------------------------------------------------------------------


def test_it_refuses_an_attachment_over_10_mb_at_submission(alice, draft, media):
    # Stored while the limit was higher: the rule at submission is the last line of defence.
    Attachment.objects.create(
        application=draft,
        token="0" * 32,
        file="applications/old.pdf",
        name="huge-plan.pdf",
        size=11 * 1024 * 1024,
        uploaded_by=alice,
    )

    errors = refusal(draft, alice)

    assert errors == {"attachments": ["huge-plan.pdf is larger than 10 MB."]}
    assert_still_draft(draft)


def test_it_refuses_an_attachment_over_a_lowered_limit(alice, draft, media, settings):
    applications_services.attachment_add(
        application=draft, actor=alice, upload=pdf(size=2 * 1024 * 1024)
    )
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024

    errors = refusal(draft, alice)

    assert errors == {"attachments": ["plan.pdf is larger than 1 MB."]}
    assert_still_draft(draft)


# --- The same rules through the API -------------------------------------------------------------


def test_it_answers_409_naming_each_broken_rule_in_the_api(client, alice, complete_values):
    application = draft_with(
        alice,
        complete_values,
        gpu_hours=50_001,
        duration_months=6,
        start_date=timezone.localdate() - timedelta(days=3),
    )

    response = submit_api(client, alice, application)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["errors"] == {
        "gpu_hours": ["Fast Lane allows at most 50,000 GPU-hours; you asked for 50,001."],
        "duration_months": ["Fast Lane allows durations of 1, 2, 3 months; you chose 6."],
        "start_date": ["The start date is in the past."],
    }
    assert_still_draft(application)


def test_it_answers_409_for_an_ineligible_organisation_in_the_api(
    client, alice, modes, complete_values
):
    agency = organisations_services.organisation_create(
        user=alice, legal_name="Test Agency", country="BE", org_type="public_sector"
    )
    application = draft_with(alice, complete_values, organisation=agency)

    response = submit_api(client, alice, application)

    assert response.status_code == 409
    assert response.json()["errors"]["organisation"] == [
        "Fast Lane is open to Startup, SME, Large industry; Test Agency is registered as "
        "Public sector."
    ]
    assert_still_draft(application)


def test_it_answers_409_for_an_unverified_email_in_the_api(client, alice, draft):
    EmailAddress.objects.filter(user=alice).update(verified=False)

    response = submit_api(client, alice, draft)

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "applicant": ["Verify your email address before submitting."]
    }
    assert_still_draft(draft)


def test_it_answers_409_for_missing_fields_in_the_api(client, alice):
    client.force_login(alice)
    created = client.post("/api/v1/applications/", {"title": ""}, content_type="application/json")
    assert created.status_code == 201
    application = Application.objects.get(pk=created.json()["id"])

    response = submit_api(client, alice, application)

    assert response.status_code == 409
    errors = response.json()["errors"]
    assert set(errors) == {*REQUIRED_FOR_SUBMISSION, "personal_data"}
    assert errors["title"] == ["Give the project a title."]
    assert_still_draft(application)
    assert list(application.events.values_list("kind", flat=True)) == [
        ApplicationEvent.Kind.CREATED
    ]
