"""The multi-step application form, step by step, as a browser without JavaScript posts it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from factories.models import System
from organisations import services as organisations_services
from tests.model_factories import SystemFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
    return re.sub(r" ([,.:])", r"\1", words)


def step_url(application: Application, step: str) -> str:
    return f"/applications/{application.pk}/edit/{step}/"


def team(*members: dict[str, str], saved: int = 0, prefix: str = "team") -> dict[str, str]:
    """The team formset's fields; `saved` is how many members the page was rendered with."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(members)),
        f"{prefix}-INITIAL_FORMS": str(saved),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }
    for i, member in enumerate(members):
        for key in ("name", "email", "role", "affiliation"):
            data[f"{prefix}-{i}-{key}"] = member.get(key, "")
    return data


@pytest.fixture
def new_application(client, alice, alice_org, modes) -> Application:
    client.force_login(alice)
    response = client.post("/applications/new/")
    application = Application.objects.get(applicant=alice)
    assert response.status_code == 302
    assert response["Location"] == step_url(application, "organisation")
    return application


def fill_every_step(client, application, modes, alice_org, lumi) -> None:
    start = timezone.localdate() + timedelta(days=10)
    steps = [
        (
            "organisation",
            {"organisation": alice_org.pk, "access_mode": modes["fast-lane"].pk},
            "project",
        ),
        (
            "project",
            {
                "title": "Protein language model fine-tuning",
                "abstract": "We fine-tune a protein language model.",
                "ai_domain": "health",
                "workload": "fine_tuning",
                "model_parameters_billions": "7.5",
                "frameworks": "PyTorch 2.5",
                **team(
                    {"name": "Dana Scientist", "email": "dana@example.org", "role": "PI"},
                    {},
                ),
            },
            "resources",
        ),
        (
            "resources",
            {
                "system": lumi.pk,
                "gpu_hours": "1000",
                "start_date": start.isoformat(),
                "duration_months": "2",
            },
            "data",
        ),
        (
            "data",
            {
                "data_sources": "UniProt",
                "data_licence": "CC BY 4.0",
                "personal_data": "no",
                "gdpr_basis": "",
                "ai_act_risk": "minimal",
            },
            "review",
        ),
    ]
    for step, data, following in steps:
        response = client.post(step_url(application, step), {**data, "go": "next"})
        assert response.status_code == 302, (step, text(response)[:2000])
        assert response["Location"] == step_url(application, following)


def test_it_walks_through_the_steps_and_submits(
    client, alice, new_application, modes, alice_org, lumi
):
    application = new_application

    fill_every_step(client, application, modes, alice_org, lumi)

    application.refresh_from_db()
    assert application.title == "Protein language model fine-tuning"
    assert application.system == lumi
    assert application.personal_data is False
    assert list(application.team_members.values_list("name", "email", "role")) == [
        ("Dana Scientist", "dana@example.org", "PI")
    ]
    review = client.get(step_url(application, "review"))
    assert review.status_code == 200
    assert "Before you can submit" not in text(review)
    assert "disabled" not in review.content.decode().split("Submit application")[0][-200:]

    response = client.post(f"/applications/{application.pk}/submit/")

    assert response.status_code == 302
    assert response["Location"] == f"/applications/{application.pk}/"
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    detail = text(client.get(response["Location"]))
    assert "Your application was submitted." in detail
    assert "Submitted The AI Factory is assigning reviewers." in detail
    assert "Timeline" in detail
    assert "Created: Draft created." in detail
    assert "Submitted: Application submitted. (Draft → Submitted)" in detail
    assert "Edited: Team updated." in detail
    expected = application.expected_decision_by
    assert f"Decision expected by {expected:%A} {expected.day} {expected:%B %Y}" in detail
    assert "(4 working days from submission)" in detail


def test_it_keeps_entered_data_when_going_back(
    client, alice, new_application, modes, alice_org, lumi
):
    application = new_application
    fill_every_step(client, application, modes, alice_org, lumi)

    response = client.post(
        step_url(application, "resources"),
        {"system": lumi.pk, "gpu_hours": "1500", "duration_months": "3", "go": "back"},
    )

    assert response.status_code == 302
    assert response["Location"] == step_url(application, "project")
    project = client.get(response["Location"]).content.decode()
    assert 'value="Protein language model fine-tuning"' in project
    assert "We fine-tune a protein language model.</textarea>" in project
    assert 'value="Dana Scientist"' in project
    assert 'value="dana@example.org"' in project
    organisation = client.get(step_url(application, "organisation")).content.decode()
    assert f'<option value="{alice_org.pk}" selected>Alice AI GmbH</option>' in organisation
    assert re.search(rf'value="{modes["fast-lane"].pk}"[^>]*checked', organisation)
    resources = client.get(step_url(application, "resources")).content.decode()
    assert 'value="1500"' in resources
    assert re.search(r'<option value="3" selected>3 months</option>', resources)
    assert re.search(
        rf'<input type="radio" name="system" value="{lumi.pk}"[^>]* checked', resources
    )


def test_it_lists_the_problems_on_the_review_step(client, alice, new_application, alice_org):
    application = new_application
    client.post(step_url(application, "organisation"), {"organisation": alice_org.pk, "go": "next"})

    review = client.get(step_url(application, "review"))

    html = review.content.decode()
    assert "Before you can submit" in html
    assert f'<a href="{step_url(application, "project")}">Give the project a title.</a>' in html
    assert (
        f'<a href="{step_url(application, "resources")}">Say how many GPU-hours you need.</a>'
        in html
    )
    assert f'<a href="{step_url(application, "organisation")}">Choose an access mode.</a>' in html
    assert 'disabled aria-disabled="true">Submit application</button>' in html


def test_it_sends_an_incomplete_submission_back_to_the_review(client, alice, new_application):
    response = client.post(f"/applications/{new_application.pk}/submit/", follow=True)

    assert response.redirect_chain == [(step_url(new_application, "review"), 302)]
    assert "The application cannot be submitted yet: see the problems below." in text(response)
    new_application.refresh_from_db()
    assert new_application.status == Application.Status.DRAFT
    assert not new_application.events.filter(kind=ApplicationEvent.Kind.SUBMITTED).exists()


def test_it_shows_a_shape_error_and_saves_nothing(client, alice, new_application, lumi):
    response = client.post(
        step_url(new_application, "resources"),
        {"system": lumi.pk, "gpu_hours": "lots", "go": "next"},
    )

    assert response.status_code == 200
    assert "Enter a whole number." in text(response)
    new_application.refresh_from_db()
    assert new_application.system is None
    assert new_application.gpu_hours is None


def options(html: str, name: str) -> dict[str, str]:
    """The options of the `<select name=...>`: value → label."""
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def radios(html: str, name: str) -> dict[str, tuple[str, bool]]:
    """The radio buttons named `name`: value → (label, disabled)."""
    found = re.findall(
        rf'<input type="radio" name="{name}" value="([^"]*)"([^>]*)>\s*<label[^>]*>([^<]*)</label>',
        html,
    )
    return {value: (unescape(label), "disabled" in attrs) for value, attrs, label in found}


def test_it_offers_only_the_systems_that_can_take_it_and_greys_out_the_others(
    client, alice, new_application, modes, alice_org, lumi
):
    fast_lane = modes["fast-lane"]
    fast_lane.systems.add(SystemFactory(name="Old Iron", status=System.Status.RETIRED))
    client.post(
        step_url(new_application, "organisation"),
        {"organisation": alice_org.pk, "access_mode": fast_lane.pk, "go": "next"},
    )

    html = client.get(step_url(new_application, "resources")).content.decode()

    systems = radios(html, "system")
    enabled = [label for label, disabled in systems.values() if not disabled]
    assert enabled == ["LUMI (LUMI AIF, Kajaani) · Operational"]
    marenostrum = systems[str(System.objects.get(slug="marenostrum-5").pk)]
    assert marenostrum == (
        "MareNostrum 5 (BSC AIF, Barcelona) · Operational: cannot take it now. BSC AIF has no "
        "active technical reviewer yet, so it cannot review applications.",
        True,
    )
    lumi_ai = systems[str(System.objects.get(slug="lumi-ai").pk)]
    assert lumi_ai[1] and "LUMI-AI is planned, not operational yet (announced: 2027)." in lumi_ai[0]
    assert "Old Iron" not in html
    assert len(systems) == System.objects.exclude(status=System.Status.RETIRED).count()
    assert options(html, "duration_months") == {
        "": "Choose",
        "1": "1 month",
        "2": "2 months",
        "3": "3 months",
    }


def test_it_refuses_a_greyed_out_system_posted_anyway(
    client, alice, new_application, modes, alice_org
):
    client.post(
        step_url(new_application, "organisation"),
        {"organisation": alice_org.pk, "access_mode": modes["fast-lane"].pk, "go": "next"},
    )
    marenostrum = System.objects.get(slug="marenostrum-5")

    response = client.post(
        step_url(new_application, "resources"), {"system": marenostrum.pk, "go": "stay"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    new_application.refresh_from_db()
    assert new_application.system is None


def test_it_asks_for_a_mode_before_offering_systems(client, alice, new_application, lumi):
    html = client.get(step_url(new_application, "resources")).content.decode()

    systems = radios(html, "system")
    assert systems and all(disabled for _, disabled in systems.values())
    assert all(
        label.endswith("choose an access mode first (step 1).") for label, _ in systems.values()
    )


def test_it_offers_in_step_1_only_the_modes_the_organisation_may_apply_under(
    client, alice, new_application, modes
):
    ministry = organisations_services.organisation_create(
        user=alice, legal_name="Ministry of AI", country="FI", org_type="public_sector"
    )
    Application.objects.filter(pk=new_application.pk).update(organisation=ministry)

    html = client.get(step_url(new_application, "organisation")).content.decode()

    labels = [label for label, _ in radios(html, "access_mode").values()]
    assert len(labels) == 1 and labels[0].startswith("AI for Science: GPU-hours: no published")
    assert "6 months" in labels[0] and "decision about 1 month after the cut-off" in labels[0]
    assert 'href="/access-modes/ai-for-science/"' in html


def test_it_shows_each_modes_rules_beside_the_choice(client, alice, new_application, modes):
    html = client.get(step_url(new_application, "organisation")).content.decode()

    labels = {label.split(":", 1)[0]: label for label, _ in radios(html, "access_mode").values()}
    assert set(labels) == {"Playground", "Fast Lane", "Large Scale", "AI for Science"}  # a startup
    assert labels["Fast Lane"] == (
        "Fast Lane: up to 50,000 GPU-hours · 1, 2 or 3 months · open all year, first come first "
        "served · decision within 4 working days of submission. Open to Startup, SME, Large "
        "industry."
    )
    assert "at least 50,001 GPU-hours · 3, 6 or 12 months · next cut-off" in labels["Large Scale"]


def test_it_refuses_a_mode_the_organisation_may_not_apply_under(
    client, alice, new_application, modes, alice_org
):
    response = client.post(
        step_url(new_application, "organisation"),
        {"organisation": alice_org.pk, "access_mode": modes["ai-for-science"].pk, "go": "next"},
    )

    assert response.status_code == 302  # a startup may apply under AI for Science (in projects)
    ministry = organisations_services.organisation_create(
        user=alice, legal_name="Ministry of AI", country="FI", org_type="public_sector"
    )
    response = client.post(
        step_url(new_application, "organisation"),
        {"organisation": ministry.pk, "access_mode": modes["fast-lane"].pk, "go": "next"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode() or "Fast Lane is open to" in (
        response.content.decode()
    )
    new_application.refresh_from_db()
    assert new_application.organisation_id == alice_org.pk


def test_it_removes_a_team_member_marked_for_deletion(client, alice, new_application):
    members = ({"name": "A", "email": "a@example.org"}, {"name": "B", "email": "b@example.org"})
    client.post(step_url(new_application, "project"), {"title": "T", **team(*members)})
    page = client.get(step_url(new_application, "project")).content.decode()
    assert 'name="team-INITIAL_FORMS" value="2"' in page

    response = client.post(
        step_url(new_application, "project"),
        {"title": "T", **team(*members, saved=2), "team-0-DELETE": "on", "go": "stay"},
    )

    assert response.status_code == 302
    assert list(new_application.team_members.values_list("email", flat=True)) == ["b@example.org"]


def test_it_refuses_the_same_team_member_twice(client, alice, new_application):
    member = {"name": "A", "email": "a@example.org"}

    response = client.post(
        step_url(new_application, "project"), {"title": "T", **team(member, member), "go": "next"}
    )

    assert response.status_code == 200
    assert "Member 2: a@example.org is listed twice." in text(response)
    assert not new_application.team_members.exists()


def test_it_answers_404_for_an_unknown_step(client, alice, new_application):
    assert client.get(step_url(new_application, "payment")).status_code == 404
