"""The rows of reference data: one `Entry` per row a file describes, the database's rows indexed
by natural key (`Rows`), and the values recorded as last loaded (`Records`). Used by
`factories.reference`."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from .models import ReferenceValue


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


# No value was ever recorded as loaded for this field.
MISSING: Any = _Missing()


@dataclass(eq=False)
class Entry:
    """One row a reference file describes.

    `lookup` is the row's natural key and `values` the fields the file sets; in both, a value
    may be the parent's Entry (a system's factory, a source's owner), resolved to the parent's
    row once that one is found or created. `tracked` names the other fields the file may set:
    when the row is created their defaults are recorded as loaded too, so that the file may
    give them a value later. `on_create` runs after the row is first created;
    `check`, given a row a refresh changed and the names of the changed fields, raises
    ValidationError for a change the portal's own rules refuse.
    """

    entity: str
    key: str
    where: str
    model: type[models.Model]
    lookup: dict[str, Any]
    values: dict[str, Any]
    tracked: Collection[str] = ()
    on_create: Callable[[Any], None] | None = None
    check: Callable[[Any, Collection[str]], None] | None = None
    instance: Any = field(default=None, repr=False)

    def ref(self, name: str) -> str:
        return f"{self.entity}:{self.key}.{name}"


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field `name` of `model` that a reference file sets: a column (a foreign key at most),
    never a reverse relation."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    return model_field


def lookup_value(value: Any) -> Any:
    if isinstance(value, Entry):
        return None if value.instance is None else value.instance.pk
    return value


class Rows:
    """The rows of each reference model, read once and indexed by natural key."""

    def __init__(self) -> None:
        self._rows: dict[type[models.Model], list[Any]] = {}
        self._indexes: dict[tuple[type[models.Model], tuple[str, ...]], dict[tuple, Any]] = {}

    def find(self, entry: Entry) -> Any:
        key = tuple(lookup_value(value) for value in entry.lookup.values())
        if None in key:  # its parent is not in the database (yet)
            return None
        return self._index(entry.model, tuple(entry.lookup)).get(key)

    def add(self, model: type[models.Model], instance: Any) -> None:
        self._all(model).append(instance)
        for (indexed, names), index in self._indexes.items():
            if indexed is model:
                index[self._key(model, names, instance)] = instance

    def _index(self, model: type[models.Model], names: tuple[str, ...]) -> dict[tuple, Any]:
        if (model, names) not in self._indexes:
            self._indexes[model, names] = {
                self._key(model, names, row): row for row in self._all(model)
            }
        return self._indexes[model, names]

    def _all(self, model: type[models.Model]) -> list[Any]:
        if model not in self._rows:
            related = [f.name for f in model._meta.concrete_fields if f.is_relation]
            self._rows[model] = list(model._default_manager.select_related(*related))
        return self._rows[model]

    @staticmethod
    def _key(model: type[models.Model], names: tuple[str, ...], row: Any) -> tuple:
        return tuple(getattr(row, concrete_field(model, name).attname) for name in names)


class Records:
    """The values recorded as loaded, read in one query and written in bulk (no signals: these
    rows are on no page, so no cache needs to hear of them)."""

    def __init__(self) -> None:
        self._rows = {(r.entity, r.key, r.field): r for r in ReferenceValue.objects.all()}
        self._changed: dict[tuple[str, str, str], ReferenceValue] = {}

    def get(self, entry: Entry, name: str) -> Any:
        row = self._rows.get((entry.entity, entry.key, name))
        return MISSING if row is None else row.value

    def set(self, entry: Entry, name: str, value: Any) -> None:
        key = (entry.entity, entry.key, name)
        row = self._rows.setdefault(
            key, ReferenceValue(entity=entry.entity, key=entry.key, field=name)
        )
        row.value = value
        self._changed[key] = row

    def save(self) -> None:
        now = timezone.now()
        for row in self._changed.values():
            row.loaded_at = now
        ReferenceValue.objects.bulk_create([r for r in self._changed.values() if r.pk is None])
        ReferenceValue.objects.bulk_update(
            [r for r in self._changed.values() if r.pk is not None], ["value", "loaded_at"]
        )
