from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from openapi_spec_validator import validate

from factories.models import AIFactory, System
from tests.model_factories import create_factories_with_systems

pytestmark = pytest.mark.django_db

FACTORIES = "/api/v1/factories/"
SYSTEMS = "/api/v1/systems/"
SEVEN = ["bsc-aif", "hammerhai", "it4lia", "l-aif", "lumi-aif", "mimer", "pharos"]  # wave 1
WAVE_2 = ["ai-at", "ai2f", "brain-plus-plus", "jaif", "piast-ai", "slaif"]
WAVE_3 = ["1healthai", "czai", "gaia-aif", "litai", "nlaif", "ro-aif"]
NINETEEN = sorted(SEVEN + WAVE_2 + WAVE_3)


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["slug"] for item in response.json()["results"])


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- Factories ------------------------------------------------------------------------------------


def test_it_lists_the_nineteen_factories_with_their_systems(client, catalogue):
    response = client.get(FACTORIES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 19
    assert body["next"] is None
    assert _slugs(response) == NINETEEN
    lumi = next(f for f in body["results"] if f["slug"] == "lumi-aif")
    assert lumi["name"] == "LUMI AI Factory"
    assert lumi["short_name"] == "LUMI AIF"
    assert lumi["url"] == "http://testserver/api/v1/factories/lumi-aif/"
    assert (lumi["city"], lumi["country"], lumi["country_name"]) == ("Kajaani", "FI", "Finland")
    assert lumi["wave"] == 1
    assert lumi["selected_on"] == "2024-12-10"
    assert lumi["partners"][:2] == ["Czechia (IT4Innovations)", "Denmark"]
    # by kind, then name: "experimental_platform" sorts before "supercomputer"
    assert [s["slug"] for s in lumi["systems"]] == ["lumi-iq", "lumi", "lumi-ai"]
    assert "sources" not in lumi


def test_it_gives_unknown_figures_as_null_never_zero(client, catalogue):
    body = client.get(FACTORIES).json()

    systems = {s["slug"]: s for f in body["results"] for s in f["systems"]}
    lumi_ai = systems["lumi-ai"]
    assert lumi_ai["accelerator_count"] is None
    assert lumi_ai["peak_pflops"] is None
    assert lumi_ai["ai_exaflops_training"] is None
    assert lumi_ai["available_from"] == "2027-01-01"
    assert lumi_ai["available_from_precision"] == "year"
    assert lumi_ai["url"] == "http://testserver/api/v1/systems/lumi-ai/"
    assert systems["hammerhai-ai"]["status"] == ""
    assert systems["marenostrum-5"]["peak_pflops"] == "314.00"
    assert systems["marenostrum-5-ai"]["peak_pflops"] is None
    assert systems["marenostrum-5-ai"]["ai_exaflops_training"] == "20.00"
    assert systems["it4lia-ai"]["accelerator_count"] == 8000
    assert systems["it4lia-ai"]["accelerator_count_is_minimum"] is True


def test_it_shows_one_factory_with_its_sources(client, catalogue):
    response = client.get(f"{FACTORIES}lumi-aif/")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "lumi-aif"
    assert [s["name"] for s in body["systems"]] == ["LUMI-IQ", "LUMI", "LUMI-AI"]
    factory = AIFactory.objects.get(slug="lumi-aif")
    assert [s["url"] for s in body["sources"]] == [s.url for s in factory.sources.order_by("pk")]
    assert set(body["sources"][0]) == {"url", "confidence", "note"}
    assert body["funding_notes"].startswith("Finnish government contribution EUR 250M")
    assert "services_note" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country=FI", ["lumi-aif"]),
        ("country=ES", ["1healthai", "bsc-aif"]),
        ("wave=1", SEVEN),
        ("wave=2", WAVE_2),
        ("wave=3", WAVE_3),
        ("wave=4", []),
        ("kind=experimental_platform", ["1healthai", "bsc-aif", "jaif", "lumi-aif"]),
        ("kind=supercomputer", sorted(set(NINETEEN) - {"piast-ai"})),  # PIAST: no system named
        ("status=procurement", ["it4lia", "mimer", "nlaif"]),
        ("status=planned", ["bsc-aif", "czai", "l-aif", "lumi-aif", "slaif"]),
        ("accelerator=NVL4", ["bsc-aif", "it4lia"]),
        ("q=kajaani", ["lumi-aif"]),
        ("q=CSC", ["lumi-aif"]),
        ("q=atlantis", []),
        ("country=FI&kind=experimental_platform&status=planned", ["lumi-aif"]),
    ],
)
def test_it_filters_the_factories(client, catalogue, query, expected):
    response = client.get(f"{FACTORIES}?{query}")

    assert _slugs(response) == expected
    assert response.json()["count"] == len(expected)  # each factory once


# --- Systems --------------------------------------------------------------------------------------


def test_it_lists_the_systems_with_their_factory(client, catalogue):
    response = client.get(SYSTEMS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 29
    lumi_iq = next(s for s in body["results"] if s["slug"] == "lumi-iq")
    assert lumi_iq["kind"] == "experimental_platform"
    assert lumi_iq["factory"] == {
        "slug": "lumi-aif",
        "name": "LUMI AI Factory",
        "short_name": "LUMI AIF",
        "url": "http://testserver/api/v1/factories/lumi-aif/",
        "city": "Kajaani",
        "country": "FI",
    }
    assert lumi_iq["nodes"] is None
    assert lumi_iq["allocatable_gpu_hours_per_year"] is None


def test_it_shows_one_system_with_its_sources(client, catalogue):
    response = client.get(f"{SYSTEMS}lumi-ai/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "LUMI-AI"
    assert body["factory"]["slug"] == "lumi-aif"
    assert body["accelerator_count"] is None
    system = System.objects.get(slug="lumi-ai")
    assert [s["url"] for s in body["sources"]] == [s.url for s in system.sources.order_by("pk")]
    assert len(body["sources"]) == 4
    assert body["sources"][0]["confidence"] == "solid"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("factory=lumi-aif", ["lumi", "lumi-ai", "lumi-iq"]),
        ("factory=atlantis", []),
        ("country=LU", ["meluxina", "meluxina-ai"]),
        (
            "kind=experimental_platform",
            ["1healthai-experimental", "bsc-aif-experimental", "jarvis", "lumi-iq"],
        ),
        (
            "status=operational",
            ["jean-zay", "jupiter", "leonardo", "lumi", "marenostrum-5", "meluxina", "vega"],
        ),
        ("origin=upgrade", ["marenostrum-5-ai"]),
        ("accelerator=gb200", ["it4lia-ai", "marenostrum-5-ai"]),
        ("factory=lumi-aif&status=planned&origin=new", ["lumi-ai", "lumi-iq"]),
    ],
)
def test_it_filters_the_systems(client, catalogue, query, expected):
    assert _slugs(client.get(f"{SYSTEMS}?{query}")) == expected


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{FACTORIES}?country=XX", "country"),
        (f"{FACTORIES}?wave=abc", "wave"),
        (f"{FACTORIES}?wave=0", "wave"),
        (f"{FACTORIES}?wave=1.5", "wave"),
        (f"{FACTORIES}?wave=1e400", "wave"),
        (f"{FACTORIES}?kind=gpu", "kind"),
        (f"{FACTORIES}?status=bogus", "status"),
        (f"{FACTORIES}?accelerator={'x' * 101}", "accelerator"),
        (f"{FACTORIES}?q=%00", "q"),
        (f"{SYSTEMS}?country=XX", "country"),
        (f"{SYSTEMS}?kind=gpu", "kind"),
        (f"{SYSTEMS}?status=bogus", "status"),
        (f"{SYSTEMS}?origin=stolen", "origin"),
        (f"{SYSTEMS}?accelerator=%00", "accelerator"),
    ],
)
def test_it_answers_400_with_the_field_for_an_invalid_filter(client, catalogue, url, field):
    body = _assert_error(client.get(url), 400, "invalid")

    assert set(body) == {"detail", "code", "errors"}
    assert body["detail"] == f"The request has invalid fields: {field}."
    assert list(body["errors"]) == [field]
    assert body["errors"][field] and all(isinstance(m, str) for m in body["errors"][field])


def test_it_names_every_invalid_filter_at_once(client, catalogue):
    body = _assert_error(
        client.get(f"{FACTORIES}?country=XX&status=bogus&wave=abc"), 400, "invalid"
    )

    assert body["detail"] == "The request has invalid fields: country, status, wave."
    assert body["errors"]["country"] == [
        "Select a valid choice. XX is not one of the available choices."
    ]
    assert body["errors"]["status"] == [
        "Select a valid choice. bogus is not one of the available choices."
    ]
    assert body["errors"]["wave"] == ["Enter a whole number."]


@pytest.mark.parametrize(
    "url",
    [f"{FACTORIES}atlantis/", f"{SYSTEMS}atlantis-1/", "/api/v1/nothing-here/"],
)
def test_it_answers_404_json_for_an_unknown_slug_or_address(client, catalogue, url):
    body = _assert_error(client.get(url), 404, "not_found")

    assert body == {"detail": "Not found.", "code": "not_found"}


def test_it_does_not_allow_writes_to_the_catalogue(client, catalogue):
    response = client.post(FACTORIES, {"slug": "mine", "name": "Mine"})

    assert response.status_code in (401, 403, 405)
    assert set(response.json()) == {"detail", "code"}
    assert not AIFactory.objects.filter(slug="mine").exists()


# --- Pagination -----------------------------------------------------------------------------------


def test_it_pages_the_factories(client, catalogue):
    first = client.get(f"{FACTORIES}?page_size=8").json()
    last = client.get(f"{FACTORIES}?page_size=8&page=3").json()

    assert first["count"] == 19
    assert len(first["results"]) == 8
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/factories/?page=2&page_size=8"
    assert len(last["results"]) == 3
    assert last["next"] is None
    pages = [
        *first["results"],
        *client.get(f"{FACTORIES}?page_size=8&page=2").json()["results"],
        *last["results"],
    ]
    assert sorted(f["slug"] for f in pages) == NINETEEN


def test_it_caps_the_page_size_at_100(client, catalogue):
    create_factories_with_systems(100)

    body = client.get(f"{FACTORIES}?page_size=100").json()
    refused = _assert_error(client.get(f"{FACTORIES}?page_size=1000"), 400, "invalid")

    assert body["count"] == 119
    assert len(body["results"]) == 100
    # Beyond the bound the schema states: refused, not silently cut to it.
    assert refused["errors"] == {"page_size": ["A whole number from 1 to 100."]}


@pytest.mark.parametrize("page", ["4", "0", "abc"])
def test_it_answers_404_json_for_a_page_out_of_range(client, catalogue, page):
    body = _assert_error(client.get(f"{FACTORIES}?page_size=8&page={page}"), 404, "not_found")

    assert body == {"detail": "Invalid page.", "code": "not_found"}


# --- Queries and cache ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        (f"{FACTORIES}?page_size=100", 4),  # count, factories, their systems, antenna links
        (f"{FACTORIES}?page_size=100&kind=supercomputer", 4),
        (f"{SYSTEMS}?page_size=100", 3),  # count, systems with their factory, their partitions
    ],
)
def test_it_uses_the_same_queries_for_19_or_82_factories(
    client, catalogue, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        small = client.get(url).json()

    create_factories_with_systems(63)
    cache.clear()

    with django_assert_num_queries(queries):
        large = client.get(url).json()
    assert large["count"] - small["count"] in (63, 2 * 63)  # factories, or their systems
    assert len(large["results"]) == min(large["count"], 100)


@pytest.mark.parametrize(
    ("url", "queries"),
    # a system: itself, its sources, its partitions, and whether it takes applications (the
    # modes, none in this fixture, and its site's roles; tests/factories/test_access_modes.py
    # has them all)
    [(f"{FACTORIES}lumi-aif/", 5), (f"{SYSTEMS}lumi/", 5)],
)
def test_it_uses_a_fixed_number_of_queries_for_one_object(
    client, catalogue, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_it_serves_fresh_data_after_an_edit_despite_the_cache(
    client, catalogue, django_assert_num_queries
):
    assert client.get(f"{SYSTEMS}lumi-ai/").json()["accelerator_count"] is None
    with django_assert_num_queries(0):
        client.get(f"{SYSTEMS}lumi-ai/")
    system = System.objects.get(slug="lumi-ai")

    system.accelerator_count = 4096
    system.save()

    assert client.get(f"{SYSTEMS}lumi-ai/").json()["accelerator_count"] == 4096
    lumi = client.get(f"{FACTORIES}lumi-aif/").json()
    assert next(s for s in lumi["systems"] if s["slug"] == "lumi-ai")["accelerator_count"] == 4096


def test_it_keys_the_cache_by_host_for_absolute_links(client, catalogue, settings):
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.eu"]

    client.get(f"{FACTORIES}lumi-aif/")
    body = client.get(f"{FACTORIES}lumi-aif/", HTTP_HOST="portal.example.eu").json()

    assert body["url"] == "http://portal.example.eu/api/v1/factories/lumi-aif/"


# --- Schema and docs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/api/schema/?format=json", {}),
        ("/api/schema/", {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}),
    ],
)
def test_it_publishes_a_valid_openapi_3_schema(client, db, url, headers):
    response = client.get(url, **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "AI Factory access portal API"
    paths = schema["paths"]
    for path in [
        "/api/v1/factories/",
        "/api/v1/factories/{slug}/",
        "/api/v1/systems/",
        "/api/v1/systems/{slug}/",
    ]:
        assert "get" in paths[path], path
    factory_list = paths["/api/v1/factories/"]["get"]
    assert {p["name"] for p in factory_list["parameters"]} >= {
        "country",
        "wave",
        "kind",
        "status",
        "accelerator",
        "q",
        "page",
        "page_size",
    }
    assert "400" in factory_list["responses"]
    assert "404" in paths["/api/v1/systems/{slug}/"]["get"]["responses"]


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


def test_it_serves_the_api_docs_from_local_files_only(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>AI Factory access portal API</title>" in html
    collector = _AssetCollector()
    collector.feed(html)
    assert len(collector.urls) >= 3  # the Swagger UI bundle, its preset, its stylesheet
    for url in collector.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # served by the portal itself
        assert url.startswith(("/static/", "/api/docs/")), url
    assert any("swagger-ui-bundle" in url for url in collector.urls)
    assert not re.findall(r"https?://(?!testserver)[^\s\"'<>]+\.(?:js|css)", html)


def test_it_serves_the_docs_assets_it_references(client, db):
    collector = _AssetCollector()
    collector.feed(client.get("/api/docs/").content.decode())

    for url in collector.urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, url
        if url.startswith("/api/docs/"):  # the page's own script points at the local schema
            assert b"/api/schema/" in body
        response.close()
