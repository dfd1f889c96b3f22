"""The AI Factory Antennas: loaded from the reference data with their links and sources, their
pages and API, and the factory filter by antenna."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from factories.models import AIFactory, Antenna, AntennaLink, Source
from tests.factories.test_catalogue_pages import _text

pytestmark = pytest.mark.django_db

ANTENNAS = "/api/v1/antennas/"


def test_it_loads_the_thirteen_antennas_with_every_link_and_its_confidence(catalogue):
    assert Antenna.objects.count() == 13
    links = {
        (link.antenna.slug, link.factory.slug): link.confidence
        for link in AntennaLink.objects.select_related("antenna", "factory")
    }
    assert len(links) == 19
    assert links[("antenna-be", "jaif")] == links[("antenna-be", "lumi-aif")] == "solid"
    assert links[("antenna-ie", "ai2f")] == "medium"
    assert links[("antenna-ie", "l-aif")] == "weak"  # kept as data, never shown as a link
    swiss = Antenna.objects.get(slug="antenna-ch")
    assert sorted(swiss.factories.values_list("slug", flat=True)) == [
        "bsc-aif",
        "it4lia",
        "lumi-aif",
        "mimer",
    ]
    assert Source.objects.filter(antenna=swiss).count() == 3


def test_it_keeps_an_unpublished_antenna_name_empty(catalogue):
    iceland = Antenna.objects.get(slug="antenna-is")

    assert iceland.name == ""
    assert iceland.display_name == "AI Factory Antenna Iceland"


# --- Pages ---------------------------------------------------------------------------------------


def test_it_lists_the_antennas_with_their_shown_links(client, catalogue):
    response = client.get("/antennas/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<th scope="row"><a href="/antennas/([^/"]+)/">', html)
    assert len(rows) == 13
    text = _text(html)
    assert "AI Factory Antenna Iceland (name not yet published)" in text
    ireland = html.split('href="/antennas/antenna-ie/"', 1)[1].split("</tr>", 1)[0]
    assert 'href="/factories/ai2f/"' in ireland
    assert 'href="/factories/l-aif/"' not in ireland  # a weak link is no link
    slovakia = html.split('href="/antennas/antenna-sk/"', 1)[1].split("</tr>", 1)[0]
    assert "no confirmed link yet" in slovakia


def test_it_shows_an_antenna_with_its_links_the_unconfirmed_one_and_its_sources(client, catalogue):
    html = client.get("/antennas/antenna-ie/").content.decode()
    text = _text(html)

    linked = html.split('id="factories"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/factories/ai2f/"' in linked and "l-aif" not in linked
    assert "Reported but not confirmed" in text
    assert "weak" in html.split("Reported but not confirmed", 1)[1]
    for source in Source.objects.filter(antenna__slug="antenna-ie"):
        assert source.url in html


def test_it_shows_unknown_antenna_facts_as_not_yet_published(client, catalogue):
    text = _text(client.get("/antennas/antenna-cy/").content.decode())

    assert "Host not yet published" in text
    assert "Budget not yet published" in text


def test_it_links_a_factory_to_its_antennas(client, catalogue):
    html = client.get("/factories/lumi-aif/").content.decode()

    for slug in ("antenna-be", "antenna-ch", "antenna-is", "antenna-lv"):
        assert f'href="/antennas/{slug}/"' in html
    assert 'href="/antennas/antenna-ie/"' not in client.get("/factories/l-aif/").content.decode()


def test_it_answers_404_for_an_unknown_antenna(client, catalogue):
    assert client.get("/antennas/atlantis/").status_code == 404
    assert client.get(f"{ANTENNAS}atlantis/").json()["code"] == "not_found"


def test_it_uses_two_queries_for_the_antenna_list_whatever_the_number(
    client, catalogue, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert client.get("/antennas/").status_code == 200
    lumi = AIFactory.objects.get(slug="lumi-aif")
    for i in range(20):
        antenna = Antenna.objects.create(slug=f"extra-{i}", name=f"Extra {i}", country="IS")
        AntennaLink.objects.create(antenna=antenna, factory=lumi, confidence="solid")
    cache.clear()

    with django_assert_num_queries(2):
        response = client.get("/antennas/")
    assert response.content.decode().count('<th scope="row">') == 33


def test_it_serves_the_antenna_pages_from_the_cache_and_forgets_them_on_an_edit(
    client, catalogue, django_assert_num_queries
):
    client.get("/antennas/antenna-be/")
    with django_assert_num_queries(0):
        assert client.get("/antennas/antenna-be/").status_code == 200

    antenna = Antenna.objects.get(slug="antenna-be")  # an admin's save bumps the version
    antenna.budget = "EUR 12M total"
    antenna.save()

    assert "EUR 12M total" in client.get("/antennas/antenna-be/").content.decode()


def test_it_opens_the_antenna_in_the_admin_with_its_links(admin_client, catalogue):
    antenna = Antenna.objects.get(slug="antenna-ch")

    response = admin_client.get(f"/admin/factories/antenna/{antenna.pk}/change/")

    assert response.status_code == 200
    assert "IT4LIA" in response.content.decode()
    listing = admin_client.get("/admin/factories/antenna/?links__confidence=weak")
    assert listing.context["cl"].result_count == 2  # Ireland and Slovakia


# --- API -----------------------------------------------------------------------------------------


def test_it_lists_the_antennas_over_the_api(client, catalogue):
    body = client.get(ANTENNAS).json()

    assert body["count"] == 13
    belgium = next(a for a in body["results"] if a["slug"] == "antenna-be")
    assert belgium["name"] == "BE-AIFA"
    assert belgium["country"] == "BE" and belgium["membership"] == "member_state"
    assert belgium["url"] == "http://testserver/api/v1/antennas/antenna-be/"
    assert [(f["slug"], f["confidence"]) for f in belgium["factories"]] == [
        ("jaif", "solid"),
        ("lumi-aif", "solid"),
    ]
    iceland = next(a for a in body["results"] if a["slug"] == "antenna-is")
    assert iceland["name"] is None
    assert iceland["display_name"] == "AI Factory Antenna Iceland"


def test_it_shows_one_antenna_with_its_unconfirmed_links_and_sources_over_the_api(
    client, catalogue
):
    body = client.get(f"{ANTENNAS}antenna-ie/").json()

    assert [f["slug"] for f in body["factories"]] == ["ai2f"]
    assert [(f["slug"], f["confidence"]) for f in body["unconfirmed_links"]] == [("l-aif", "weak")]
    assert len(body["sources"]) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country=CH", ["antenna-ch"]),
        ("factory=pharos", ["antenna-cy", "antenna-mk", "antenna-mt", "antenna-rs"]),
        ("factory=l-aif", []),  # Ireland's link to it is weak
        ("factory=it4lia&country=RS", ["antenna-rs"]),
    ],
)
def test_it_filters_the_antennas_over_the_api(client, catalogue, query, expected):
    body = client.get(f"{ANTENNAS}?{query}").json()

    assert sorted(a["slug"] for a in body["results"]) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("antenna=antenna-be", ["jaif", "lumi-aif"]),
        ("antenna=antenna-ie", ["ai2f"]),
        ("antenna=antenna-sk", []),
        ("antenna=antenna-rs&wave=1", ["it4lia", "pharos"]),
        ("antenna=antenna-ch&country=SE", ["mimer"]),
    ],
)
def test_it_filters_the_factories_by_antenna_over_the_api(client, catalogue, query, expected):
    body = client.get(f"/api/v1/factories/?{query}").json()

    assert sorted(f["slug"] for f in body["results"]) == expected


def test_it_lists_a_factorys_antennas_over_the_api(client, catalogue):
    lumi = client.get("/api/v1/factories/lumi-aif/").json()

    assert sorted(a["slug"] for a in lumi["antennas"]) == [
        "antenna-be",
        "antenna-ch",
        "antenna-is",
        "antenna-lv",
    ]
    assert set(lumi["antennas"][0]) == {"slug", "name", "country", "url", "confidence"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{ANTENNAS}?country=XX", "country"),
        (f"{ANTENNAS}?factory={'x' * 61}", "factory"),
    ],
)
def test_it_answers_400_for_an_unknown_antenna_or_country(client, catalogue, url, field):
    response = client.get(url)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_an_unknown_antenna_links_to_no_factory(client, catalogue):
    api = client.get("/api/v1/factories/?antenna=atlantis")
    page = client.get("/factories/?antenna=atlantis")

    assert api.status_code == 200
    assert api.json()["results"] == []
    assert page.status_code == 200


def test_it_uses_a_fixed_number_of_queries_for_the_antenna_api(
    client, catalogue, django_assert_num_queries
):
    with django_assert_num_queries(3):  # count, antennas, their links
        client.get(ANTENNAS)
    with django_assert_num_queries(4):  # antenna, links, unconfirmed links, sources
        client.get(f"{ANTENNAS}antenna-be/")
