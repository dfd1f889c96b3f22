from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError

from applications.models import AccessMode
from factories.models import AIFactory, Source, System
from portal.management.commands.seed_demo import DEMO_CAPACITY, DEMO_SYSTEM

from .reference_helpers import (
    admin_edit,
    catalogue_data,
    factory_in,
    mode_in,
    modes_data,
    run,
    snapshot,
    system_in,
    write,
)

pytestmark = pytest.mark.django_db

CITIES = {"Barcelona", "Bologna", "Kajaani", "Bissen", "Linköping", "Stuttgart", "Athens"}


def _load(*args: str) -> str:
    return run("load_reference_data", *args)


def _nothing_loaded() -> bool:
    return not any(snapshot().values())


def test_it_loads_the_nineteen_factories_of_the_three_waves_and_the_thirteen_antennas():
    output = _load()

    factories = AIFactory.objects.all()
    assert factories.count() == 19
    assert {f.city for f in factories.filter(wave=1)} == CITIES
    assert sorted(set(factories.values_list("wave", flat=True))) == [1, 2, 3]
    assert factories.filter(wave=2).count() == factories.filter(wave=3).count() == 6
    assert "factories: 19 created, 0 already there" in output
    assert "systems: 29 created, 0 already there" in output
    assert "antennas: 13 created, 0 already there" in output
    assert "antenna links: 19 created, 0 already there" in output
    assert "access modes: 4 created, 0 already there" in output
    lumi = AIFactory.objects.get(slug="lumi-aif")
    assert lumi.display_name == "LUMI AIF"
    assert lumi.partner_list[0] == "Czechia (IT4Innovations)"
    assert sorted(lumi.systems.values_list("name", flat=True)) == ["LUMI", "LUMI-AI", "LUMI-IQ"]
    assert System.objects.get(slug="lumi-ai").available_from_display == "2027"
    assert System.objects.get(slug="marenostrum-5").available_from_display == "December 2023"
    jupiter = System.objects.get(slug="jupiter")
    assert (jupiter.factory.slug, jupiter.status, jupiter.accelerator_count) == (
        "jaif",
        "operational",
        24_000,
    )
    assert "about 24,000" in jupiter.notes  # the qualifier kept in words
    austria = AIFactory.objects.get(slug="ai-at")
    assert austria.selected_on is None  # published as a month only: not a made-up day
    assert "Selected in March 2025" in austria.description
    assert not AIFactory.objects.get(slug="piast-ai").systems.exists()  # none named yet


def test_it_gives_the_spanish_and_the_finnish_factories_an_experimental_platform():
    _load()

    platforms = System.objects.filter(kind=System.Kind.EXPERIMENTAL)
    assert {(s.factory.slug, s.factory.country.code) for s in platforms} == {
        ("bsc-aif", "ES"),
        ("lumi-aif", "FI"),
        ("jaif", "DE"),
        ("1healthai", "ES"),
    }
    assert set(platforms.filter(factory__wave=1).values_list("slug", flat=True)) == {
        "bsc-aif-experimental",
        "lumi-iq",
    }


def test_it_records_the_sources_and_the_history_of_what_it_loads():
    _load()

    assert Source.objects.filter(factory__isnull=False).count() == 99
    assert Source.objects.filter(system__isnull=False).count() == 83
    assert Source.objects.filter(antenna__isnull=False).count() == 31
    for factory in AIFactory.objects.all():
        assert factory.sources.exists(), factory.slug
    for system in System.objects.all():
        assert system.sources.exists(), system.slug
    okm = Source.objects.get(system__slug="lumi-ai", url__contains="okm.fi")
    assert okm.confidence == Source.Confidence.SOLID
    assert System.history.filter(history_type="+").count() == 29
    reasons = set(System.history.values_list("history_change_reason", flat=True))
    assert reasons == {"load_reference_data"}


def test_it_keeps_unknown_figures_unknown_and_ai_exaflops_out_of_peak_petaflops():
    _load()

    lumi_ai = System.objects.get(slug="lumi-ai")
    assert lumi_ai.accelerator_count is None  # not 0
    assert lumi_ai.nodes is None
    assert lumi_ai.peak_pflops is None
    assert lumi_ai.allocatable_gpu_hours_per_year is None
    assert lumi_ai.accelerator == ""
    assert System.objects.get(slug="hammerhai-ai").status == ""
    assert not System.objects.filter(accelerator_count=0).exists()
    assert not System.objects.filter(peak_pflops=0).exists()
    marenostrum_ai = System.objects.get(slug="marenostrum-5-ai")
    assert marenostrum_ai.ai_exaflops_training == Decimal("20")
    assert marenostrum_ai.ai_exaflops_inference == Decimal("33")
    assert marenostrum_ai.peak_pflops is None
    assert System.objects.get(slug="marenostrum-5").peak_pflops == Decimal("314")
    with_ai_figures = System.objects.filter(ai_exaflops_training__isnull=False)
    assert with_ai_figures.count() == 2
    assert not with_ai_figures.filter(peak_pflops__isnull=False).exists()


def test_it_changes_nothing_when_run_a_second_time():
    _load()
    rows = snapshot()

    output = _load()

    assert snapshot() == rows  # updated_at, history and the values recorded as loaded included
    assert "factories: 0 created, 19 already there" in output
    assert "systems: 0 created, 29 already there" in output
    assert "antennas: 0 created, 13 already there" in output
    assert "antenna links: 0 created, 19 already there" in output
    assert "sources: 0 created, 213 already there" in output
    assert "access modes: 0 created, 4 already there" in output
    assert "cut-offs: 0 created, 28 already there" in output
    assert "refresh_reference_data" not in output  # nothing for a refresh to bring in


def test_it_keeps_an_admins_description_and_capacity_at_the_next_start(client, admin_user):
    _load()
    client.force_login(admin_user)
    lumi_aif = AIFactory.objects.get(slug="lumi-aif")
    admin_edit(client, f"/admin/factories/aifactory/{lumi_aif.pk}/change/", description="Ours.")
    lumi = System.objects.get(slug="lumi")
    admin_edit(
        client, f"/admin/factories/system/{lumi.pk}/change/", allocatable_gpu_hours_per_year=750_000
    )
    rows = snapshot()

    output = _load()  # the next start: `make run` or the web container

    assert snapshot() == rows
    assert AIFactory.objects.get(slug="lumi-aif").description == "Ours."
    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year == 750_000
    assert "Ours." in client.get("/factories/lumi-aif/").content.decode()
    assert "refresh_reference_data" not in output  # the file did not change: nothing to dispute


def test_it_keeps_the_demo_capacity_across_restarts():
    _load()
    run("seed_demo")

    _load()
    run("seed_demo")
    _load()

    lumi = System.objects.get(slug=DEMO_SYSTEM)
    assert lumi.allocatable_gpu_hours_per_year == DEMO_CAPACITY
    assert lumi.history.first().history_change_reason == "seed_demo: demo capacity"


def test_it_leaves_a_fact_that_changed_in_the_file_to_a_refresh(tmp_path):
    _load()
    data = catalogue_data()
    system_in(data, "lumi-ai")["accelerator_count"] = 4096
    rows = snapshot()

    output = _load("--file", write(tmp_path, "catalogue.json", data))

    assert snapshot() == rows
    assert System.objects.get(slug="lumi-ai").accelerator_count is None
    assert (
        "Rows that exist were left as they are; the files would change or dispute 1 of their "
        "fields: preview with `manage.py refresh_reference_data`." in output
    )


def test_it_creates_a_system_and_a_cut_off_the_files_add_and_nothing_else(tmp_path):
    _load()
    lumi = System.objects.get(slug="lumi")
    lumi.notes = "Edited by an admin."
    lumi.save()
    data = catalogue_data()
    factory_in(data, "lumi-aif")["systems"].append(
        {"slug": "lumi-q", "name": "LUMI-Q", "kind": "experimental_platform",
         "sources": [{"url": "https://example.org/lumi-q", "confidence": "weak"}]}
    )  # fmt: skip
    system_in(data, "lumi")["notes"] = "The file's new notes."
    modes = modes_data()
    mode_in(modes, "large-scale")["cutoffs"].append("2027-01-15 10:00")

    output = _load(
        "--file", write(tmp_path, "catalogue.json", data),
        "--access-modes-file", write(tmp_path, "modes.json", modes),
    )  # fmt: skip

    lumi_q = System.objects.get(slug="lumi-q")
    assert lumi_q.factory.slug == "lumi-aif"
    assert lumi_q.kind == System.Kind.EXPERIMENTAL
    assert list(lumi_q.sources.values_list("url", "confidence")) == [
        ("https://example.org/lumi-q", "weak")
    ]
    assert lumi_q.history.get().history_change_reason == "load_reference_data"
    large_scale = AccessMode.objects.get(slug="large-scale")
    assert large_scale.cutoffs.count() == 23
    assert large_scale.cutoffs.last().closes_at == datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    assert System.objects.get(slug="lumi").notes == "Edited by an admin."
    assert "systems: 1 created, 29 already there" in output
    assert "sources: 1 created, 213 already there" in output
    assert "cut-offs: 1 created, 28 already there" in output


def test_it_leaves_an_access_mode_an_admin_changed_alone(tmp_path):
    _load()
    fast_lane = AccessMode.objects.get(slug="fast-lane")
    fast_lane.max_gpu_hours = 40_000
    fast_lane.description = "Our wording."
    fast_lane.save()
    fast_lane.systems.set(System.objects.filter(slug="lumi"))
    modes = modes_data()
    mode_in(modes, "fast-lane")["decision_target_working_days"] = 3  # changed in the file too

    _load("--access-modes-file", write(tmp_path, "modes.json", modes))

    fast_lane.refresh_from_db()
    assert (fast_lane.max_gpu_hours, fast_lane.description) == (40_000, "Our wording.")
    assert fast_lane.decision_target_working_days == 4  # a refresh brings the file's change in
    assert list(fast_lane.systems.values_list("slug", flat=True)) == ["lumi"]


def test_it_leaves_rows_added_by_admins_alone(catalogue):
    lumi = AIFactory.objects.get(slug="lumi-aif")
    System.objects.create(factory=lumi, name="LUMI-Q", slug="lumi-q")

    _load()

    assert lumi.systems.filter(slug="lumi-q").exists()


def test_it_refuses_a_file_that_is_not_json_and_changes_nothing(tmp_path, catalogue):
    rows = snapshot()
    path = write(tmp_path, "catalogue.json", '{"factories": [\n  {"slug": "bsc-aif",,}\n]}')

    with pytest.raises(CommandError) as excinfo:
        _load("--file", path)

    message = str(excinfo.value)
    assert message.startswith("Nothing was loaded:")
    assert path in message
    assert "not valid JSON (line 2" in message
    assert snapshot() == rows


def test_it_refuses_a_missing_file():
    with pytest.raises(CommandError, match=r"Nothing was loaded: .*nowhere\.json: no such file"):
        _load("--file", "/nonexistent/nowhere.json")

    assert not AIFactory.objects.exists()


def test_it_refuses_a_file_without_a_list_of_factories(tmp_path):
    with pytest.raises(CommandError, match="expected an object with a list under 'factories'"):
        _load("--file", write(tmp_path, "catalogue.json", {"factories": {"bsc-aif": {}}}))

    assert not AIFactory.objects.exists()


def test_it_rolls_back_the_valid_factories_before_a_bad_status_in_the_third(tmp_path):
    data = catalogue_data()
    data["factories"][2]["systems"][1]["status"] = "bogus"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", write(tmp_path, "catalogue.json", data))

    message = str(excinfo.value)
    assert "factories[2] (lumi-aif).systems[1] (lumi-ai)" in message
    assert "status" in message
    assert "'bogus' is not a valid choice" in message
    assert _nothing_loaded()


def test_it_leaves_the_loaded_catalogue_untouched_when_a_later_entry_is_bad(tmp_path, catalogue):
    rows = snapshot()
    data = catalogue_data()
    data["factories"][0]["city"] = "Madrid"  # valid, but must not be kept
    system_in(data, "lumi-ai")["accelerator_count"] = 4096
    data["factories"][2]["systems"][2]["status"] = "bogus"

    with pytest.raises(
        CommandError, match=r"factories\[2\] \(lumi-aif\)\.systems\[2\] \(lumi-iq\)"
    ):
        _load("--file", write(tmp_path, "catalogue.json", data))

    assert snapshot() == rows
    assert AIFactory.objects.get(slug="bsc-aif").city == "Barcelona"


def test_it_refuses_a_factory_without_a_slug(tmp_path):
    data = catalogue_data()
    del data["factories"][1]["slug"]

    with pytest.raises(CommandError) as excinfo:
        _load("--file", write(tmp_path, "catalogue.json", data))

    assert "factories[1] (?): 'slug' is missing or empty." in str(excinfo.value)
    assert _nothing_loaded()


def test_it_refuses_a_date_that_is_not_a_date(tmp_path):
    data = catalogue_data()
    system_in(data, "marenostrum-5")["available_from"] = "end of 2023"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", write(tmp_path, "catalogue.json", data))

    assert (
        "factories[0] (bsc-aif).systems[0] (marenostrum-5).available_from: "
        "'end of 2023' is not a date (YYYY-MM-DD)." in str(excinfo.value)
    )
    assert not AIFactory.objects.exists()


def test_it_refuses_a_source_with_an_unknown_confidence(tmp_path):
    data = catalogue_data()
    data["factories"][0]["sources"][1]["confidence"] = "certain"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", write(tmp_path, "catalogue.json", data))

    assert "factories[0] (bsc-aif).sources[1]: confidence:" in str(excinfo.value)
    assert not Source.objects.exists()


def test_it_loads_no_catalogue_when_the_access_modes_file_is_bad(tmp_path):
    modes = modes_data()
    mode_in(modes, "large-scale")["cutoffs"][3] = "end of February"

    with pytest.raises(CommandError) as excinfo:
        _load("--access-modes-file", write(tmp_path, "modes.json", modes))

    assert str(excinfo.value) == (
        "Nothing was loaded: access_modes[2] (large-scale): cut-off 'end of February' is not a "
        "date."
    )
    assert _nothing_loaded()


def test_it_reads_each_table_once_at_a_start_with_nothing_to_create(django_assert_num_queries):
    _load()

    # The seven reference tables, the values recorded as loaded, and the savepoint around them.
    with django_assert_num_queries(10):
        _load()
