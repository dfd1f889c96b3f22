"""Which systems can take an application now: the one rule (applications.intake), as a table,
and the paths that use it (the system step of the form, submission in HTML and the API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.utils import timezone

from allocations.models import Allocation
from applications import services
from applications.intake import system_intake, systems_taking_applications
from applications.models import AccessMode, Application, ApplicationStatus
from factories.models import System
from organisations import services as organisations_services
from organisations.models import Membership
from reviews.models import ConflictOfInterest, SiteRole
from tests.fixtures.reviews import CAPACITY

pytestmark = pytest.mark.django_db


def _deactivate(site_x, *people) -> None:
    SiteRole.objects.filter(user__in=people, factory=site_x.factory).update(is_active=False)


def _allocate_all(site_x, submitted) -> None:
    today = timezone.localdate()
    Allocation.objects.create(
        application=submitted,
        system=site_x.system,
        gpu_hours=CAPACITY,
        start=today,
        end=date(today.year, 12, 31),
        period_year=today.year,
    )


def _members(site_x, alice, alice_org, **_) -> None:
    for user in site_x.technical:
        organisations_services.organisation_member_add(
            actor=alice, organisation=alice_org, user=user, role=Membership.Role.MEMBER
        )


def _conflicts(site_x, alice, alice_org, **_) -> None:
    for user in site_x.technical:
        ConflictOfInterest.objects.create(reviewer=user, organisation=alice_org)


# (case, mode, system, change to make first, the reason expected: "" means it can take it)
CASES: list[tuple[str, str, str, Callable[..., None] | None, str]] = [
    ("staffed, capacity left", "fast-lane", "lumi", None, ""),
    ("large scale, staffed", "large-scale", "lumi", None, ""),
    (
        "mode closed",
        "fast-lane",
        "lumi",
        lambda site_x, **_: AccessMode.objects.filter(slug="fast-lane").update(is_active=False),
        "Fast Lane is not accepting applications.",
    ),
    (
        "planned",
        "fast-lane",
        "lumi-ai",
        None,
        "LUMI-AI is planned, not operational yet (announced: 2027).",
    ),
    (
        "in procurement",
        "fast-lane",
        "it4lia-ai",
        None,
        "IT4LIA AI supercomputer is being procured, not operational yet.",
    ),
    (
        "status unknown",
        "fast-lane",
        "hammerhai-ai",
        None,
        "HammerHAI AI-optimised system has not published that it is operational.",
    ),
    (
        "mode not offered",
        "fast-lane",
        "lumi",
        lambda site_x, **_: AccessMode.objects.get(slug="fast-lane").systems.remove(site_x.system),
        "LUMI does not offer Fast Lane.",
    ),
    (
        "a site with no reviewers",
        "fast-lane",
        "marenostrum-5",
        None,
        "BSC AIF has no active technical reviewer yet, so it cannot review applications.",
    ),
    (
        "technical reviewers inactive",
        "fast-lane",
        "lumi",
        lambda site_x, **_: _deactivate(site_x, *site_x.technical),
        "LUMI AIF has no active technical reviewer yet, so it cannot review applications.",
    ),
    (
        "too few scientific reviewers",
        "large-scale",
        "lumi",
        lambda site_x, **_: _deactivate(site_x, *site_x.scientific[:2]),
        "LUMI AIF has 1 active scientific reviewer; Large Scale needs 2.",
    ),
    (
        "scientific reviewers not needed",
        "fast-lane",
        "lumi",
        lambda site_x, **_: _deactivate(site_x, *site_x.scientific),
        "",
    ),
    (
        "no approver",
        "fast-lane",
        "lumi",
        lambda site_x, **_: _deactivate(site_x, site_x.approver),
        "LUMI AIF has no active approver yet, so nobody there could decide.",
    ),
    (
        "reviewers who are members of the organisation",
        "fast-lane",
        "lumi",
        _members,
        "LUMI AIF has no active technical reviewer yet, so it cannot review applications.",
    ),
    (
        "reviewers in conflict with the organisation",
        "fast-lane",
        "lumi",
        _conflicts,
        "LUMI AIF has no active technical reviewer yet, so it cannot review applications.",
    ),
    (
        "capacity not published",
        "fast-lane",
        "lumi",
        lambda site_x, **_: System.objects.filter(pk=site_x.system.pk).update(
            allocatable_gpu_hours_per_year=None
        ),
        "LUMI has not published how many GPU-hours it can award.",
    ),
    (
        "capacity used up",
        "fast-lane",
        "lumi",
        lambda site_x, request, **_: _allocate_all(site_x, request.getfixturevalue("submitted")),
        f"No GPU-hours are left on LUMI for {timezone.localdate().year}.",
    ),
]


@pytest.mark.parametrize(
    ("mode", "system", "change", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_it_says_whether_a_system_can_take_an_application_and_why_not(
    request, site_x, modes, alice, alice_org, mode, system, change, reason
):
    if change is not None:
        change(site_x=site_x, alice=alice, alice_org=alice_org, request=request)

    intake = system_intake(
        system=System.objects.select_related("factory").get(slug=system),
        mode=AccessMode.objects.get(slug=mode),
        organisation=alice_org,
    )

    assert intake.reason == reason
    assert intake.can_take is (reason == "")


def test_it_refuses_a_mode_the_organisation_is_not_eligible_for(site_x, modes, alice):
    ministry = organisations_services.organisation_create(
        user=alice, legal_name="Ministry of AI", country="FI", org_type="public_sector"
    )

    intake = system_intake(system=site_x.system, mode=modes["fast-lane"], organisation=ministry)

    assert intake.reason == (
        "Fast Lane is open to Startup, SME, Large industry, not to Public sector."
    )


def test_it_lists_the_systems_that_can_take_it_first(site_x, modes, alice_org):
    intakes = systems_taking_applications(mode=modes["fast-lane"], organisation=alice_org)

    open_ = [i.system.slug for i in intakes if i.can_take]
    assert open_ == ["lumi"]  # the only staffed system with a published capacity
    assert intakes[0].system.slug == "lumi"
    assert len(intakes) == System.objects.count()
    assert all(i.reason for i in intakes[1:])


def test_it_answers_for_every_system_in_a_fixed_number_of_queries(
    site_x, modes, alice_org, django_assert_num_queries
):
    # systems, the mode's systems, the site roles, and the ledger of the one system left
    with django_assert_num_queries(4):
        systems_taking_applications(mode=modes["fast-lane"], organisation=alice_org)


# --- Submitting -----------------------------------------------------------------------------


@pytest.fixture
def draft_on_marenostrum(alice, draft) -> Application:
    """Alice's complete Fast Lane draft, moved to MareNostrum 5: a site with no reviewers."""
    services.application_update(
        application=draft, actor=alice, system=System.objects.get(slug="marenostrum-5")
    )
    return draft


REASON = "BSC AIF has no active technical reviewer yet, so it cannot review applications."


def test_it_refuses_to_submit_to_a_system_that_cannot_take_it(alice, draft_on_marenostrum):
    with pytest.raises(Exception) as raised:
        services.application_submit(application=draft_on_marenostrum, actor=alice)

    assert raised.value.message_dict == {"system": [REASON]}
    draft_on_marenostrum.refresh_from_db()
    assert draft_on_marenostrum.status == ApplicationStatus.DRAFT
    assert draft_on_marenostrum.submitted_at is None


def test_it_refuses_the_api_submission_with_the_reason(client, alice, draft_on_marenostrum):
    client.force_login(alice)

    response = client.post(f"/api/v1/applications/{draft_on_marenostrum.pk}/submit/")

    assert response.status_code == 409  # well formed, refused by the portal's rules
    assert response.json()["errors"]["system"] == [REASON]
    draft_on_marenostrum.refresh_from_db()
    assert draft_on_marenostrum.status == ApplicationStatus.DRAFT


def test_it_lists_the_reason_on_the_review_step_and_refuses_the_html_submission(
    client, alice, draft_on_marenostrum
):
    client.force_login(alice)

    response = client.post(f"/applications/{draft_on_marenostrum.pk}/submit/", follow=True)

    assert REASON in response.content.decode()
    draft_on_marenostrum.refresh_from_db()
    assert draft_on_marenostrum.status == ApplicationStatus.DRAFT


def test_it_refuses_a_submission_once_the_site_has_lost_its_reviewers(alice, draft, site_x):
    _deactivate(site_x, *site_x.technical)

    with pytest.raises(Exception) as raised:
        services.application_submit(application=draft, actor=alice)

    assert "LUMI AIF has no active technical reviewer yet" in str(raised.value)
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


def test_it_still_submits_to_a_system_that_can_take_it(alice, draft):
    services.application_submit(application=draft, actor=alice)

    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
