from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from factories.models import AIFactory, Source, System
from factories.services import DEFAULT_CATALOGUE_PATH

pytestmark = pytest.mark.django_db

CITIES = {"Barcelona", "Bologna", "Kajaani", "Bissen", "Linköping", "Stuttgart", "Athens"}
MODELS = (AIFactory, System, Source)


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


def _seed() -> dict:
    return json.loads(DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict | str) -> str:
    path = tmp_path / "catalogue.json"
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _system(data: dict, slug: str) -> dict:
    return next(s for f in data["factories"] for s in f["systems"] if s["slug"] == slug)


def _counts() -> dict[str, int]:
    """Rows and history rows of every catalogue table."""
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts |= {f"{m.__name__} history": m.history.count() for m in MODELS}
    return counts


def _snapshot() -> dict[str, list]:
    """Every catalogue row as it is stored, to show that nothing moved."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}


def test_it_loads_the_seven_factories_of_the_first_wave():
    output = _load()

    factories = AIFactory.objects.all()
    assert factories.count() == 7
    assert {f.city for f in factories} == CITIES
    assert {f.wave for f in factories} == {1}
    assert "factory: 7 created" in output
    assert "system: 13 created" in output
    lumi = AIFactory.objects.get(slug="lumi-aif")
    assert lumi.display_name == "LUMI AIF"
    assert lumi.partner_list[0] == "Czechia (IT4Innovations)"
    assert sorted(lumi.systems.values_list("name", flat=True)) == ["LUMI", "LUMI-AI", "LUMI-IQ"]
    assert System.objects.get(slug="lumi-ai").available_from_display == "2027"
    assert System.objects.get(slug="marenostrum-5").available_from_display == "December 2023"


def test_it_gives_the_spanish_and_the_finnish_factories_an_experimental_platform():
    _load()

    platforms = System.objects.filter(kind=System.Kind.EXPERIMENTAL)
    assert {(s.factory.slug, s.factory.country.code) for s in platforms} == {
        ("bsc-aif", "ES"),
        ("lumi-aif", "FI"),
    }
    assert set(platforms.values_list("slug", flat=True)) == {"bsc-aif-experimental", "lumi-iq"}


def test_it_records_the_sources_and_the_history_of_what_it_loads():
    _load()

    assert Source.objects.filter(factory__isnull=False).count() == 47
    assert Source.objects.filter(system__isnull=False).count() == 51
    for factory in AIFactory.objects.all():
        assert factory.sources.exists(), factory.slug
    for system in System.objects.all():
        assert system.sources.exists(), system.slug
    okm = Source.objects.get(system__slug="lumi-ai", url__contains="okm.fi")
    assert okm.confidence == Source.Confidence.SOLID
    assert System.history.filter(history_type="+").count() == 13
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
    counts = _counts()
    rows = _snapshot()

    output = _load()

    assert _counts() == counts
    assert _snapshot() == rows  # updated_at included
    assert "factory: 0 created, 0 updated, 7 unchanged" in output
    assert "system: 0 created, 0 updated, 13 unchanged" in output
    assert "source: 0 created, 0 updated, 98 unchanged" in output


def test_it_updates_a_fact_that_changed_in_the_file(tmp_path, catalogue):
    data = _seed()
    _system(data, "lumi-ai")["accelerator_count"] = 4096
    _system(data, "lumi-ai")["status"] = "procurement"
    before = System.objects.get(slug="lumi-ai")
    history_before = before.history.count()
    untouched = System.objects.get(slug="lumi")

    output = _load("--file", _write(tmp_path, data))

    after = System.objects.get(slug="lumi-ai")
    assert after.accelerator_count == 4096
    assert after.status == System.Status.PROCUREMENT
    assert after.updated_at > before.updated_at
    latest = after.history.first()
    assert latest.history_type == "~"
    assert latest.history_change_reason == "load_reference_data"
    assert after.history.count() == history_before + 1
    assert System.objects.get(slug="lumi").updated_at == untouched.updated_at
    assert "system: 0 created, 1 updated, 12 unchanged" in output


def test_it_leaves_rows_added_by_admins_alone(catalogue):
    lumi = AIFactory.objects.get(slug="lumi-aif")
    System.objects.create(factory=lumi, name="LUMI-Q", slug="lumi-q")

    _load()

    assert lumi.systems.filter(slug="lumi-q").exists()


def test_it_refuses_a_file_that_is_not_json_and_changes_nothing(tmp_path, catalogue):
    rows = _snapshot()
    path = _write(tmp_path, '{"factories": [\n  {"slug": "bsc-aif",,}\n]}')

    with pytest.raises(CommandError) as excinfo:
        _load("--file", path)

    message = str(excinfo.value)
    assert message.startswith("Nothing was loaded:")
    assert path in message
    assert "not valid JSON (line 2" in message
    assert _snapshot() == rows


def test_it_refuses_a_missing_file():
    with pytest.raises(CommandError, match=r"Nothing was loaded: .*nowhere\.json: no such file"):
        _load("--file", "/nonexistent/nowhere.json")

    assert not AIFactory.objects.exists()


def test_it_refuses_a_file_without_a_list_of_factories(tmp_path):
    with pytest.raises(CommandError, match="expected an object with a list under 'factories'"):
        _load("--file", _write(tmp_path, {"factories": {"bsc-aif": {}}}))

    assert not AIFactory.objects.exists()


def test_it_rolls_back_the_valid_factories_before_a_bad_status_in_the_third(tmp_path):
    data = _seed()
    data["factories"][2]["systems"][1]["status"] = "bogus"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", _write(tmp_path, data))

    message = str(excinfo.value)
    assert "factories[2] (lumi-aif).systems[1] (lumi-ai)" in message
    assert "status" in message
    assert "'bogus' is not a valid choice" in message
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_it_leaves_the_loaded_catalogue_untouched_when_a_later_entry_is_bad(tmp_path, catalogue):
    counts = _counts()
    rows = _snapshot()
    data = _seed()
    data["factories"][0]["city"] = "Madrid"  # valid, but must not be kept
    _system(data, "lumi-ai")["accelerator_count"] = 4096
    data["factories"][2]["systems"][2]["status"] = "bogus"

    with pytest.raises(
        CommandError, match=r"factories\[2\] \(lumi-aif\)\.systems\[2\] \(lumi-iq\)"
    ):
        _load("--file", _write(tmp_path, data))

    assert _counts() == counts
    assert _snapshot() == rows
    assert AIFactory.objects.get(slug="bsc-aif").city == "Barcelona"


def test_it_refuses_a_factory_without_a_slug(tmp_path):
    data = _seed()
    del data["factories"][1]["slug"]

    with pytest.raises(CommandError) as excinfo:
        _load("--file", _write(tmp_path, data))

    assert "factories[1] (?): 'slug' is missing or empty." in str(excinfo.value)
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_it_refuses_a_date_that_is_not_a_date(tmp_path):
    data = _seed()
    _system(data, "marenostrum-5")["available_from"] = "end of 2023"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", _write(tmp_path, data))

    assert (
        "factories[0] (bsc-aif).systems[0] (marenostrum-5).available_from: "
        "'end of 2023' is not a date (YYYY-MM-DD)." in str(excinfo.value)
    )
    assert not AIFactory.objects.exists()


def test_it_refuses_a_source_with_an_unknown_confidence(tmp_path):
    data = _seed()
    data["factories"][0]["sources"][1]["confidence"] = "certain"

    with pytest.raises(CommandError) as excinfo:
        _load("--file", _write(tmp_path, data))

    assert "factories[0] (bsc-aif).sources[1]: confidence:" in str(excinfo.value)
    assert not Source.objects.exists()
