"""The signed-in lists: filtered by a FilterSet the API shares, and paginated.

The filter form is handed to the template as plain fields (`FilterField`), with a select's options
as HTML, and the rows of a list as HTML built here (`html_rows`), as Django's admin builds its
change list's rows (`items_for_result`): a template tag per cell costs more than the row's data,
and rendering Django's widgets costs a template per widget."""

from __future__ import annotations

import copy
import functools
import html
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
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
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


class ListFilterSet(django_filters.FilterSet):
    """A FilterSet whose form class is built once a process and language. django-filter builds
    a new form class for every request, from the filters' fields; a list's filters do not depend
    on the request (no choices read from the database for a user), only on the language (a label
    django-filter derives from a model field is translated when the field is made). Each form
    still gets its own copy of the fields, as with any Django form."""

    @classmethod
    @functools.cache
    def _form_class(cls, language: str | None) -> type[forms.Form]:
        filters = copy.deepcopy(cls.base_filters)  # the class's own filters keep no field
        fields = {name: filter_.field for name, filter_ in filters.items()}
        return type(f"{cls.__name__}Form", (cls._meta.form,), fields)

    def get_form_class(self) -> type[forms.Form]:
        return self._form_class(get_language())


@functools.lru_cache(maxsize=4096)
def _short_date(day: date, language: str | None) -> str:
    return date_format(day, "j M Y")


def short_date(day: date | None) -> str:
    """A list's date, "3 Dec 2026" in the active language; NO_VALUE when there is none. Formatting
    a date costs more than the rest of its row: the same day is formatted once."""
    return _short_date(day, get_language()) if day else NO_VALUE


@functools.lru_cache(maxsize=4096)
def _grouped(number: int, language: str | None) -> str:
    return number_format(number, force_grouping=True)


def grouped(number: int | None) -> str:
    """A count in a list (GPU-hours), with the active language's digit grouping ("1,000,000",
    "1.000.000"); NO_VALUE when there is none. Formatted once a number and language."""
    return NO_VALUE if number is None else _grouped(number, get_language())


def _escaped(value: Any) -> str:
    """`conditional_escape` in two calls: a list escapes a few hundred values a page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def html_rows(row_html: str, rows: Iterable[dict[str, Any]]) -> SafeString:
    """The rows of a list as one piece of HTML: `row_html` (a `format_html` string with named
    fields) filled with each row's values, every value escaped unless already safe HTML."""
    return mark_safe(
        "".join([row_html.format_map({k: _escaped(v) for k, v in row.items()}) for row in rows])
    )


@dataclass(frozen=True)
class FilterField:
    """One filter as the form shows it: a text box, or a select of (value, label, selected)."""

    name: str
    label: str
    value: str
    options: SafeString | None  # a select's <option>s; None: a text box
    errors: list[str]
    max_length: int | None

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    def __html__(self) -> SafeString:
        """The label, the text box or select, and the errors, as the form shows them."""
        invalid = " is-invalid" if self.errors else ""
        if self.options is None:
            control = format_html(
                '<input type="text" id="{}" name="{}" value="{}" class="form-control{}"{}>',
                self.id,
                self.name,
                self.value,
                invalid,
                format_html(' maxlength="{}"', self.max_length) if self.max_length else "",
            )
        else:
            control = format_html(
                '<select id="{}" name="{}" class="form-select{}">{}</select>',
                self.id,
                self.name,
                invalid,
                self.options,
            )
        return format_html(
            '<div class="col-auto"><label class="form-label" for="{}">{}</label>{}{}</div>',
            self.id,
            self.label,
            control,
            format_html_join(
                "", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in self.errors)
            ),
        )

    def __str__(self) -> str:
        return self.__html__()


def _options(choices: Iterable[tuple[Any, Any]], selected: str) -> SafeString:
    return _options_html(tuple([(str(value), str(label)) for value, label in choices]), selected)


@functools.lru_cache(maxsize=1024)
def _options_html(choices: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    """A select's options as HTML, built once for the same choices (in the same language) and
    the same selected value."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == selected else "", label)
            for value, label in choices
        ),
    )


def _filter_fields(form: forms.Form) -> list[FilterField]:
    fields = []
    for name, field in form.fields.items():
        value = form.data.get(name) or ""
        options: SafeString | None = None
        if isinstance(field, forms.NullBooleanField):
            yes = value.lower() in ("true", "1", "yes", "on")
            options = _options(
                [("", gettext("No")), ("true", gettext("Yes"))], "true" if yes else ""
            )
        elif isinstance(field, forms.ChoiceField):
            choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]  # stubs: also lazy forms; a filter's are a list
            options = _options(choices, value)
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
