"""The factory finder: `/finder/` and `GET /api/v1/finder/`, one form for both (finder.forms),
the intake rule's verdict per system, the statistics' median, antennas, and bad inputs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from factories.models import Antenna, AntennaLink, System

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_statistics():
    cache.clear()


def _results(client, **params):
    response = client.get("/api/v1/finder/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_ranks_a_system_that_can_take_the_application_first_with_its_apply_link(
    client, lumi, modes
):
    results = _results(client, org_type="startup", gpu_hours=1000)

    assert results[0]["system"]["slug"] == "lumi"
    assert results[0]["can_take"] is True
    assert results[0]["mode"]["slug"] in {"fast-lane", "playground"}
    assert results[0]["apply_url"] == (
        f"/applications/new/?system=lumi&mode={results[0]['mode']['slug']}"
    )
    # Every other system in the catalogue is listed after, with the reason it cannot.
    assert len(results) == System.objects.count()
    assert all(not r["can_take"] and r["apply_url"] is None for r in results[1:])
    reasons = " ".join(r["text"] for r in results[1]["reasons"])
    assert "cannot take applications now" in reasons or "No access mode" in reasons


def test_the_page_shows_the_same_ranking_with_reasons_and_the_apply_link(client, lumi, modes):
    body = client.get("/finder/", {"org_type": "startup", "gpu_hours": 1000}).content.decode()

    assert "can take your application now" in body
    assert "/applications/new/?system=lumi&amp;mode=" in body
    assert "Apply with this" in body
    assert "Median working days to a decision here: not yet published" in body
    assert body.index('data-system="lumi"') < body.index('data-system="leonardo"')


def test_the_page_without_inputs_shows_the_form_only(client, modes):
    response = client.get("/finder/")

    assert response.status_code == 200
    assert "finder-results" not in response.content.decode()


def test_it_names_an_antenna_in_the_applicants_country_linked_to_the_factory(client, lumi, modes):
    antenna = Antenna.objects.filter(links__factory=lumi.factory).first()
    if antenna is None:  # the reference data links none to LUMI: make one
        antenna = Antenna.objects.create(slug="antenna-test", country="BE", name="Test Antenna")
    AntennaLink.objects.update_or_create(
        antenna=antenna, factory=lumi.factory, defaults={"confidence": "solid"}
    )
    results = _results(client, org_type="startup", country=antenna.country.code)

    lumi_row = next(r for r in results if r["system"]["slug"] == "lumi")
    antenna_text = next(r["text"] for r in lumi_row["reasons"] if r["topic"] == "antenna")
    assert antenna.display_name in antenna_text


def test_a_preferred_accelerator_and_unpublished_facts_are_said(client, lumi, modes):
    results = _results(
        client, org_type="startup", accelerator="MI250X", gpu_memory_gb=64, frameworks="PyTorch"
    )

    texts = {r["topic"]: r["text"] for r in results[0]["reasons"]}
    assert texts["memory"] == "GPU memory: not yet published."
    assert texts["software"] == "Frameworks and containers: not yet published."
    assert "accelerator" in texts


# What the schema states is refused as invalid (400); a rule it cannot state, as a conflict (409).
@pytest.mark.parametrize(
    ("params", "field", "message", "status"),
    [
        ({}, "org_type", "This field is required.", 400),
        ({"org_type": "pirate"}, "org_type", "Select a valid choice.", 400),
        ({"org_type": "startup", "gpu_hours": "-5"}, "gpu_hours", "greater than or equal", 400),
        ({"org_type": "startup", "gpu_hours": "many"}, "gpu_hours", "Enter a whole number.", 400),
        ({"org_type": "startup", "gpu_hours": 10, "node_hours": 2}, "node_hours", "not both", 409),
        ({"org_type": "startup", "country": "XX"}, "country", "Select a valid choice.", 400),
        ({"org_type": "startup", "start": "2001-01-01"}, "start", "cannot be in the past", 409),
        ({"org_type": "startup", "duration_months": 99}, "duration_months", "less than or", 400),
    ],
)
def test_bad_inputs_are_refused_alike_in_the_api_and_on_the_page(
    client, modes, params, field, message, status
):
    response = client.get("/api/v1/finder/", params)

    assert response.status_code == status
    assert message in " ".join(response.json()["errors"][field])
    page = client.get("/finder/", params or {"workload": "training"})
    assert page.status_code == 200
    assert "Please correct the fields marked below." in page.content.decode()
    assert "finder-results" not in page.content.decode()


def test_a_future_start_is_accepted(client, lumi, modes):
    start = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert _results(client, org_type="startup", start=start, duration_months=2)


def test_the_finder_uses_a_fixed_number_of_queries(client, lumi, modes, django_assert_num_queries):
    client.get("/finder/", {"org_type": "startup"})  # the statistics are cached from here on
    # the systems, the modes, the offers; per eligible mode (4 for a startup) the intake
    # rule's offers, roles and LUMI's ledger (the one system passing its other rules); the
    # antennas of the country, their links. 17 whatever the number of systems that cannot.
    with django_assert_num_queries(17):
        client.get("/finder/", {"org_type": "startup", "country": "BE"})
    with django_assert_num_queries(17):
        client.get("/api/v1/finder/", {"org_type": "startup", "country": "BE"})
