"""Reference data (the catalogue and the access modes, shipped as JSON files) against what admins
changed in the database.

The files are parsed elsewhere (`factories.services.catalogue_entries`,
`applications.reference.access_mode_entries`) into `Entry` objects, one per row, parents
before children. Two services write them, each in one transaction that a malformed entry rolls
back whole:

- `reference_data_load`, run at every start: creates the rows the database lacks and never
  changes a row that exists;
- `reference_data_refresh`, run by an operator: also brings the file's changes into the fields
  nobody edited since they were loaded, and lists the others.

Which fields were edited is told by `ReferenceValue`, the value of each field as last loaded: a
field whose current value still equals it was not edited. A field with no recorded value (a
database older than this module) counts as edited unless it already equals the file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django_countries.fields import CountryField

from .reference_rows import MISSING, Entry, Records, Rows, concrete_field

LOAD_REASON = "load_reference_data"
REFRESH_REASON = "refresh_reference_data"


class ReferenceDataError(Exception):
    """A reference file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class FieldChange:
    """A field whose current value differs from the file's (values in their JSON form)."""

    entity: str
    key: str
    field: str
    current: Any
    file: Any
    loaded: Any

    @property
    def ref(self) -> str:
        """How `--take-file` and `--keep-current` name the field."""
        return f"{self.entity}:{self.key}.{self.field}"

    def line(self) -> str:
        return f"{self.entity} {self.key} {self.field}: {show(self.current)} -> {show(self.file)}"


@dataclass
class ReferenceReport:
    """What a load or a refresh did. With `written` false (a preview) nothing was written: rows
    were not created, values not recorded. With `fields_applied` false (a preview, or a load,
    which changes no existing row) `applied` and `taken` list what a refresh would change."""

    written: bool
    fields_applied: bool
    created: list[tuple[str, str]] = field(default_factory=list)
    present: Counter[str] = field(default_factory=Counter)
    applied: list[FieldChange] = field(default_factory=list)
    taken: list[FieldChange] = field(default_factory=list)
    kept: list[FieldChange] = field(default_factory=list)
    conflicts: list[FieldChange] = field(default_factory=list)
    not_emptied: list[FieldChange] = field(default_factory=list)
    recorded: int = 0

    def created_count(self, entity: str) -> int:
        return sum(1 for kind, _ in self.created if kind == entity)

    @property
    def pending(self) -> int:
        """Fields where the file differs from the portal and a refresh has something to say."""
        return len(self.applied) + len(self.conflicts) + len(self.not_emptied)


def show(value: Any, width: int = 70) -> str:
    text = "(not recorded)" if value is MISSING else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else f"{text[: width - 1]}…"


def model_values(
    raw: dict[str, Any], names: Collection[str], where: str, model: type[models.Model]
) -> dict[str, Any]:
    """The fields of `names` present in `raw`, as model values: empty text for a null text
    field, dates from ISO strings, decimals to the field's places."""
    values: dict[str, Any] = {}
    for name in names:
        if name not in raw:
            continue
        value, model_field = raw[name], concrete_field(model, name)
        if value is None:
            if not model_field.null and isinstance(
                model_field, models.CharField | models.TextField
            ):
                value = ""
        elif isinstance(model_field, models.DateField):
            try:
                value = date.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise ReferenceDataError(
                    f"{where}.{name}: {value!r} is not a date (YYYY-MM-DD)."
                ) from exc
        elif isinstance(model_field, models.DecimalField):
            try:
                value = _quantize(Decimal(str(value)), model_field)
            except InvalidOperation as exc:
                raise ReferenceDataError(f"{where}.{name}: {value!r} is not a number.") from exc
        values[name] = value
    return values


def reference_data_load(*, entries: list[Entry], reason: str = LOAD_REASON) -> ReferenceReport:
    """Create, in one transaction, the rows of `entries` the database lacks, with the file's
    values, and record those values as loaded. Rows that exist are never changed (where a field
    already equals the file, that value is recorded as loaded). Idempotent. The report counts
    what `reference_data_refresh` would bring in (`pending`).

    Raises ReferenceDataError, having written nothing, on any malformed entry.
    """
    return _sync(entries, reason=reason, write=True, apply=False, take=(), keep=())


def reference_data_refresh(
    *,
    entries: list[Entry],
    apply: bool,
    take_file: Collection[str] = (),
    keep_current: Collection[str] = (),
    reason: str = REFRESH_REASON,
) -> ReferenceReport:
    """Bring the file's changes into the database, in one transaction; with `apply` false, only
    report what it would do and write nothing.

    Missing rows are created. A field is changed only when nobody edited it since it was loaded
    (current value == recorded value), and a value is never emptied by a file that has none;
    the other differing fields are reported as conflicts or as not emptied and left alone.
    `take_file` names fields (`ENTITY:KEY.FIELD`, `FieldChange.ref`) that take the file's value
    anyway; `keep_current` fields keep theirs, the file's being recorded as seen, so they are
    reported again only when the file changes again. Every value applied or equal to the
    file's is recorded as loaded. Changed rows are saved with `reason` as their history's
    change reason.

    Raises ReferenceDataError, having written nothing, on any malformed entry or a field name
    that no entry has.
    """
    take, keep = set(take_file), set(keep_current)
    if both := take & keep:
        raise ReferenceDataError(
            f"{', '.join(sorted(both))}: asked both to take the file's value and to keep the "
            "current one."
        )
    return _sync(entries, reason=reason, write=apply, apply=apply, take=take, keep=keep)


# --- The work ------------------------------------------------------------------------------------


def _sync(
    entries: list[Entry],
    *,
    reason: str,
    write: bool,
    apply: bool,
    take: Collection[str],
    keep: Collection[str],
) -> ReferenceReport:
    _check_names(entries, take, keep)
    report = ReferenceReport(written=write, fields_applied=apply)
    with transaction.atomic():
        rows, records = Rows(), Records()
        for entry in entries:
            entry.instance = rows.find(entry)
            if entry.instance is None:
                _create(entry, rows, records, report, reason=reason, write=write)
            else:
                report.present[entry.entity] += 1
                _check_fields(entry)
                _compare(entry, records, report, reason=reason, apply=apply, take=take, keep=keep)
        if write:
            records.save()
    return report


def _check_names(entries: list[Entry], take: Collection[str], keep: Collection[str]) -> None:
    seen: set[tuple[str, str]] = set()
    refs: set[str] = set()
    for entry in entries:
        if (entry.entity, entry.key) in seen:
            raise ReferenceDataError(f"{entry.where}: the same {entry.entity} as an earlier entry.")
        seen.add((entry.entity, entry.key))
        refs.update(entry.ref(name) for name in entry.values)
    for option, asked in (("--take-file", take), ("--keep-current", keep)):
        if unknown := sorted(set(asked) - refs):
            raise ReferenceDataError(
                f"{option} {', '.join(unknown)}: no such field in the reference files "
                "(write ENTITY:KEY.FIELD as the report lists it)."
            )


def _create(
    entry: Entry,
    rows: Rows,
    records: Records,
    report: ReferenceReport,
    *,
    reason: str,
    write: bool,
) -> None:
    values = {**entry.lookup, **entry.values}
    pending = [name for name, value in values.items() if _unresolved(value)]
    instance = entry.model(
        **{name: _resolve(value) for name, value in values.items() if name not in pending}
    )
    _clean(entry, lambda: instance.full_clean(exclude=pending))
    report.created.append((entry.entity, entry.key))
    if not write:  # a preview: children of this row will be reported as created too
        return
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple_history
    instance.save()
    if entry.on_create is not None:
        entry.on_create(instance)
    entry.instance = instance
    rows.add(entry.model, instance)
    for name in {*entry.values, *entry.tracked}:
        records.set(entry, name, to_json(entry.model, name, getattr(instance, name)))


def _check_fields(entry: Entry) -> None:
    """The file's values of a row that exists must be well formed too: a malformed file is
    refused whole, whether or not its rows are new."""
    plain = {
        name: value
        for name, value in {**entry.lookup, **entry.values}.items()
        if not isinstance(value, Entry) and not entry.model._meta.get_field(name).is_relation
    }
    candidate = entry.model(**plain)
    others = [f.name for f in entry.model._meta.fields if f.name not in plain]
    _clean(entry, lambda: candidate.clean_fields(exclude=others))


def _compare(
    entry: Entry,
    records: Records,
    report: ReferenceReport,
    *,
    reason: str,
    apply: bool,
    take: Collection[str],
    keep: Collection[str],
) -> None:
    """Compare the fields of a row that exists with the file's, report each that differs, and
    with `apply` change those that `_verdict` says to, recording what it changed as loaded."""
    instance, changed = entry.instance, []
    for name in entry.values:
        file = _file_json(entry, name)
        current = to_json(entry.model, name, getattr(instance, name))
        change = FieldChange(entry.entity, entry.key, name, current, file, records.get(entry, name))
        verdict = _verdict(change, take=take, keep=keep)
        if verdict in ("apply", "take"):
            (report.applied if verdict == "apply" else report.taken).append(change)
            if apply:
                setattr(instance, name, _resolve(entry.values[name]))
                records.set(entry, name, file)
                changed.append(name)
        elif verdict in ("record", "keep"):
            records.set(entry, name, file)
            if verdict == "keep":
                report.kept.append(change)
            else:
                report.recorded += 1
        elif verdict == "conflict":
            report.conflicts.append(change)
        elif verdict == "not_emptied":
            report.not_emptied.append(change)
    if changed:
        _clean(entry, instance.full_clean)
        if (check := entry.check) is not None:
            _clean(entry, lambda: check(instance, changed))
        instance._change_reason = reason
        instance.save()


Verdict = Literal["record", "take", "keep", "not_emptied", "apply", "conflict"]


def _verdict(
    change: FieldChange, *, take: Collection[str], keep: Collection[str]
) -> Verdict | None:
    """What a refresh does with one field (None: nothing to do and nothing to say)."""
    if change.current == change.file:
        return None if change.loaded == change.file else "record"
    if change.ref in take:
        return "take"
    if change.loaded == change.file:
        return None  # edited by an admin, and the file has not changed since
    if change.ref in keep:
        return "keep"
    if _empty(change.file) and not _empty(change.current):
        return "not_emptied"
    if change.loaded is not MISSING and change.current == change.loaded:
        return "apply"  # nobody edited it since it was loaded
    return "conflict"


def _clean(entry: Entry, check: Callable[[], None]) -> None:
    try:
        check()
    except ValidationError as exc:
        problems = "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
        raise ReferenceDataError(f"{entry.where}: {problems}") from exc


# --- Values --------------------------------------------------------------------------------------


def to_json(model: type[models.Model], name: str, value: Any) -> Any:
    """A field's value in the form it is recorded and compared in: related rows by slug, dates
    in ISO format, decimals as text to the field's places, countries by code."""
    model_field = model._meta.get_field(name)
    if value is None:
        return None
    if model_field.is_relation:
        return value.slug
    if isinstance(model_field, models.DecimalField):
        return str(_quantize(Decimal(value), model_field))
    if isinstance(model_field, CountryField):
        return str(getattr(value, "code", value))
    if isinstance(value, date):
        return value.isoformat()
    return value


def _file_json(entry: Entry, name: str) -> Any:
    value = entry.values[name]
    return value.key if isinstance(value, Entry) else to_json(entry.model, name, value)


def _quantize(value: Decimal, model_field: models.DecimalField) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-model_field.decimal_places))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _unresolved(value: Any) -> bool:
    return isinstance(value, Entry) and value.instance is None


def _resolve(value: Any) -> Any:
    return value.instance if isinstance(value, Entry) else value
