from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fact(scope: Locator, label: str) -> Locator:
    """The value (`<dd>`) next to the label (`<dt>`) of a system's facts."""
    return scope.locator(f"xpath=.//dt[normalize-space()='{label}']/following-sibling::dd[1]")


def test_it_lets_a_visitor_click_from_the_home_page_to_a_factory_and_its_systems(
    live_server, page: Page
):
    call_command("load_reference_data", verbosity=0)  # transaction=True starts from an empty db
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    failures: list[str] = []
    page.on("requestfailed", lambda request: failures.append(request.url))

    page.goto(live_server.url + "/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("EuroHPC AI Factories")
    expect(page.locator("article.card")).to_have_count(19)
    expect(page.get_by_role("img", name="Systems per AI Factory, by status")).to_be_visible()

    page.get_by_role("link", name="LUMI AIF", exact=True).click()

    expect(page).to_have_url(live_server.url + "/factories/lumi-aif/")
    expect(page.get_by_role("heading", level=1)).to_have_text("LUMI AI Factory")
    systems = page.locator("section.card h3")
    expect(systems).to_have_text(["LUMI-IQ", "LUMI", "LUMI-AI"])
    lumi_ai = page.get_by_role("region", name="LUMI-AI")
    expect(_fact(lumi_ai, "Accelerators")).to_have_text("not yet published")
    expect(_fact(lumi_ai, "Available from")).to_contain_text("2027")

    page.get_by_role("link", name="LUMI-AI", exact=True).click()

    expect(page).to_have_url(live_server.url + "/systems/lumi-ai/")
    expect(page.get_by_role("heading", level=1)).to_have_text("LUMI-AI")
    expect(page.get_by_role("link", name="https://okm.fi/", exact=False)).to_be_visible()

    server = urlsplit(live_server.url).netloc
    assert requests, "the browser made no request"
    assert {urlsplit(url).netloc for url in requests} == {server}
    assert any(url.endswith(".css") for url in requests)  # the page's own stylesheet
    assert failures == []


def test_it_leads_a_visitor_from_the_home_page_to_a_modes_rules_and_a_system_that_can_take_it(
    live_server, page: Page
):
    call_command("load_reference_data", verbosity=0)
    page.goto(live_server.url + "/")

    page.get_by_role("link", name="Apply for GPU-hours").click()

    expect(page).to_have_url(live_server.url + "/access-modes/")
    page.get_by_role("link", name="Fast Lane", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AI Factories Fast Lane Access")
    expect(_fact(page.locator("main"), "GPU-hours").first).to_have_text("up to 50,000 GPU-hours")

    page.get_by_role("link", name="MareNostrum 5", exact=True).click()

    expect(page).to_have_url(live_server.url + "/systems/marenostrum-5/#apply")
    expect(page.locator("#apply + ul")).to_contain_text(
        "BSC AIF has no active technical reviewer yet, so it cannot review applications."
    )
    expect(page.get_by_role("link", name="Apply for Fast Lane on MareNostrum 5")).to_have_count(0)

    page.goto(live_server.url + "/antennas/antenna-be/")
    expect(page.locator("#factories + ul a")).to_have_text(["JAIF", "LUMI AIF"])
