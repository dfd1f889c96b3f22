"""The signed-in lists: filtered by a FilterSet the API shares, and paginated."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

ROWS_PER_PAGE = 25


def filtered_page(
    request: HttpRequest,
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet,
    *,
    defaults: dict[str, str] | None = None,
) -> tuple[django_filters.FilterSet, Page]:
    """The filter form bound to the query string (with `defaults` for absent keys) and the page
    of rows it asks for: 25 rows, a COUNT and one page query. Invalid filters show their errors
    and no rows; a page number out of range gives the last page."""
    data: Any = request.GET.copy()
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    filterset = filterset_class(data, queryset=queryset, request=request)
    for field in filterset.form.fields.values():
        select = getattr(field.widget, "input_type", "") == "select"
        field.widget.attrs.setdefault("class", "form-select" if select else "form-control")
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return filterset, page
