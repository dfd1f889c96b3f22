"""Writes to the catalogue. Besides the Django admin, only the reference-data loader writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from .models import AIFactory, Source, System

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
    "peak_pflops",
    "ai_exaflops_training",
    "ai_exaflops_inference",
    "available_from",
    "available_from_precision",
    "available_from_note",
    "allocatable_gpu_hours_per_year",
    "notes",
]
CHANGE_REASON = "load_reference_data"


class CatalogueDataError(Exception):
    """The catalogue file is malformed; the message says where."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"factory": 0, "system": 0, "source": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"factory": 0, "system": 0, "source": 0}
    )
    unchanged: dict[str, int] = field(
        default_factory=lambda: {"factory": 0, "system": 0, "source": 0}
    )

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def summary(self) -> str:
        parts = []
        for kind in ("factory", "system", "source"):
            parts.append(
                f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
                f"{self.unchanged[kind]} unchanged"
            )
        return "; ".join(parts)


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


def catalogue_load(*, data: dict[str, Any]) -> LoadReport:
    """Create or update every factory, system and source in `data`, in one transaction.

    Idempotent: rows are matched by slug (sources by owner and URL) and saved only when a value
    differs, so a second run writes nothing. Rows that admins added and the file does not name
    are left alone. On any malformed entry the whole load is rolled back and CatalogueDataError
    names the entry and the field.
    """
    report = LoadReport()
    with transaction.atomic():
        for i, raw in enumerate(_items(data, "factories", "factories")):
            where = f"factories[{i}] ({raw.get('slug', '?')})"
            factory = _upsert(
                AIFactory,
                report,
                "factory",
                where,
                slug=raw.get("slug"),
                values=_values(raw, FACTORY_FIELDS, where, AIFactory),
            )
            _load_sources(report, where, raw, factory=factory)
            for j, sraw in enumerate(_items(raw, "systems", where)):
                swhere = f"{where}.systems[{j}] ({sraw.get('slug', '?')})"
                values = _values(sraw, SYSTEM_FIELDS, swhere, System)
                values["factory"] = factory
                system = _upsert(
                    System, report, "system", swhere, slug=sraw.get("slug"), values=values
                )
                _load_sources(report, swhere, sraw, system=system)
    return report


def _items(raw: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise CatalogueDataError(f"{where}: '{key}' must be a list of objects.")
    return items


def _values(raw: dict[str, Any], names: list[str], where: str, model: type[models.Model]) -> dict:
    values: dict[str, Any] = {}
    for name in names:
        if name not in raw:
            continue
        value = raw[name]
        model_field = model._meta.get_field(name)
        if name == "partners" and isinstance(value, list):
            value = "\n".join(value)
        elif value is None and not model_field.null:
            value = "" if isinstance(model_field, models.CharField | models.TextField) else value
        elif isinstance(model_field, models.DateField) and value is not None:
            try:
                value = date.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise CatalogueDataError(
                    f"{where}.{name}: {value!r} is not a date (YYYY-MM-DD)."
                ) from exc
        elif isinstance(model_field, models.DecimalField) and value is not None:
            try:
                value = Decimal(str(value)).quantize(Decimal("0.01"))
            except InvalidOperation as exc:
                raise CatalogueDataError(f"{where}.{name}: {value!r} is not a number.") from exc
        values[name] = value
    return values


def _upsert(model, report: LoadReport, kind: str, where: str, *, values: dict, **lookup):
    for key in ("slug", "url"):
        if key in lookup and not (isinstance(lookup[key], str) and lookup[key]):
            raise CatalogueDataError(f"{where}: '{key}' is missing or empty.")
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        report.created[kind] += 1
    elif any(getattr(instance, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(instance, k, v)
        report.updated[kind] += 1
    else:
        report.unchanged[kind] += 1
        return instance
    try:
        instance.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
        raise CatalogueDataError(f"{where}: {problems}") from exc
    instance._change_reason = CHANGE_REASON
    instance.save()
    return instance


def _load_sources(report: LoadReport, where: str, raw: dict[str, Any], **owner) -> None:
    for k, sraw in enumerate(_items(raw, "sources", where)):
        values = {
            "confidence": sraw.get("confidence") or Source.Confidence.UNRATED,
            "note": sraw.get("note") or "",
        }
        _upsert(
            Source,
            report,
            "source",
            f"{where}.sources[{k}]",
            values=values,
            url=sraw.get("url"),
            **owner,
        )
