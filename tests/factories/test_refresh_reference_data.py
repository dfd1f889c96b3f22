from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from allocations.models import Allocation
from applications.models import AccessMode, Application, Cutoff
from factories.models import AIFactory, Antenna, AntennaLink, System
from portal.management.commands.seed_demo import DEMO_CAPACITY

from .reference_helpers import (
    admin_edit,
    antenna_in,
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

CAPACITY = "allocatable_gpu_hours_per_year"


def _load() -> str:
    return run("load_reference_data")


def _refresh(tmp_path, *args: str, catalogue=None, modes=None) -> str:
    """refresh_reference_data with the given files (the shipped ones where None)."""
    files = []
    if catalogue is not None:
        files += ["--file", write(tmp_path, "catalogue.json", catalogue)]
    if modes is not None:
        files += ["--access-modes-file", write(tmp_path, "modes.json", modes)]
    return run("refresh_reference_data", *files, *args)


def _section(output: str, title: str) -> list[str]:
    """The changes listed under the report's section whose title starts with `title`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    listed = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        if not line.startswith("      "):  # the line under each change: loaded value, REF
            listed.append(line.strip())
    return listed


@pytest.fixture
def loaded(db):
    """The shipped reference data, as the first start loads it."""
    _load()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_it_has_nothing_to_do_right_after_a_start(loaded, tmp_path):
    rows = snapshot()

    output = _refresh(tmp_path, "--apply")

    assert snapshot() == rows
    assert output.splitlines()[-1] == (
        "Summary: created 0, applied 0, taken 0, kept 0, conflicts 0, not emptied 0."
    )


def test_it_applies_a_field_the_file_changed_and_nobody_edited(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "lumi-ai")["accelerator_count"] = 4096
    system_in(data, "lumi-ai")["status"] = "procurement"
    untouched = System.objects.get(slug="lumi")

    output = _refresh(tmp_path, "--apply", catalogue=data)

    lumi_ai = System.objects.get(slug="lumi-ai")
    assert (lumi_ai.accelerator_count, lumi_ai.status) == (4096, System.Status.PROCUREMENT)
    latest = lumi_ai.history.first()
    assert (latest.history_type, latest.history_change_reason) == ("~", "refresh_reference_data")
    assert System.objects.get(slug="lumi").updated_at == untouched.updated_at
    assert _section(output, "Applied, not edited since loaded (2)") == [
        'system lumi-ai status: "planned" -> "procurement"',
        "system lumi-ai accelerator_count: null -> 4096",
    ]
    assert "Summary: created 0, applied 2, taken 0, kept 0, conflicts 0" in output
    # Applied values are recorded as loaded: the same file again has nothing more to do.
    again = _refresh(tmp_path, "--apply", catalogue=data)
    assert "applied 0" in again


def test_it_leaves_a_field_an_admin_edited_and_lists_it_as_a_conflict(
    loaded, tmp_path, admin_client
):
    lumi_aif = AIFactory.objects.get(slug="lumi-aif")
    admin_edit(
        admin_client, f"/admin/factories/aifactory/{lumi_aif.pk}/change/", description="Ours."
    )
    data = catalogue_data()
    factory_in(data, "lumi-aif")["description"] = "The file's new description."
    factory_in(data, "lumi-aif")["funding_notes"] = "EUR 250M."  # nobody edited this one

    output = _refresh(tmp_path, "--apply", catalogue=data)

    lumi_aif.refresh_from_db()
    assert lumi_aif.description == "Ours."
    assert lumi_aif.funding_notes == "EUR 250M."
    assert _section(output, "Conflicts, left alone") == [
        'factory lumi-aif description: "Ours." -> "The file\'s new description."'
    ]
    assert '      loaded: "A new AI-optimised supercomputer' in output
    assert "REF factory:lumi-aif.description" in output
    assert "applied 1, taken 0, kept 0, conflicts 1" in output
    assert "Ours." in admin_client.get("/factories/lumi-aif/").content.decode()


def test_it_takes_the_files_value_for_a_conflict_when_asked(loaded, tmp_path):
    lumi_aif = AIFactory.objects.get(slug="lumi-aif")
    lumi_aif.description = "Ours."
    lumi_aif.save()
    data = catalogue_data()
    factory_in(data, "lumi-aif")["description"] = "The file's new description."

    output = _refresh(
        tmp_path, "--apply", "--take-file", "factory:lumi-aif.description", catalogue=data
    )

    lumi_aif.refresh_from_db()
    assert lumi_aif.description == "The file's new description."
    assert _section(output, "Taken from the file (--take-file) (1)") == [
        'factory lumi-aif description: "Ours." -> "The file\'s new description."'
    ]
    assert "conflicts 0" in _refresh(tmp_path, catalogue=data)


def test_it_keeps_the_current_value_when_asked_until_the_file_changes_again(loaded, tmp_path):
    lumi_aif = AIFactory.objects.get(slug="lumi-aif")
    lumi_aif.description = "Ours."
    lumi_aif.save()
    data = catalogue_data()
    factory_in(data, "lumi-aif")["description"] = "Second wording."

    kept = _refresh(
        tmp_path, "--apply", "--keep-current", "factory:lumi-aif.description", catalogue=data
    )
    quiet = _refresh(tmp_path, "--apply", catalogue=data)
    factory_in(data, "lumi-aif")["description"] = "Third wording."
    disputed = _refresh(tmp_path, "--apply", catalogue=data)

    assert AIFactory.objects.get(slug="lumi-aif").description == "Ours."
    assert "kept 1, conflicts 0" in kept
    assert "kept 0, conflicts 0" in quiet
    assert _section(disputed, "Conflicts, left alone") == [
        'factory lumi-aif description: "Ours." -> "Third wording."'
    ]


def test_it_never_empties_a_capacity_an_admin_set(loaded, tmp_path, admin_client):
    lumi = System.objects.get(slug="lumi")
    admin_edit(admin_client, f"/admin/factories/system/{lumi.pk}/change/", **{CAPACITY: 750_000})

    output = _refresh(tmp_path, "--apply")  # the file has null, as it always had

    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year == 750_000
    assert "applied 0, taken 0, kept 0, conflicts 0, not emptied 0" in output


def test_it_never_empties_a_capacity_the_file_withdraws(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "lumi")[CAPACITY] = 500_000
    _refresh(tmp_path, "--apply", catalogue=data)
    system_in(data, "lumi")[CAPACITY] = None

    output = _refresh(tmp_path, "--apply", catalogue=data)

    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year == 500_000
    assert _section(output, "Not emptied") == [f"system lumi {CAPACITY}: 500000 -> null"]
    assert "applied 0, taken 0, kept 0, conflicts 0, not emptied 1" in output


def test_it_empties_a_value_only_when_the_operator_takes_the_files(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "lumi")[CAPACITY] = 500_000
    _refresh(tmp_path, "--apply", catalogue=data)
    system_in(data, "lumi")[CAPACITY] = None

    _refresh(tmp_path, "--apply", "--take-file", f"system:lumi.{CAPACITY}", catalogue=data)

    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year is None


def test_it_keeps_the_demo_capacity(loaded, tmp_path):
    run("seed_demo")

    output = _refresh(tmp_path, "--apply")

    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year == DEMO_CAPACITY
    assert "not emptied 0" in output


@pytest.mark.parametrize("args", [(), ("--dry-run",)])
def test_it_writes_nothing_in_a_preview(loaded, tmp_path, args):
    lumi_aif = AIFactory.objects.get(slug="lumi-aif")
    lumi_aif.description = "Ours."
    lumi_aif.save()
    data = catalogue_data()
    system_in(data, "lumi-ai")["accelerator_count"] = 4096
    factory_in(data, "lumi-aif")["description"] = "The file's new description."
    factory_in(data, "lumi-aif")["systems"].append({"slug": "lumi-q", "name": "LUMI-Q"})
    modes = modes_data()
    mode_in(modes, "fast-lane")["max_gpu_hours"] = 60_000
    rows = snapshot()

    output = _refresh(tmp_path, *args, catalogue=data, modes=modes)

    assert snapshot() == rows
    assert "Preview: nothing was written (--apply writes)." in output
    assert _section(output, "Would create (1)") == ["system lumi-q"]
    assert _section(output, "Would apply, not edited since loaded (2)") == [
        "system lumi-ai accelerator_count: null -> 4096",
        "access_mode fast-lane max_gpu_hours: 50000 -> 60000",
    ]
    assert _section(output, "Conflicts, left alone") == [
        'factory lumi-aif description: "Ours." -> "The file\'s new description."'
    ]
    assert output.splitlines()[-1].endswith("(preview).")


def test_it_creates_the_rows_the_file_adds(loaded, tmp_path):
    data = catalogue_data()
    data["factories"].append(
        {"slug": "new-aif", "name": "New AI Factory", "city": "Porto", "country": "PT",
         "host_entity": "Somebody", "wave": 3,
         "systems": [{"slug": "new-one", "name": "New One",
                      "sources": [{"url": "https://example.org/new-one"}]}]}
    )  # fmt: skip

    output = _refresh(tmp_path, "--apply", catalogue=data)

    system = System.objects.get(slug="new-one")
    assert system.factory.name == "New AI Factory"
    assert system.sources.get().url == "https://example.org/new-one"
    assert _section(output, "Created (3)") == [
        "factory new-aif",
        "system new-one",
        "source system:new-one:https://example.org/new-one",
    ]
    # What it created is recorded as loaded: a later change of the file is applied.
    system_in(data, "new-one")["nodes"] = 12
    _refresh(tmp_path, "--apply", catalogue=data)
    assert System.objects.get(slug="new-one").nodes == 12


def test_it_refreshes_access_modes_and_cut_offs_the_same_way(loaded, tmp_path):
    fast_lane = AccessMode.objects.get(slug="fast-lane")
    fast_lane.description = "Our wording."
    fast_lane.save()
    fast_lane.systems.set(System.objects.filter(slug="lumi"))
    modes = modes_data()
    mode_in(modes, "fast-lane")["description"] = "The file's wording."
    mode_in(modes, "fast-lane")["max_gpu_hours"] = 60_000
    mode_in(modes, "large-scale")["cutoffs"].append("2027-01-15 10:00")

    output = _refresh(tmp_path, "--apply", modes=modes)

    fast_lane.refresh_from_db()
    assert (fast_lane.description, fast_lane.max_gpu_hours) == ("Our wording.", 60_000)
    assert list(fast_lane.systems.values_list("slug", flat=True)) == ["lumi"]
    assert fast_lane.history.first().history_change_reason == "refresh_reference_data"
    assert Cutoff.objects.filter(access_mode__slug="large-scale").count() == 23
    assert _section(output, "Created (1)") == ["cutoff large-scale:2027-01-15T10:00:00+01:00"]
    assert _section(output, "Applied") == ["access_mode fast-lane max_gpu_hours: 50000 -> 60000"]
    assert _section(output, "Conflicts, left alone") == [
        'access_mode fast-lane description: "Our wording." -> "The file\'s wording."'
    ]


def test_it_changes_nothing_when_a_later_entry_is_malformed(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "marenostrum-5")["nodes"] = 7000  # valid, but must not be kept
    data["factories"][2]["systems"][1]["status"] = "bogus"
    rows = snapshot()

    with pytest.raises(CommandError) as excinfo:
        _refresh(tmp_path, "--apply", catalogue=data)

    message = str(excinfo.value)
    assert message.startswith("Nothing was changed: factories[2] (lumi-aif).systems[1] (lumi-ai)")
    assert "'bogus' is not a valid choice" in message
    assert snapshot() == rows


def test_it_changes_nothing_when_the_access_modes_file_is_not_json(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "marenostrum-5")["nodes"] = 7000
    rows = snapshot()

    with pytest.raises(CommandError, match=r"Nothing was changed: .*modes\.json"):
        _refresh(tmp_path, "--apply", catalogue=data, modes='{"access_modes": [')

    assert snapshot() == rows


def test_it_refuses_a_field_name_that_no_file_has(loaded, tmp_path):
    rows = snapshot()

    with pytest.raises(CommandError) as excinfo:
        _refresh(tmp_path, "--apply", "--take-file", "system:lumi.capacity")

    assert str(excinfo.value) == (
        "Nothing was changed: --take-file system:lumi.capacity: no such field in the reference "
        "files (write ENTITY:KEY.FIELD as the report lists it)."
    )
    assert snapshot() == rows


def test_it_treats_rows_loaded_before_values_were_recorded_sanely(catalogue, tmp_path):
    """A database loaded by an older portal: rows, but no value recorded as loaded."""
    lumi = System.objects.get(slug="lumi")
    lumi.notes = "Edited by an admin."
    lumi.save()
    data = catalogue_data()
    system_in(data, "lumi-ai")["nodes"] = 1200
    system_in(data, "lumi")["notes"] = "Edited in the file."

    first = _refresh(tmp_path, "--apply", catalogue=data)

    # Nothing to compare with: a differing field is a conflict, never overwritten; the fields
    # that equal the file are recorded as loaded.
    assert System.objects.get(slug="lumi").notes == "Edited by an admin."
    assert System.objects.get(slug="lumi-ai").nodes is None
    assert _section(first, "Conflicts, left alone") == [
        'system lumi notes: "Edited by an admin." -> "Edited in the file."',
        "system lumi-ai nodes: null -> 1200",
    ]
    assert "loaded: (not recorded); REF system:lumi-ai.nodes" in first
    assert "Recorded " in first
    # From now on, a field nobody edited follows the file.
    system_in(data, "lumi-ai")["accelerator"] = "AMD MI355X"
    second = _refresh(tmp_path, "--apply", catalogue=data)
    assert System.objects.get(slug="lumi-ai").accelerator == "AMD MI355X"
    assert "applied 1" in second


def test_it_refuses_a_capacity_below_what_is_allocated_and_changes_nothing(loaded, tmp_path):
    data = catalogue_data()
    system_in(data, "lumi")[CAPACITY] = 1_000_000
    _refresh(tmp_path, "--apply", catalogue=data)
    lumi = System.objects.get(slug="lumi")
    applicant = get_user_model().objects.create_user(email="ledger@example.org", password="x")
    application = Application.objects.create(applicant=applicant, system=lumi, title="Granted")
    Allocation.objects.create(
        application=application, system=lumi, gpu_hours=420_000, period_year=2026,
        start=date(2026, 3, 1), end=date(2026, 9, 1),
    )  # fmt: skip
    system_in(data, "lumi")[CAPACITY] = 100_000
    system_in(data, "lumi-ai")["nodes"] = 1200
    rows = snapshot()

    with pytest.raises(CommandError) as excinfo:
        _refresh(tmp_path, "--apply", catalogue=data)

    assert str(excinfo.value) == (
        "Nothing was changed: factories[2] (lumi-aif).systems[0] (lumi): "
        f"{CAPACITY}: 2026: 420,000 GPU-hours are already allocated on this system; the "
        "capacity cannot be lower."
    )
    assert snapshot() == rows
    assert System.objects.get(slug="lumi").allocatable_gpu_hours_per_year == 1_000_000


# --- Antennas ------------------------------------------------------------------------------------


def test_it_applies_a_links_new_confidence_and_keeps_an_admins_edit_of_another(loaded, tmp_path):
    ireland = AntennaLink.objects.get(antenna__slug="antenna-ie", factory__slug="l-aif")
    edited = AntennaLink.objects.get(antenna__slug="antenna-be", factory__slug="jaif")
    edited.basis = "Confirmed by the site itself."  # an admin's edit
    edited.save()
    data = catalogue_data()
    for link in antenna_in(data, "antenna-ie")["links"]:
        if link["factory"] == "l-aif":
            link["confidence"] = "medium"  # the weak link now confirmed
    for link in antenna_in(data, "antenna-be")["links"]:
        if link["factory"] == "jaif":
            link["basis"] = "The file's new basis."
    data["antennas"].append(
        {"slug": "antenna-xx", "name": "New Antenna", "country": "IS",
         "links": [{"factory": "lumi-aif", "confidence": "solid"}]}
    )  # fmt: skip

    output = _refresh(tmp_path, "--apply", catalogue=data)

    ireland.refresh_from_db()
    edited.refresh_from_db()
    assert ireland.confidence == "medium"
    assert edited.basis == "Confirmed by the site itself."
    assert "antenna_link antenna-be:jaif basis" in _section(output, "Conflicts")[0]
    assert Antenna.objects.get(slug="antenna-xx").factories.get().slug == "lumi-aif"


def test_it_refuses_a_link_to_a_factory_the_catalogue_lacks_and_writes_nothing(loaded, tmp_path):
    data = catalogue_data()
    antenna_in(data, "antenna-be")["links"].append({"factory": "atlantis", "confidence": "solid"})
    rows = snapshot()

    with pytest.raises(CommandError, match=r"antennas\[0\] \(antenna-be\)\.links\[2\]: no factory"):
        _refresh(tmp_path, "--apply", catalogue=data)

    assert snapshot() == rows
