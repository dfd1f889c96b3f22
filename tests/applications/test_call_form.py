"""The real call form (issue 11, point 5): each rule refused with its message and nothing
submitted; the lists refused whole at save; GPU-hours and node-hours both ways; in the form, the
review step and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from applications import call_form_services
from applications import services as applications_services
from applications.models import Application
from factories.models import Partition, System
from organisations import services as organisations_services
from tests.helpers import assert_still_draft, call_form_parts

pytestmark = pytest.mark.django_db


def refusal(application: Application, actor) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        applications_services.application_submit(application=application, actor=actor)
    assert_still_draft(application)
    return excinfo.value.message_dict


@pytest.fixture
def university(alice):
    return organisations_services.organisation_create(
        user=alice, legal_name="Aalto Test University", country="FI", org_type="academia"
    )


@pytest.fixture
def science(alice, modes, university, complete_values) -> Application:
    """Alice's complete AI for Science draft on LUMI (GPUs per node not published)."""
    values = {**complete_values, "organisation": university, "duration_months": 6}
    application = applications_services.application_create(
        applicant=alice, **{**values, "access_mode": modes["ai-for-science"]}
    )
    call_form_parts(application, alice)
    return application


def lines(application, alice, *rows):
    call_form_services.resource_lines_set(application=application, actor=alice, lines=list(rows))


def full_line(**values):
    return {"parallel_jobs": 2, "gpus_per_job": 4, "memory_gb": 256, "storage_tb": 5,
            "checkpoint_hours": 2, **values}  # fmt: skip


def test_it_submits_a_complete_ai_for_science_application(alice, science):
    applications_services.application_submit(application=science, actor=alice)

    science.refresh_from_db()
    assert science.status == Application.Status.SUBMITTED


def test_it_refuses_ai_for_science_without_resources_per_partition(alice, science):
    science.resource_lines.all().delete()

    errors = refusal(science, alice)

    assert errors["resource_lines"] == [
        "AI for Science asks for your resources per partition: add at least one."
    ]


def test_it_refuses_partitions_that_do_not_add_up_to_the_request(alice, science):
    lines(science, alice, full_line(node_hours=200, gpu_hours=800))

    errors = refusal(science, alice)

    assert (
        "Your partitions add up to 800 GPU-hours, but you ask for 1,000 GPU-hours in all: "
        "make them equal." in errors["resource_lines"]
    )


def test_it_refuses_node_hours_it_cannot_convert(alice, science):
    lines(science, alice, full_line(node_hours=250))

    errors = refusal(science, alice)

    assert errors["resource_lines"] == [
        "Partition line 1 (whole system): the GPUs per node are not published, so the "
        "node-hours cannot be converted: give its GPU-hours too."
    ]


def test_it_converts_node_hours_with_the_partitions_gpus_per_node(alice, science, lumi):
    booster = Partition.objects.create(system=lumi, name="Booster", gpus_per_node=4)
    lines(science, alice, full_line(partition=booster, node_hours=250))

    applications_services.application_submit(application=science, actor=alice)

    science.refresh_from_db()
    assert science.status == Application.Status.SUBMITTED


def test_it_refuses_gpu_hours_that_contradict_the_node_hours(alice, science, lumi):
    System.objects.filter(pk=lumi.pk).update(gpus_per_node=8)
    lines(science, alice, full_line(node_hours=250, gpu_hours=1000))

    errors = refusal(science, alice)

    assert (
        "Partition line 1 (whole system): 250 node-hours at 8 GPUs per node are 2,000 "
        "GPU-hours, not 1,000." in errors["resource_lines"]
    )


def test_it_refuses_a_partition_line_without_jobs_memory_storage_or_checkpoints(alice, science):
    lines(science, alice, {"node_hours": 250, "gpu_hours": 1000})

    errors = refusal(science, alice)

    assert errors["resource_lines"] == [
        "Partition line 1 (whole system): give jobs in parallel, GPUs per job, memory per "
        "job (GB), storage (TB), checkpoint every (hours)."
    ]


def test_it_refuses_milestones_that_do_not_add_up(alice, science):
    call_form_services.milestones_set(
        application=science, actor=alice, milestones=[{"title": "All", "month": 1, "hours": 200}]
    )

    errors = refusal(science, alice)

    assert errors["milestones"] == [
        "Your milestones add up to 200 node-hours; you ask for 250 node-hours."
    ]


def test_it_refuses_a_milestone_after_the_allocation_ends(alice, science):
    call_form_services.milestones_set(
        application=science, actor=alice, milestones=[{"title": "Late", "month": 7, "hours": 250}]
    )

    errors = refusal(science, alice)

    assert errors["milestones"] == ["“Late” is due in month 7, after the allocation's 6."]


def test_it_refuses_ai_for_science_without_milestones(alice, science):
    science.milestones.all().delete()

    errors = refusal(science, alice)

    assert errors["milestones"] == [
        "AI for Science asks for milestones whose hours add up to your request: add them."
    ]


def test_it_refuses_an_unanswered_ethics_heading(alice, science):
    applications_services.application_update(application=science, actor=alice, ethics_fairness="")

    errors = refusal(science, alice)

    assert errors["ethics_fairness"] == ["Answer the ethics self-assessment on “Fairness”."]


def test_it_refuses_a_pi_contract_ending_within_3_months_of_the_allocation(alice, science):
    end = science.start_date + timedelta(days=6 * 30 + 60)
    applications_services.application_update(
        application=science, actor=alice, pi_contract_permanent=False, pi_contract_end=end
    )

    errors = refusal(science, alice)

    assert errors["pi_contract_end"][0].startswith(
        "The PI's contract must be valid for more than 3 months after the allocation ends on"
    )


def test_it_admits_a_pi_contract_beyond_3_months_after_the_allocation(alice, science):
    end = science.start_date + timedelta(days=9 * 31 + 5)
    applications_services.application_update(
        application=science, actor=alice, pi_contract_permanent=False, pi_contract_end=end
    )

    applications_services.application_submit(application=science, actor=alice)

    assert Application.objects.get(pk=science.pk).status == Application.Status.SUBMITTED


def test_it_refuses_ai_for_science_without_the_pi_contract(alice, science):
    applications_services.application_update(
        application=science, actor=alice, pi_contract_permanent=False
    )

    errors = refusal(science, alice)

    assert errors["pi_contract_end"] == [
        "Give the end of the PI's employment contract, or say it is permanent."
    ]


def test_it_refuses_ai_for_science_without_the_first_come_first_served_consent(alice, science):
    applications_services.application_update(application=science, actor=alice, fcfs_consent=False)

    errors = refusal(science, alice)

    assert errors["fcfs_consent"] == [
        "AI for Science asks you to accept that resources are given first come, first served."
    ]


def test_fast_lane_asks_none_of_the_ai_for_science_parts(alice, complete_values):
    values = {**complete_values, "fcfs_consent": False, "pi_contract_permanent": False,
              "ethics_fairness": ""}  # fmt: skip
    draft = applications_services.application_create(applicant=alice, **values)

    applications_services.application_submit(application=draft, actor=alice)

    assert Application.objects.get(pk=draft.pk).status == Application.Status.SUBMITTED


# --- The lists, refused whole at save -----------------------------------------------------------


def test_it_refuses_a_fourth_excluded_reviewer_and_keeps_the_three(alice, draft):
    three = [{"name": f"R{i}", "email": f"r{i}@rival.eu"} for i in range(3)]
    call_form_services.excluded_reviewers_set(application=draft, actor=alice, reviewers=three)

    with pytest.raises(ValidationError) as excinfo:
        call_form_services.excluded_reviewers_set(
            application=draft, actor=alice, reviewers=[*three, {"name": "X", "email": "x@y.eu"}]
        )

    assert excinfo.value.message_dict["excluded_reviewers"] == ["At most 3; you gave 4."]
    assert sorted(draft.excluded_reviewers.values_list("email", flat=True)) == [
        "r0@rival.eu", "r1@rival.eu", "r2@rival.eu"
    ]  # fmt: skip


def test_it_refuses_an_excluded_reviewer_listed_twice(alice, draft):
    twice = [{"name": "A", "email": "a@rival.eu"}, {"name": "A", "email": "A@Rival.eu"}]

    with pytest.raises(ValidationError) as excinfo:
        call_form_services.excluded_reviewers_set(application=draft, actor=alice, reviewers=twice)

    assert excinfo.value.message_dict["excluded_reviewers"] == ["a@rival.eu is listed twice."]
    assert not draft.excluded_reviewers.exists()


def test_it_refuses_a_partition_of_another_system(alice, draft):
    jupiter = System.objects.get(slug="jupiter")
    booster = Partition.objects.create(system=jupiter, name="Booster")

    with pytest.raises(ValidationError) as excinfo:
        lines(draft, alice, {"partition": booster, "gpu_hours": 1000})

    assert excinfo.value.message_dict["resource_lines"] == [
        "1: JUPITER Booster is not a partition of the system you chose."
    ]
    assert not draft.resource_lines.exists()


def test_it_refuses_the_lists_of_a_submitted_application(alice, submitted):
    with pytest.raises(ValidationError):
        call_form_services.milestones_set(
            application=submitted, actor=alice, milestones=[{"title": "A", "month": 1, "hours": 1}]
        )
    assert not submitted.milestones.exists()


# --- In the browser's pages -----------------------------------------------------------------------


def test_the_review_step_links_each_call_form_rule_to_its_step(client, alice, science):
    science.milestones.all().delete()
    applications_services.application_update(application=science, actor=alice, ethics_privacy="")
    client.force_login(alice)

    html = client.get(f"/applications/{science.pk}/edit/review/").content.decode()

    resources = f'href="/applications/{science.pk}/edit/resources/"'
    data = f'href="/applications/{science.pk}/edit/data/"'
    assert f"{resources}>AI for Science asks for milestones" in html
    assert f"{data}>Answer the ethics self-assessment on “Privacy and data governance”." in html


def test_the_resources_step_shows_the_request_both_ways(client, alice, draft, lumi):
    System.objects.filter(pk=lumi.pk).update(gpus_per_node=4)
    client.force_login(alice)

    html = client.get(f"/applications/{draft.pk}/edit/resources/").content.decode()

    assert "1,000 GPU-hours = 250 node-hours (4 GPUs per node)" in html
    assert 'name="lines-0-node_hours"' in html


def test_the_resources_step_says_when_the_conversion_is_not_published(client, alice, draft):
    client.force_login(alice)

    html = client.get(f"/applications/{draft.pk}/edit/resources/").content.decode()

    assert "GPUs per node not published: no conversion" in html


def _data_step(draft, **extra):
    return {
        "data_sources": "UniProt", "personal_data": "no", "ai_act_risk": "minimal",
        "excluded-TOTAL_FORMS": "2", "excluded-INITIAL_FORMS": "0", "go": "stay", **extra,
    }  # fmt: skip


def test_the_data_step_saves_excluded_reviewers(client, alice, draft):
    client.force_login(alice)

    response = client.post(
        f"/applications/{draft.pk}/edit/data/",
        _data_step(draft, **{"excluded-0-name": "Rex Rival", "excluded-0-email": "rex@rival.eu"}),
    )

    assert response.status_code == 302
    assert list(draft.excluded_reviewers.values_list("email", flat=True)) == ["rex@rival.eu"]


def test_a_refused_list_saves_nothing_of_the_step(client, alice, draft):
    jupiter = System.objects.get(slug="jupiter")
    booster = Partition.objects.create(system=jupiter, name="Booster")
    client.force_login(alice)
    form = {
        "system": draft.system_id, "gpu_hours": "2000", "start_date": draft.start_date,
        "duration_months": "2", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-0-partition": booster.pk, "lines-0-gpu_hours": "2000",
        "milestones-TOTAL_FORMS": "0", "milestones-INITIAL_FORMS": "0", "go": "stay",
    }  # fmt: skip

    response = client.post(f"/applications/{draft.pk}/edit/resources/", form)

    assert response.status_code == 200  # the page again, with the error
    draft.refresh_from_db()
    assert draft.gpu_hours == 1000
    assert not draft.resource_lines.exists()


# --- Over the API --------------------------------------------------------------------------------


def test_the_api_takes_the_call_form_and_shows_the_hours_both_ways(client, alice, draft, lumi):
    booster = Partition.objects.create(system=lumi, name="Booster", gpus_per_node=4)
    client.force_login(alice)

    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {
            "resource_lines": [{"partition": booster.pk, "gpu_hours": 1000}],
            "milestones": [{"title": "Train", "month": 1, "hours": 1000}],
            "excluded_reviewers": [{"name": "Rex Rival", "email": "rex@rival.eu"}],
            "ethics_fairness": "Audited per group.",
        },
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["resource_lines"][0]["converted"] == {
        "gpu_hours": 1000, "node_hours": 250, "gpus_per_node": 4
    }  # fmt: skip
    assert body["milestones"] == [{"title": "Train", "month": 1, "hours": 1000}]
    assert body["excluded_reviewers"][0]["email"] == "rex@rival.eu"
    assert body["ethics_fairness"] == "Audited per group."
    assert body["hours"] == {"gpu_hours": 1000, "node_hours": None, "gpus_per_node": None}


def test_the_api_refuses_a_fourth_excluded_reviewer_and_saves_nothing(client, alice, draft):
    client.force_login(alice)
    four = [{"name": f"R{i}", "email": f"r{i}@rival.eu"} for i in range(4)]

    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"excluded_reviewers": four, "title": "Changed"},
        content_type="application/json",
    )

    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.title != "Changed"
    assert not draft.excluded_reviewers.exists()


def test_the_api_refuses_an_unknown_partition(client, alice, draft):
    client.force_login(alice)

    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"resource_lines": [{"partition": 999_999, "gpu_hours": 5}]},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert not draft.resource_lines.exists()


def test_the_api_submit_names_each_broken_call_form_rule(client, alice, science):
    science.resource_lines.all().delete()
    applications_services.application_update(application=science, actor=alice, fcfs_consent=False)
    client.force_login(alice)

    response = client.post(f"/api/v1/applications/{science.pk}/submit/")

    assert response.status_code == 409  # the rules of a whole draft, as for every other rule
    text = str(response.json())
    assert "resource_lines" in text and "fcfs_consent" in text
    assert_still_draft(science)


def test_another_applicant_cannot_change_the_lists(client, bob, draft):
    client.force_login(bob)

    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"excluded_reviewers": [{"name": "Tess", "email": "tess@csc.fi"}]},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert not draft.excluded_reviewers.exists()


def test_the_api_refuses_a_milestone_without_its_title_and_saves_nothing(client, alice, draft):
    client.force_login(alice)

    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"milestones": [{"month": 1, "hours": 10}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["milestones"] == ["Item 1, title: This field is required."]
    assert not draft.milestones.exists()


def test_the_review_step_shows_the_request_as_node_hours(client, alice, draft, lumi):
    System.objects.filter(pk=lumi.pk).update(gpus_per_node=4)
    client.force_login(alice)

    html = client.get(f"/applications/{draft.pk}/edit/review/").content.decode()

    assert "about 250 node-hours on LUMI (4 GPUs per node)" in html
