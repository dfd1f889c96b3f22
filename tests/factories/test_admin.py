from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from allocations.models import Allocation
from applications.models import Application
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
        (
            "",
            [
                "1healthai",
                "ai-at",
                "ai2f",
                "brain-plus-plus",
                "bsc-aif",
                "czai",
                "gaia-aif",
                "hammerhai",
                "it4lia",
                "jaif",
                "l-aif",
                "litai",
                "lumi-aif",
                "mimer",
                "nlaif",
                "pharos",
                "piast-ai",
                "ro-aif",
                "slaif",
            ],
        ),
        ("?q=Kajaani", ["lumi-aif"]),
        ("?q=LUMI-IQ", ["lumi-aif"]),  # by a system's name
        ("?country=SE", ["mimer"]),
        ("?wave=1", ["bsc-aif", "hammerhai", "it4lia", "l-aif", "lumi-aif", "mimer", "pharos"]),
        ("?systems__kind=experimental_platform", ["1healthai", "bsc-aif", "jaif", "lumi-aif"]),
        ("?systems__status=procurement", ["it4lia", "mimer", "nlaif"]),
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
        (
            "?kind=experimental_platform",
            ["1healthai-experimental", "bsc-aif-experimental", "jarvis", "lumi-iq"],
        ),
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
    assert 0 < expected.count() < Source.objects.count() or not lookup
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


# --- The capacity cannot go below the ledger ----------------------------------------------------

CAPACITY = 1_000_000


@pytest.fixture
def lumi(catalogue) -> System:
    """LUMI with a capacity of 1,000,000 GPU-hours a year and, in the ledger, 420,000 allocated
    in 2026 (two allocations) and 100,000 in 2027."""
    system = System.objects.get(slug="lumi")
    System.objects.filter(pk=system.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    _allocate(system, {2026: [300_000, 120_000], 2027: [100_000]})
    system.refresh_from_db()
    return system


def _allocate(system: System, hours_by_year: dict[int, list[int]]) -> None:
    """Allocations written with bulk inserts, each on an application of its own: the approval
    that makes them in the portal is not what these tests are about."""
    applicant = get_user_model().objects.create_user(email="ledger@example.org", password="x")
    grants = [(year, hours) for year, all_hours in hours_by_year.items() for hours in all_hours]
    applications = Application.objects.bulk_create(
        Application(applicant=applicant, system=system, title=f"Granted {i}")
        for i in range(len(grants))
    )
    Allocation.objects.bulk_create(
        Allocation(
            application=application,
            system=system,
            gpu_hours=hours,
            period_year=year,
            start=date(year, 3, 1),
            end=date(year, 9, 1),
        )
        for application, (year, hours) in zip(applications, grants, strict=True)
    )


def _post_capacity(admin_client, system: System, value: str):
    url = f"{SYSTEMS}{system.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    data["allocatable_gpu_hours_per_year"] = value
    return admin_client.post(url, data)


def _field_errors(response, field: str = "allocatable_gpu_hours_per_year") -> list[str]:
    assert response.status_code == 200  # the form again, not the redirect of a save
    return list(response.context["adminform"].form.errors.get(field, []))


def test_it_refuses_a_capacity_below_what_is_allocated_in_a_year(admin_client, lumi):
    history = lumi.history.count()

    response = _post_capacity(admin_client, lumi, "400000")

    assert _field_errors(response) == [
        "2026: 420,000 GPU-hours are already allocated on this system; the capacity cannot be "
        "lower."
    ]
    assert "2026: 420,000 GPU-hours are already allocated" in response.content.decode()
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == CAPACITY
    assert lumi.history.count() == history


def test_it_names_every_year_the_capacity_would_not_cover(admin_client, lumi):
    response = _post_capacity(admin_client, lumi, "99999")

    assert [e.split(":")[0] for e in _field_errors(response)] == ["2026", "2027"]
    assert "2027: 100,000 GPU-hours" in _field_errors(response)[1]
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == CAPACITY


def test_it_accepts_a_capacity_equal_to_what_is_allocated(admin_client, lumi):
    response = _post_capacity(admin_client, lumi, "420000")

    assert response.status_code == 302, response.context and response.context["errors"]
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == 420_000
    assert lumi.history.first().allocatable_gpu_hours_per_year == 420_000


def test_it_refuses_to_empty_the_capacity_while_allocations_exist(admin_client, lumi):
    response = _post_capacity(admin_client, lumi, "")

    assert _field_errors(response) == [
        "GPU-hours are already allocated on this system (2026: 420,000; 2027: 100,000); the "
        "capacity cannot be emptied."
    ]
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == CAPACITY


def test_it_counts_only_the_allocations_of_the_system_itself(admin_client, lumi):
    lumi_ai = System.objects.get(slug="lumi-ai")  # same factory, no allocations

    assert _post_capacity(admin_client, lumi_ai, "1").status_code == 302
    lumi_ai.refresh_from_db()
    assert lumi_ai.allocatable_gpu_hours_per_year == 1
    assert _post_capacity(admin_client, lumi_ai, "").status_code == 302
    lumi_ai.refresh_from_db()
    assert lumi_ai.allocatable_gpu_hours_per_year is None


def test_it_refuses_the_same_capacity_in_the_factorys_inline(admin_client, lumi):
    url = f"{FACTORIES}{lumi.factory_id}/change/"
    page = admin_client.get(url)
    data = _change_form_data(page)
    systems = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is System
    )
    form = next(f for f in systems.forms if f.instance == lumi)
    data[form.add_prefix("allocatable_gpu_hours_per_year")] = "419999"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "2026: 420,000 GPU-hours are already allocated" in response.content.decode()
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == CAPACITY


def test_it_refuses_to_revert_the_capacity_to_an_old_version_below_the_ledger(admin_client, lumi):
    first = lumi.history.earliest()  # as loaded: capacity not published
    assert first.allocatable_gpu_hours_per_year is None
    url = f"{SYSTEMS}{lumi.pk}/history/{first.history_id}/"
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {form.add_prefix(n): str(v) for n in form.fields if (v := form[n].value()) is not None}
    data = {k: ("on" if v == "True" else v) for k, v in data.items() if v != "False"}

    response = admin_client.post(url, data)

    assert _field_errors(response) == [
        "GPU-hours are already allocated on this system (2026: 420,000; 2027: 100,000); the "
        "capacity cannot be emptied."
    ]
    lumi.refresh_from_db()
    assert lumi.allocatable_gpu_hours_per_year == CAPACITY


def test_it_refuses_to_delete_a_system_with_applications_and_allocations(admin_client, lumi):
    url = f"{SYSTEMS}{lumi.pk}/delete/"

    page = admin_client.get(url)
    response = admin_client.post(url, {"post": "yes"})

    text = " ".join(page.content.decode().split())
    assert "Cannot delete system" in text
    assert "permission to delete the following types of objects" in text
    assert "<li>application</li>" in text
    assert "<li>allocation</li>" in text
    assert response.status_code == 200  # the same refusal, nothing deleted
    assert System.objects.filter(pk=lumi.pk).exists()
    assert Allocation.objects.filter(system=lumi).count() == 3
