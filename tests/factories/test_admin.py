from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from factories.models import AIFactory, Source, System

pytestmark = pytest.mark.django_db

FACTORIES = "/admin/factories/aifactory/"
SYSTEMS = "/admin/factories/system/"
SOURCES = "/admin/factories/source/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _rows(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _change_form_data(response) -> dict[str, str]:
    """The POST body a browser would send back for an admin change form, unchanged."""
    data: dict[str, str] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["bsc-aif", "hammerhai", "it4lia", "l-aif", "lumi-aif", "mimer", "pharos"]),
        ("?q=Kajaani", ["lumi-aif"]),
        ("?q=LUMI-IQ", ["lumi-aif"]),  # by a system's name
        ("?country=SE", ["mimer"]),
        ("?wave=1", ["bsc-aif", "hammerhai", "it4lia", "l-aif", "lumi-aif", "mimer", "pharos"]),
        ("?systems__kind=experimental_platform", ["bsc-aif", "lumi-aif"]),
        ("?systems__status=procurement", ["it4lia", "mimer"]),
    ],
)
def test_it_lists_and_filters_factories_for_an_admin(admin_client, catalogue, query, expected):
    response = admin_client.get(FACTORIES + query)

    assert sorted(f.slug for f in _rows(response)) == expected
    assert f"{len(expected)} AI Factor" in response.content.decode()


def test_it_counts_all_systems_of_a_factory_found_through_its_systems(admin_client, catalogue):
    searched = _rows(admin_client.get(FACTORIES + "?q=LUMI"))
    filtered = _rows(admin_client.get(FACTORIES + "?systems__status=planned&country=FI"))

    assert [(f.slug, f._system_count) for f in searched] == [("lumi-aif", 3)]
    assert [(f.slug, f._system_count) for f in filtered] == [("lumi-aif", 3)]
    html = admin_client.get(FACTORIES + "?q=LUMI").content.decode()
    assert '<td class="field-system_count">3</td>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=LUMI", ["lumi", "lumi-ai", "lumi-iq"]),
        ("?q=Bissen", ["meluxina", "meluxina-ai"]),  # by the factory's city
        ("?kind=experimental_platform", ["bsc-aif-experimental", "lumi-iq"]),
        ("?status=installing", ["daedalus", "marenostrum-5-ai"]),
        ("?origin=upgrade", ["marenostrum-5-ai"]),
        ("?factory__country=FI", ["lumi", "lumi-ai", "lumi-iq"]),
        (
            "?factory__wave=1&kind=experimental_platform&status=planned",
            ["bsc-aif-experimental", "lumi-iq"],
        ),
    ],
)
def test_it_lists_and_filters_systems_for_an_admin(admin_client, catalogue, query, expected):
    assert sorted(s.slug for s in _rows(admin_client.get(SYSTEMS + query))) == expected


@pytest.mark.parametrize(
    ("query", "lookup"),
    [
        ("", {}),
        ("?q=okm.fi", {"url__icontains": "okm.fi"}),
        ("?q=etude.lu", {"url__icontains": "etude.lu"}),
        ("?confidence=weak", {"confidence": "weak"}),
        ("?confidence=solid", {"confidence": "solid"}),
    ],
)
def test_it_lists_and_filters_sources_for_an_admin(admin_client, catalogue, query, lookup):
    response = admin_client.get(SOURCES + query)

    expected = Source.objects.filter(**lookup)
    assert 0 < expected.count() < 98 or not lookup
    assert response.context["cl"].result_count == expected.count()
    assert {s.pk for s in _rows(response)} <= set(expected.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("url", "model"), [(FACTORIES, AIFactory), (SYSTEMS, System), (SOURCES, Source)]
)
def test_it_opens_the_change_form_of_each_catalogue_model(admin_client, catalogue, url, model):
    obj = model.objects.order_by("pk").first()

    response = admin_client.get(f"{url}{obj.pk}/change/")

    assert response.status_code == 200
    assert response.context["original"] == obj


def test_it_records_an_admin_edit_of_a_system_in_its_history(admin_client, admin_user, catalogue):
    system = System.objects.get(slug="lumi-ai")
    url = f"{SYSTEMS}{system.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    data["accelerator_count"] = "4096"
    data["status"] = "procurement"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    system.refresh_from_db()
    assert system.accelerator_count == 4096
    assert system.status == System.Status.PROCUREMENT
    assert system.sources.count() == 4  # the inline sources were kept
    record = system.history.first()
    assert record.history_type == "~"
    assert record.history_user == admin_user
    assert (record.accelerator_count, record.status) == (4096, "procurement")

    history = admin_client.get(f"{url.removesuffix('change/')}history/")

    assert history.status_code == 200
    text = " ".join(history.content.decode().split())
    assert "admin@example.org" in text
    assert "Changed" in text
    assert "None &nbsp;&rarr;&nbsp;&nbsp;4096" in text


def test_it_shows_the_edit_on_the_public_page_at_once(admin_client, catalogue):
    public = Client()
    assert "Kajaani" in public.get("/factories/lumi-aif/").content.decode()
    factory = AIFactory.objects.get(slug="lumi-aif")
    url = f"{FACTORIES}{factory.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    data["city"] = "Oulu"

    assert admin_client.post(url, data).status_code == 302

    factory.refresh_from_db()
    assert factory.city == "Oulu"
    assert factory.history.first().history_user.email == "admin@example.org"
    assert "Oulu" in public.get("/factories/lumi-aif/").content.decode()


@pytest.mark.parametrize("url", [FACTORIES, SYSTEMS, SOURCES])
def test_it_sends_a_non_staff_user_to_the_login_page(client, catalogue, url):
    user = get_user_model().objects.create_user(email="alice@example.org", password="x-pass-123")
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, catalogue):
    response = client.get(FACTORIES)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
