"""Writes to the catalogue. Besides the Django admin, only the reference data writes: the
catalogue file is read here into entries that `factories.reference` creates or refreshes."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .models import AIFactory, Antenna, AntennaLink, Source, System
from .reference import (
    LOAD_REASON,
    ReferenceDataError,
    ReferenceReport,
    model_values,
    reference_data_load,
)
from .reference_rows import Entry

DEFAULT_CATALOGUE_PATH = Path(settings.BASE_DIR) / "factories" / "data" / "catalogue.json"

FACTORY_FIELDS = [
    "name",
    "short_name",
    "city",
    "location_note",
    "country",
    "host_entity",
    "partners",
    "wave",
    "selected_on",
    "website",
    "description",
    "funding_notes",
    "services_note",
]
SYSTEM_FIELDS = [
    "name",
    "kind",
    "origin",
    "status",
    "vendor",
    "accelerator",
    "accelerator_count",
    "accelerator_count_is_minimum",
    "nodes",
    "gpus_per_node",
    "peak_pflops",
    "ai_exaflops_training",
    "ai_exaflops_inference",
    "available_from",
    "available_from_precision",
    "available_from_note",
    "allocatable_gpu_hours_per_year",
    "notes",
]
ANTENNA_FIELDS = [
    "name",
    "country",
    "membership",
    "host_entity",
    "partners",
    "selected_on",
    "budget",
    "notes",
]
LINK_FIELDS = ["confidence", "basis"]
CHANGE_REASON = LOAD_REASON


class CatalogueDataError(ReferenceDataError):
    """The catalogue file is malformed; the message says where."""


def catalogue_read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueDataError(f"{path}: no such file.") from exc
    except json.JSONDecodeError as exc:
        raise CatalogueDataError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("factories"), list):
        raise CatalogueDataError(f"{path}: expected an object with a list under 'factories'.")
    return data


def catalogue_entries(*, data: dict[str, Any]) -> list[Entry]:
    """The factories, systems, antennas (with their links to factories) and sources of a
    catalogue file as reference entries, parents first (see factories.reference). Reads and
    writes nothing; raises CatalogueDataError naming the entry and the field of the first
    malformed value it meets."""
    entries: list[Entry] = []
    for i, raw in enumerate(_items(data, "factories", "factories")):
        where = f"factories[{i}] ({raw.get('slug', '?')})"
        if isinstance(raw.get("partners"), list):
            raw = {**raw, "partners": "\n".join(raw["partners"])}
        factory = _entry("factory", raw, where, AIFactory, FACTORY_FIELDS)
        entries += [factory, *_sources(where, raw, owner=factory)]
        for j, sraw in enumerate(_items(raw, "systems", where)):
            swhere = f"{where}.systems[{j}] ({sraw.get('slug', '?')})"
            system = _entry("system", sraw, swhere, System, SYSTEM_FIELDS, check=_check_capacity)
            system.values["factory"] = factory
            entries += [system, *_sources(swhere, sraw, owner=system)]
    factories = {e.key: e for e in entries if e.entity == "factory"}
    return entries + _antenna_entries(data, factories)


def _antenna_entries(data: dict[str, Any], factories: dict[str, Entry]) -> list[Entry]:
    """The antennas (`antennas`, optional), each with its sources and its links to factories
    of the same file (a link to a factory the file lacks is refused)."""
    entries: list[Entry] = []
    for i, raw in enumerate(_items(data, "antennas", "antennas")):
        where = f"antennas[{i}] ({raw.get('slug', '?')})"
        if isinstance(raw.get("partners"), list):
            raw = {**raw, "partners": "\n".join(raw["partners"])}
        antenna = _entry("antenna", raw, where, Antenna, ANTENNA_FIELDS)
        entries += [antenna, *_sources(where, raw, owner=antenna)]
        for j, lraw in enumerate(_items(raw, "links", where)):
            lwhere = f"{where}.links[{j}]"
            slug = _required(lraw, "factory", lwhere)
            if slug not in factories:
                raise CatalogueDataError(f"{lwhere}: no factory '{slug}' in the catalogue.")
            values = {
                "confidence": lraw.get("confidence") or Source.Confidence.UNRATED,
                "basis": lraw.get("basis") or "",
            }
            entries.append(
                Entry(
                    entity="antenna_link",
                    key=f"{antenna.key}:{slug}",
                    where=lwhere,
                    model=AntennaLink,
                    lookup={"antenna": antenna, "factory": factories[slug]},
                    values=values,
                    tracked=LINK_FIELDS,
                )
            )
    return entries


def catalogue_load(*, data: dict[str, Any]) -> ReferenceReport:
    """Create the factories, systems and sources of `data` that the database lacks, in one
    transaction; rows that exist are left as they are (`reference_data_load`)."""
    return reference_data_load(entries=catalogue_entries(data=data), reason=CHANGE_REASON)


def _check_capacity(system: System, changed: Collection[str]) -> None:
    """A yearly capacity the file brings in (a refresh) may not go below what the ledger has
    already allocated on the system: the same rule as in the admin."""
    name = "allocatable_gpu_hours_per_year"
    if name not in changed:
        return
    from allocations.selectors import system_capacity_check

    try:
        system_capacity_check(system_id=system.pk, capacity=getattr(system, name))
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from exc


def _entry(
    entity: str,
    raw: dict[str, Any],
    where: str,
    model: type[models.Model],
    names: list[str],
    *,
    check: Callable[[Any, Collection[str]], None] | None = None,
) -> Entry:
    slug = _required(raw, "slug", where)
    try:
        values = model_values(raw, names, where, model)
    except ReferenceDataError as exc:
        raise CatalogueDataError(str(exc)) from exc
    return Entry(
        entity=entity,
        key=slug,
        where=where,
        model=model,
        lookup={"slug": slug},
        values=values,
        tracked=names,
        check=check,
    )


def _sources(where: str, raw: dict[str, Any], *, owner: Entry) -> list[Entry]:
    entries = []
    for k, sraw in enumerate(_items(raw, "sources", where)):
        swhere = f"{where}.sources[{k}]"
        url = _required(sraw, "url", swhere)
        values = {
            "confidence": sraw.get("confidence") or Source.Confidence.UNRATED,
            "note": sraw.get("note") or "",
        }
        entries.append(
            Entry(
                entity="source",
                key=f"{owner.entity}:{owner.key}:{url}",
                where=swhere,
                model=Source,
                lookup={owner.entity: owner, "url": url},
                values=values,
            )
        )
    return entries


def _required(raw: dict[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not (isinstance(value, str) and value):
        raise CatalogueDataError(f"{where}: '{name}' is missing or empty.")
    return value


def _items(raw: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise CatalogueDataError(f"{where}: '{key}' must be a list of objects.")
    return items
