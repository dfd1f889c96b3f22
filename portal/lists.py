"""The signed-in lists: filtered by a FilterSet the API shares, and paginated.

The filter form is handed to the template as plain fields (`FilterField`): rendering Django's
widgets costs a template per widget, more than the rows of the list."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext

NO_VALUE = "\N{EN DASH}"

ROWS_PER_PAGE = 25
_ID = 918_273_645  # stands for the row's id in a reversed URL


@functools.cache
def _url_format(name: str, rest: tuple[str, ...], prefix: str) -> str:
    return reverse(name, args=[_ID, *rest]).replace(str(_ID), "{}", 1)


def row_url(name: str, pk: int, *rest: str) -> str:
    """`reverse(name, args=[pk, *rest])` for a list's rows: the URL is reversed once a process
    (for the script prefix in use) and the row's id put in."""
    return _url_format(name, rest, get_script_prefix()).format(pk)


@functools.lru_cache(maxsize=4096)
def _short_date(day: date, language: str | None) -> str:
    return date_format(day, "j M Y")


def short_date(day: date | None) -> str:
    """A list's date, "3 Dec 2026" in the active language; NO_VALUE when there is none. Formatting
    a date costs more than the rest of its row: the same day is formatted once."""
    return _short_date(day, get_language()) if day else NO_VALUE


@dataclass(frozen=True)
class FilterField:
    """One filter as the form shows it: a text box, or a select of (value, label, selected)."""

    name: str
    label: str
    value: str
    options: list[tuple[str, str, bool]] | None  # None: a text box
    errors: list[str]
    max_length: int | None

    @property
    def id(self) -> str:
        return f"id_{self.name}"


def _filter_fields(form: forms.Form) -> list[FilterField]:
    fields = []
    for name, field in form.fields.items():
        value = form.data.get(name) or ""
        options: list[tuple[str, str, bool]] | None = None
        if isinstance(field, forms.NullBooleanField):
            yes = value.lower() in ("true", "1", "yes", "on")
            options = [("", gettext("No"), not yes), ("true", gettext("Yes"), yes)]
        elif isinstance(field, forms.ChoiceField):
            choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]  # stubs: also lazy forms; a filter's are a list
            options = [(str(v), str(label), str(v) == value) for v, label in choices]
        fields.append(
            FilterField(
                name=name,
                label=str(field.label or name.capitalize()),
                value=value,
                options=options,
                errors=[str(e) for e in form.errors.get(name, [])] if form.is_bound else [],
                max_length=getattr(field, "max_length", None),
            )
        )
    return fields


def filtered_page(
    request: HttpRequest,
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet,
    *,
    defaults: dict[str, str] | None = None,
) -> tuple[list[FilterField], Page]:
    """The filters bound to the query string (with `defaults` for absent keys) and the page of
    rows they ask for: 25 rows, a COUNT and one page query. Invalid filters show their errors
    and no rows; a page number out of range gives the last page."""
    data: Any = request.GET.copy()
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    filterset = filterset_class(data, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return _filter_fields(filterset.form), page
