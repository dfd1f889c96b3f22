"""The rows of the API's lists, built in one step.

A list serializer's `to_representation` can build each row's dict directly from the instance
instead of walking DRF's fields one by one (`get_attribute`, `to_representation`, `SkipField`
checks a field): for 25 rows of a dozen fields that walk costs more than the rest of the
request. The declared fields stay the contract (the OpenAPI document, the detail views); each
list serializer's test compares its rows with DRF's own field-by-field output.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from portal.lists import row_url


def iso_date(value: date | None) -> str | None:
    """A `DateField` as DRF shows it (ISO 8601), or None."""
    return value.isoformat() if value else None


def iso_datetime(value: datetime | None, zone: tzinfo) -> str | None:
    """A `DateTimeField` as DRF shows it: in the current time zone, ISO 8601, UTC as "Z"."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class RowContext:
    """What every row of one response shares: the site's origin and the time zone."""

    def __init__(self, request: Request | None) -> None:
        self.request = request
        self.origin: str | None = None
        self.zone = timezone.get_current_timezone()

    def url(self, name: str, pk: int) -> str:
        """`HyperlinkedIdentityField`'s absolute URL of object `pk` (a request is needed, as
        there)."""
        if self.origin is None:
            assert self.request is not None, "an absolute URL needs the request in the context"
            self.origin = self.request.build_absolute_uri("/")[:-1]
        return self.origin + row_url(name, pk)

    def datetime(self, value: datetime | None) -> str | None:
        return iso_datetime(value, self.zone)


def row_context(serializer: serializers.BaseSerializer) -> RowContext:
    """The `RowContext` of the response `serializer` builds rows for: made on its first row."""
    rows: RowContext | None = getattr(serializer, "_row_context", None)
    if rows is None:
        rows = RowContext(serializer.context.get("request"))
        serializer._row_context = rows  # type: ignore[attr-defined]  # one a list serializer
    return rows
