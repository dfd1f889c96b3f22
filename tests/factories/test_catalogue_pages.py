from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse

from factories.models import AIFactory, Source, System
from tests.model_factories import AIFactoryFactory, create_factories_with_systems

pytestmark = pytest.mark.django_db

CITIES = ["Barcelona", "Bologna", "Kajaani", "Bissen", "Linköping", "Stuttgart", "Athens"]
NOT_PUBLISHED = "not yet published"


def _text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([,.])", r"\1", text)


def _facts(html: str, system_slug: str | None = None) -> dict[str, str]:
    """The `<dt>label</dt><dd>value</dd>` pairs of one system's facts, as a reader sees them."""
    if system_slug:
        html = html.split(f'id="system-{system_slug}"', 1)[1].split("</section>", 1)[0]
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", html, flags=re.S)
    return {
        _text(re.sub(r'<span class="visually-hidden">.*?</span>', "", dt)): _text(dd)
        for dt, dd in pairs
    }


def _listed(response) -> list[str]:
    """Slugs of the factories in the rows of the factory list, in order."""
    return re.findall(r'<th scope="row"><a href="/factories/([^/"]+)/">', response.content.decode())


# --- Home page ------------------------------------------------------------------------------------


def test_it_shows_the_nineteen_factories_on_the_home_page(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for city in CITIES:
        assert city in html
    for factory in AIFactory.objects.all():
        assert f'<a href="/factories/{factory.slug}/">{factory.display_name}</a>' in html
    assert (
        "19 AI Factories in 3 selection waves, 4 experimental platforms, 12 antennas linked to "
        "them." in _text(html)
    )


def test_it_calls_the_visitor_to_apply_on_the_home_page(client, catalogue):
    html = client.get("/").content.decode()

    assert '<a class="btn btn-primary btn-lg" href="/access-modes/">Apply for GPU-hours</a>' in html
    assert 'href="/antennas/"' in html


def test_it_draws_one_bar_per_factory_in_the_status_chart(client, catalogue):
    html = client.get("/").content.decode()

    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count('<text x="0"') == 19
    assert "LUMI AIF (Kajaani)" in svg
    # LUMI AIF: one operational system, two planned.
    lumi_row = svg.split("LUMI AIF (Kajaani)", 1)[1].split('<text x="0"', 1)[0]
    assert "<title>Operational: 1</title>" in lumi_row
    assert "<title>Planned: 2</title>" in lumi_row
    # HammerHAI's only system has no published status yet.
    hammerhai_row = svg.split("HammerHAI (Stuttgart)", 1)[1].split('<text x="0"', 1)[0]
    assert 'class="chart-status-unknown"' in hammerhai_row
    assert "<title>Status not yet published: 1</title>" in hammerhai_row


def test_it_shows_the_factories_of_every_wave_on_the_home_page(client, catalogue):
    AIFactoryFactory(short_name="Later AIF", wave=4)

    html = client.get("/").content.decode()

    assert "Later AIF" in html
    assert 'href="/factories/jaif/"' in html  # wave 2
    assert 'href="/factories/nlaif/"' in html  # wave 3


def test_it_uses_three_queries_for_the_home_page_whatever_the_number_of_factories(
    client, catalogue, django_assert_num_queries
):
    # factories, their systems, their antenna links
    with django_assert_num_queries(3):
        assert client.get("/").status_code == 200

    create_factories_with_systems(63, wave=1)
    cache.clear()

    with django_assert_num_queries(3):
        response = client.get("/")
    assert response.content.decode().count('<text x="0"') == 82


# --- Factory list and filters ---------------------------------------------------------------------


def test_it_lists_every_factory_with_its_systems(client, catalogue):
    response = client.get("/factories/")

    assert response.status_code == 200
    assert len(_listed(response)) == 19
    text = _text(response.content.decode())
    assert "19 AI Factories" in text
    assert "LUMI (ai-optimised supercomputer)" in text
    assert "LUMI-IQ (experimental platform)" in text
    assert "LUMI AIF Kajaani, Finland" in text


def test_it_offers_the_host_countries_by_name_in_the_country_filter(client, catalogue):
    html = client.get("/factories/?country=FI").content.decode()

    select = html.split('id="f-country"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([A-Z]*)"( selected)?>([^<]*)</option>', select)
    assert [(code, label) for code, _, label in options] == [
        ("", "Any country"),
        ("AT", "Austria"),
        ("BG", "Bulgaria"),
        ("CZ", "Czechia"),
        ("FI", "Finland"),
        ("FR", "France"),
        ("DE", "Germany"),
        ("GR", "Greece"),
        ("IT", "Italy"),
        ("LT", "Lithuania"),
        ("LU", "Luxembourg"),
        ("NL", "Netherlands"),
        ("PL", "Poland"),
        ("RO", "Romania"),
        ("SI", "Slovenia"),
        ("ES", "Spain"),
        ("SE", "Sweden"),
    ]
    assert [code for code, selected, _ in options if selected] == ["FI"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country=FI", ["lumi-aif"]),
        ("kind=experimental_platform", ["1healthai", "bsc-aif", "jaif", "lumi-aif"]),
        ("status=procurement", ["it4lia", "mimer", "nlaif"]),
        ("status=installing", ["bsc-aif", "pharos"]),
        ("accelerator=gb200", ["bsc-aif", "it4lia"]),
        ("q=kajaani", ["lumi-aif"]),
        ("q=Supercomputing Center", ["1healthai", "bsc-aif", "czai"]),
        ("q=hammer", ["hammerhai"]),
        ("country=ES&kind=experimental_platform", ["1healthai", "bsc-aif"]),
        ("country=IT&kind=experimental_platform", []),
        ("wave=1", ["bsc-aif", "hammerhai", "it4lia", "l-aif", "lumi-aif", "mimer", "pharos"]),
        ("wave=2", ["ai-at", "ai2f", "brain-plus-plus", "jaif", "piast-ai", "slaif"]),
        ("wave=3", ["1healthai", "czai", "gaia-aif", "litai", "nlaif", "ro-aif"]),
        ("wave=4", []),
        ("antenna=antenna-be", ["jaif", "lumi-aif"]),  # Belgium: two factories
        ("antenna=antenna-ch", ["bsc-aif", "it4lia", "lumi-aif", "mimer"]),
        ("antenna=antenna-ie", ["ai2f"]),  # its weak link to L-AIF is no link
        ("antenna=antenna-sk", []),  # only a weak link
        ("antenna=antenna-be&wave=1", ["lumi-aif"]),
    ],
)
def test_it_filters_the_factory_list(client, catalogue, query, expected):
    response = client.get(f"/factories/?{query}")

    assert response.status_code == 200
    listed = _listed(response)
    assert sorted(listed) == expected  # sorted; and no factory twice
    text = _text(response.content.decode())
    if not expected:
        assert "No AI Factory matches these filters." in text
    assert "Clear" in text


def test_it_lists_a_factory_once_when_several_of_its_systems_match(client, catalogue):
    response = client.get("/factories/?status=planned")

    # LUMI AIF has two planned systems (LUMI-AI, LUMI-IQ).
    assert _listed(response).count("lumi-aif") == 1
    assert sorted(_listed(response)) == ["bsc-aif", "czai", "l-aif", "lumi-aif", "slaif"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "Select a valid choice. XX is not one of the available choices."),
        ("status=bogus", "Select a valid choice. bogus is not one of the available choices."),
        ("kind=gpu", "Select a valid choice. gpu is not one of the available choices."),
        ("wave=abc", "Selection wave: Enter a whole number."),
        ("wave=1.5", "Selection wave: Enter a whole number."),
        ("wave=0", "Selection wave: Ensure this value is greater than or equal to 1."),
    ],
)
def test_it_answers_400_and_shows_why_for_an_invalid_filter(client, catalogue, query, message):
    response = client.get(f"/factories/?{query}")

    assert response.status_code == 400
    text = _text(response.content.decode())
    assert message in text
    assert "Some filters are not valid; correct them to see factories." in text
    assert _listed(response) == []


def test_it_does_not_cache_a_rejected_filter(client, catalogue):
    assert client.get("/factories/?country=XX").status_code == 400
    assert client.get("/factories/?country=XX").status_code == 400


def test_it_uses_the_same_queries_for_the_factory_list_with_19_or_82_factories(
    client, catalogue, django_assert_num_queries
):
    # factories, their systems, their antenna links (prefetches), the countries and waves of
    # the filter form, its antennas
    with django_assert_num_queries(5):
        response = client.get("/factories/")
    assert len(_listed(response)) == 19

    create_factories_with_systems(63)
    cache.clear()

    with django_assert_num_queries(5):
        response = client.get("/factories/")
    assert len(_listed(response)) == 82
    assert "Portugal" in response.content.decode()


def test_it_uses_the_same_queries_for_a_filtered_list_with_19_or_82_factories(
    client, catalogue, django_assert_num_queries
):
    with django_assert_num_queries(5):
        response = client.get("/factories/?kind=experimental_platform")
    assert len(_listed(response)) == 4

    create_factories_with_systems(63)
    cache.clear()

    with django_assert_num_queries(5):
        response = client.get("/factories/?kind=experimental_platform")
    assert len(_listed(response)) == 67


# --- Factory and system pages ---------------------------------------------------------------------


def test_it_shows_a_factory_with_its_systems_their_specs_and_sources(client, catalogue):
    response = client.get(reverse("factories:factory-detail", kwargs={"slug": "lumi-aif"}))

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    assert '<h1 class="h3">LUMI AI Factory</h1>' in html
    assert "Kajaani, Finland" in text
    assert "CSC - IT Center for Science (coordinator of the consortium)" in text
    assert "Czechia (IT4Innovations)" in text
    assert "wave 1, 10 December 2024" in text
    for slug, name in [("lumi", "LUMI"), ("lumi-ai", "LUMI-AI"), ("lumi-iq", "LUMI-IQ")]:
        assert f'<a href="/systems/{slug}/">{name}</a>' in html
    assert _facts(html, "lumi")["Vendor"] == "HPE"
    assert _facts(html, "lumi-ai")["Available from"].startswith("2027 ")
    assert _facts(html, "lumi-iq")["Kind"] == "Experimental platform (new system)"
    factory = AIFactory.objects.get(slug="lumi-aif")
    for source in factory.sources.all():
        assert f'href="{source.url}"' in html
    assert html.count('<ul class="source-list') == 1


def test_it_shows_unknown_figures_as_not_yet_published(client, catalogue):
    response = client.get(reverse("factories:system-detail", kwargs={"slug": "lumi-ai"}))

    html = response.content.decode()
    facts = _facts(html)
    for label in [
        "Vendor",
        "Accelerator",
        "Accelerators",
        "Nodes",
        "Peak (FP64)",
        "AI exaflops, training",
        "AI exaflops, inference",
        "Allocatable GPU-hours per year",
    ]:
        assert facts[label] == NOT_PUBLISHED, label
    assert "None" not in _text(html)
    assert not [value for value in facts.values() if value == "0" or value.startswith("0 ")]


def test_it_shows_an_unpublished_status_as_not_yet_published(client, catalogue):
    html = client.get("/systems/hammerhai-ai/").content.decode()

    assert _facts(html)["Status"] == NOT_PUBLISHED
    assert "None" not in _text(html)


def test_it_shows_published_figures_with_their_units(client, catalogue):
    marenostrum = _facts(client.get("/systems/marenostrum-5/").content.decode())
    marenostrum_ai = _facts(client.get("/systems/marenostrum-5-ai/").content.decode())
    it4lia_ai = _facts(client.get("/systems/it4lia-ai/").content.decode())

    assert marenostrum["Peak (FP64)"] == "314 PFlop/s"
    assert marenostrum["Available from"] == "December 2023"
    assert marenostrum["Status"] == "Operational"
    # AI exaflops are a vendor low-precision figure, never shown as FP64 peak.
    assert marenostrum_ai["Peak (FP64)"] == NOT_PUBLISHED
    assert marenostrum_ai["AI exaflops, training"] == "20 AI EF (low precision)"
    assert marenostrum_ai["AI exaflops, inference"] == "33 AI EF (low precision)"
    assert it4lia_ai["Accelerators"] == "more than 8,000"


def test_it_shows_a_system_with_its_factory_and_sources(client, catalogue):
    response = client.get(reverse("factories:system-detail", kwargs={"slug": "lumi-iq"}))

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    assert '<h1 class="h3">LUMI-IQ</h1>' in html
    assert "Experimental platform at LUMI AIF, Kajaani" in text
    assert '<a href="/factories/lumi-aif/">LUMI AIF</a>' in html
    assert "experimental quantum computing platform" in text
    system = System.objects.get(slug="lumi-iq")
    urls = re.findall(r'<li><a href="([^"]+)" rel="noopener noreferrer">', html)
    assert urls == [source.url for source in system.sources.order_by("pk")]
    assert "medium" in text and "solid" in text


def test_it_says_so_when_a_system_has_no_source(client, catalogue):
    Source.objects.filter(system__slug="lumi-iq").delete()

    text = _text(client.get("/systems/lumi-iq/").content.decode())

    assert "No source recorded yet." in text


@pytest.mark.parametrize("url", ["/factories/atlantis/", "/systems/atlantis-1/"])
def test_it_returns_a_404_page_for_an_unknown_factory_or_system(client, catalogue, url):
    response = client.get(url)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "queries"),
    # factory + systems + systems' sources + factory's sources + antenna links; system + its
    # sources + its partitions + whether it takes applications (the modes, none in this
    # fixture, site roles)
    [("/factories/lumi-aif/", 5), ("/systems/lumi-ai/", 5)],
)
def test_it_uses_a_fixed_number_of_queries_for_a_detail_page(
    client, catalogue, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# --- Caching --------------------------------------------------------------------------------------


def test_it_serves_a_catalogue_page_again_from_the_cache(
    client, catalogue, django_assert_num_queries
):
    client.get("/factories/lumi-aif/")

    with django_assert_num_queries(0):
        response = client.get("/factories/lumi-aif/")
    assert "Kajaani" in response.content.decode()


def test_it_shows_an_edited_factory_at_once_despite_the_cache(client, catalogue):
    assert "Kajaani, Finland" in _text(client.get("/factories/lumi-aif/").content.decode())
    assert "Kajaani" in client.get("/factories/").content.decode()
    factory = AIFactory.objects.get(slug="lumi-aif")

    factory.city = "Oulu"
    factory.save()

    detail = _text(client.get("/factories/lumi-aif/").content.decode())
    assert "Oulu, Finland" in detail
    assert "Kajaani" not in detail
    assert "Oulu" in client.get("/factories/").content.decode()
    assert "LUMI AIF (Oulu)" in client.get("/").content.decode()


def test_it_shows_an_edited_system_on_its_factory_page_at_once(client, catalogue):
    assert _facts(client.get("/factories/lumi-aif/").content.decode(), "lumi-ai")["Nodes"] == (
        NOT_PUBLISHED
    )
    system = System.objects.get(slug="lumi-ai")

    system.nodes = 1200
    system.save()

    html = client.get("/factories/lumi-aif/").content.decode()
    assert _facts(html, "lumi-ai")["Nodes"] == "1,200"


def test_it_forgets_a_deleted_source_at_once(client, catalogue):
    source = Source.objects.filter(system__slug="lumi-iq").first()
    assert source.url in client.get("/systems/lumi-iq/").content.decode()

    source.delete()

    assert source.url not in client.get("/systems/lumi-iq/").content.decode()


def test_a_cached_page_is_answered_before_the_stack_with_every_header(
    client, catalogue, django_assert_num_queries
):
    first = client.get("/factories/lumi-aif/")

    with django_assert_num_queries(0):  # no session, no user, no catalogue query
        again = client.get("/factories/lumi-aif/")

    assert again.status_code == 200
    assert again.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert again[header] == first[header]


def test_a_signed_in_visitor_is_never_served_the_anonymous_copy(client, catalogue, admin_user):
    client.get("/factories/lumi-aif/")
    client.force_login(admin_user)

    page = client.get("/factories/lumi-aif/").content.decode()

    assert "Sign out" in page
