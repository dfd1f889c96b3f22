"""Reads of the catalogue. The catalogue is public: no visibility rules, only efficient queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django_countries.fields import Country

from .models import AIFactory, Source, System


def factory_list() -> QuerySet[AIFactory]:
    """Factories with their systems prefetched: two queries whatever the number of factories."""
    return AIFactory.objects.prefetch_related(
        Prefetch("systems", queryset=System.objects.order_by("kind", "name"))
    )


def factory_get(*, slug: str) -> AIFactory:
    """One factory with its systems and all sources (factory's and systems'): three queries."""
    queryset = AIFactory.objects.prefetch_related(
        Prefetch(
            "systems",
            queryset=System.objects.order_by("kind", "name").prefetch_related("sources"),
        ),
        "sources",
    )
    return get_object_or_404(queryset, slug=slug)


def system_list() -> QuerySet[System]:
    return System.objects.select_related("factory")


def system_get(*, slug: str) -> System:
    queryset = System.objects.select_related("factory").prefetch_related(
        Prefetch("sources", queryset=Source.objects.order_by("pk"))
    )
    return get_object_or_404(queryset, slug=slug)


def factory_countries() -> list[Country]:
    """The countries that host a factory, by name, for the filter form (one query)."""
    codes = AIFactory.objects.order_by("country").values_list("country", flat=True).distinct()
    return sorted((Country(code=code) for code in codes), key=lambda country: country.name)


@dataclass(frozen=True)
class StatusSegment:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class FactoryStatusRow:
    factory: AIFactory
    segments: list[StatusSegment]
    total: int


STATUS_ORDER = [
    (System.Status.OPERATIONAL, "Operational"),
    (System.Status.INSTALLING, "Installing"),
    (System.Status.PROCUREMENT, "Procurement"),
    (System.Status.PLANNED, "Planned"),
    ("", "Status not yet published"),
    (System.Status.RETIRED, "Retired"),
]


def factory_status_rows(factories: list[AIFactory]) -> list[FactoryStatusRow]:
    """Systems per factory by status, for the home-page chart (no query: uses the prefetch)."""
    rows = []
    for factory in factories:
        systems = list(factory.systems.all())
        segments = [
            StatusSegment(status or "unknown", label, sum(1 for s in systems if s.status == status))
            for status, label in STATUS_ORDER
        ]
        rows.append(FactoryStatusRow(factory, [s for s in segments if s.count], len(systems)))
    return rows
