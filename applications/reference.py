"""The access modes and their cut-offs from the reference file (see factories/reference.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from applications.models import (
    AccessMode,
    Cutoff,
)
from factories.models import System
from factories.reference import (
    LOAD_REASON,
    ReferenceDataError,
    ReferenceReport,
    model_values,
    reference_data_load,
)
from factories.reference_rows import Entry

DEFAULT_ACCESS_MODES_PATH = Path(settings.BASE_DIR) / "applications" / "data" / "access_modes.json"


class AccessModeDataError(ReferenceDataError):
    """The access modes file is malformed; the message says where."""


# --- Access modes ---------------------------------------------------------------------------------


MODE_FIELDS = (
    "name", "short_name", "family", "description", "eligible_org_types", "min_gpu_hours",
    "max_gpu_hours", "durations_months", "schedule", "decision_target_working_days",
    "review_steps", "technical_reviews", "scientific_reviews", "confidence_note", "sources",
    "size_note", "cost", "cutoff_time", "decision_counted_from", "decision_target_about_months",
    "eligibility", "form_contents", "required_documents", "notes", "resource_unit",
    "requires_partition_resources", "requires_milestones", "requires_ethics_self_assessment",
    "requires_pi_contract", "requires_fcfs_consent",
)  # fmt: skip


def access_mode_entries(*, data: dict[str, Any]) -> list[Entry]:
    """The access modes of an access modes file and their cut-offs as reference entries (see
    factories.reference). Reads and writes nothing; raises AccessModeDataError naming the
    entry of the first malformed value it meets.

    A mode is created offered on every supercomputer of the catalogue (and Playground also on
    experimental platforms): admins then narrow it. Cut-offs are matched by mode and time."""
    modes = data.get("access_modes") if isinstance(data, dict) else None
    if not isinstance(modes, list) or not all(isinstance(raw, dict) for raw in modes):
        raise AccessModeDataError("expected an object with a list of objects under 'access_modes'.")
    try:
        tz = ZoneInfo(data.get("cutoff_timezone", "Europe/Brussels"))
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise AccessModeDataError(f"cutoff_timezone: {exc}") from exc
    entries: list[Entry] = []
    for i, raw in enumerate(modes):
        where = f"access_modes[{i}] ({raw.get('slug', '?')})"
        slug = raw.get("slug")
        if not (isinstance(slug, str) and slug):
            raise AccessModeDataError(f"{where}: 'slug' is missing or empty.")
        try:
            values = model_values(raw, MODE_FIELDS, where, AccessMode)
        except ReferenceDataError as exc:
            raise AccessModeDataError(str(exc)) from exc
        mode = Entry(
            entity="access_mode",
            key=slug,
            where=where,
            model=AccessMode,
            lookup={"slug": slug},
            values=values,
            tracked=MODE_FIELDS,
            on_create=_access_mode_offer,
        )
        entries += [mode, *_cutoff_entries(raw, where, mode=mode, tz=tz)]
    return entries


def _cutoff_entries(raw: dict[str, Any], where: str, *, mode: Entry, tz: ZoneInfo) -> list[Entry]:
    entries = []
    for k, text in enumerate(raw.get("cutoffs") or []):
        try:
            closes_at = datetime.fromisoformat(text).replace(tzinfo=tz)
        except (TypeError, ValueError) as exc:
            raise AccessModeDataError(f"{where}: cut-off {text!r} is not a date.") from exc
        entries.append(
            Entry(
                entity="cutoff",
                key=f"{mode.key}:{closes_at.isoformat()}",
                where=f"{where}.cutoffs[{k}]",
                model=Cutoff,
                lookup={"access_mode": mode, "closes_at": closes_at},
                values={},
            )
        )
    return entries


def _access_mode_offer(mode: AccessMode) -> None:
    kinds = [System.Kind.SUPERCOMPUTER]
    if mode.slug == "playground":
        kinds.append(System.Kind.EXPERIMENTAL)
    mode.systems.set(System.objects.filter(kind__in=kinds))


def access_modes_load(*, data: dict[str, Any]) -> ReferenceReport:
    """Create the access modes and cut-offs of `data` that the database lacks, in one
    transaction; modes that exist are left as they are, their offers too
    (`reference_data_load`)."""
    return reference_data_load(entries=access_mode_entries(data=data), reason=LOAD_REASON)


def access_modes_read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AccessModeDataError(f"{path}: {exc}") from exc
