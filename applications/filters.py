"""Filters of the application lists, shared by the HTML pages and the API (django-filter).

`status=open` (the default of the site's list) keeps the undecided applications only; `q` searches
the title, the organisation's name and the application number (`#12` or `12`); `ordering=due`
sorts by the expected decision date, soonest first (`-due`: latest first).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import OPEN_STATUSES, Application, ApplicationStatus
from portal.lists import ListFilterSet

OPEN = "open"
SEARCH_MAX_LENGTH = 100


def search(queryset: QuerySet, prefix: str, value: str) -> QuerySet:
    """Title or organisation containing `value`, or the application numbered `value`."""
    text = value.strip()
    match = Q(**{f"{prefix}title__icontains": text}) | Q(
        **{f"{prefix}organisation__legal_name__icontains": text}
    )
    number = text.removeprefix("#")
    if number.isdigit() and len(number) < 12:
        match |= Q(**{f"{prefix}pk": int(number)})
    return queryset.filter(match)


class ApplicationFilter(ListFilterSet):
    mode = django_filters.CharFilter(
        field_name="access_mode__slug", label=_("Access mode"), max_length=60
    )
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open (undecided)")), *ApplicationStatus.choices],
        method="filter_status",
        label=_("Status"),
        empty_label=_("Any"),
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))
    factory = django_filters.CharFilter(
        field_name="system__factory__slug", label=_("AI Factory"), max_length=60
    )
    q = django_filters.CharFilter(
        method="filter_search", label=_("Search"), max_length=SEARCH_MAX_LENGTH
    )
    ordering = django_filters.OrderingFilter(
        # Our own label: django-filter's "Ordering" has no Finnish or Swedish translation.
        label=_("Sort by"),
        fields=(("expected_decision_by", "due"), ("updated_at", "updated")),
        # Labels for both directions: django-filter's own "(descending)" is translated once,
        # when this module is imported, so it would stay English in every language.
        field_labels={
            "expected_decision_by": _("Decision due"),
            "-due": _("Decision due (latest first)"),
            "updated_at": _("Last change"),
            "-updated": _("Last change (newest first)"),
        },
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(
            status__in=OPEN_STATUSES, expected_decision_by__lt=timezone.localdate()
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, "", value)
