"""The real call form in the browser: a researcher's AI for Science draft is not ready; the
review step links each missing part to its step; they give their resources per partition in
node-hours (shown as GPU-hours too), milestones, the ethics self-assessment, the PI's contract,
the consent and a reviewer to exclude, then submit: routing never asks the excluded reviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from applications import services as applications_services
from applications.models import Application, ApplicationStatus
from factories.models import Partition, System
from organisations import services as organisations_services
from tests.browser.test_accessibility import sign_in
from tests.helpers import application_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_researcher_completes_the_ai_for_science_call_form(
    live_server, page: Page, alice, modes, site_x, celery_eager
):
    lumi = site_x.system
    System.objects.filter(pk=lumi.pk).update(gpus_per_node=4)
    Partition.objects.create(system=lumi, name="LUMI-G")
    university = organisations_services.organisation_create(
        user=alice, legal_name="Aalto Test University", country="FI", org_type="academia"
    )
    values = application_values(
        organisation=university, access_mode=modes["ai-for-science"], system=lumi,
        gpu_hours=4000, duration_months=6, fcfs_consent=False, pi_contract_permanent=False,
        ethics_fairness="", ethics_accountability="",
    )  # fmt: skip
    draft = applications_services.application_create(applicant=alice, **values)
    base = live_server.url
    sign_in(page.context, base, alice)

    page.goto(f"{base}/applications/{draft.pk}/edit/review/")
    expect(page.get_by_role("heading", name="Before you can submit")).to_be_visible()
    expect(page.get_by_role("button", name="Submit application")).to_be_disabled()
    page.get_by_role("link", name="AI for Science asks for your resources per partition").click()

    expect(page.locator('[aria-current="step"]')).to_have_text("3. Resources")
    expect(page.locator("#request-hours")).to_contain_text(
        "4,000 GPU-hours = 1,000 node-hours (4 GPUs per node)"
    )
    page.get_by_label("Partition (line 1)").select_option(label="LUMI-G")
    page.get_by_label("Node-hours (line 1)").fill("1000")
    page.get_by_label("Jobs in parallel (line 1)").fill("2")
    page.get_by_label("GPUs per job (line 1)").fill("8")
    page.get_by_label("Memory per job (GB) (line 1)").fill("512")
    page.get_by_label("Storage (TB) (line 1)").fill("10")
    page.get_by_label("Checkpoint every (hours) (line 1)").fill("3")
    page.get_by_label("Title (milestone 1)").fill("Baseline model")
    page.get_by_label("Month of the allocation (milestone 1)").fill("2")
    page.get_by_label("Hours (milestone 1)").fill("400")
    page.get_by_label("Title (milestone 2)").fill("Full training")
    page.get_by_label("Month of the allocation (milestone 2)").fill("5")
    page.get_by_label("Hours (milestone 2)").press_sequentially("600")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.locator("#line-hours")).to_contain_text(
        "LUMI-G: 4,000 GPU-hours = 1,000 node-hours (4 GPUs per node)"
    )
    page.get_by_role("button", name="Next").click()

    expect(page.locator('[aria-current="step"]')).to_have_text("4. Data & compliance")
    page.get_by_label("Fairness").fill("Accuracy is reported for every language.")
    page.get_by_label("Accountability").fill("The PI signs off every release.")
    contract_end = draft.start_date + timedelta(days=400)
    page.get_by_label("End of the PI's employment contract").fill(contract_end.isoformat())
    page.get_by_label("I accept that resources are given first come, first served").check()
    page.get_by_label("Name (excluded reviewer 1)").fill("Tess Technical")
    page.get_by_label("Email (excluded reviewer 1)").fill("tess@csc.fi")
    page.get_by_label("Reason (excluded reviewer 1)").fill("Works for a competitor")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Before you can submit")).to_have_count(0)
    expect(page.get_by_text("Tess Technical (tess@csc.fi): Works for a competitor")).to_be_visible()
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("Your application was submitted.")).to_be_visible()

    application = Application.objects.get(pk=draft.pk)
    assert application.status == ApplicationStatus.UNDER_REVIEW  # routed (eager Celery)
    reviewers = set(application.assignments.values_list("reviewer__email", flat=True))
    assert "tess@csc.fi" not in reviewers
    assert site_x.technical[1].email in reviewers
