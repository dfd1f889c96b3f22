"""Filters of a reviewer's assignments, shared by the desk and the API (django-filter).

`status=open` (the desk's default) keeps the assignments still to do; `q` searches the
application's title, organisation and number; `ordering=due` sorts by due date.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.filters import SEARCH_MAX_LENGTH, search
from portal.lists import ListFilterSet
from reviews.models import Assignment

OPEN = "open"


class AssignmentFilter(ListFilterSet):
    mode = django_filters.CharFilter(
        field_name="application__access_mode__slug", label=_("Access mode"), max_length=60
    )
    status = django_filters.ChoiceFilter(
        choices=[
            (OPEN, pgettext_lazy("assignments not done yet", "Open")),
            *Assignment.Status.choices,
        ],
        method="filter_status",
        label=_("Status"),
        empty_label=_("Any"),
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))
    factory = django_filters.CharFilter(
        field_name="application__system__factory__slug", label=_("AI Factory"), max_length=60
    )
    q = django_filters.CharFilter(
        method="filter_search", label=_("Search"), max_length=SEARCH_MAX_LENGTH
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("due_by", "due"),),
        field_labels={"due_by": _("Due"), "-due": _("Due (latest first)")},
    )

    class Meta:
        model = Assignment
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == OPEN:
            return queryset.filter(status__in=Assignment.OPEN)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(status__in=Assignment.OPEN, due_by__lt=timezone.localdate())

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, "application__", value)
