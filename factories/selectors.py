"""Reads of the catalogue. The catalogue is public: no visibility rules, only efficient queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country

from applications.models import AccessMode, Cutoff

from .models import AIFactory, Antenna, AntennaLink, Source, System

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _shown_antenna_links() -> Prefetch:
    """A factory's solid and medium antenna links (`factory.shown_antenna_links`)."""
    links = AntennaLink.objects.filter(confidence__in=AntennaLink.SHOWN).select_related("antenna")
    return Prefetch(
        "antenna_links", queryset=links.order_by("antenna__name"), to_attr="shown_antenna_links"
    )


def factory_list() -> QuerySet[AIFactory]:
    """Factories with their systems and shown antenna links prefetched: three queries whatever
    the number of factories."""
    return AIFactory.objects.prefetch_related(
        Prefetch("systems", queryset=System.objects.order_by("kind", "name")),
        _shown_antenna_links(),
    )


def factory_get(*, slug: str) -> AIFactory:
    """One factory with its systems, antenna links and all sources (factory's and systems'):
    four queries."""
    queryset = AIFactory.objects.prefetch_related(
        Prefetch(
            "systems",
            queryset=System.objects.order_by("kind", "name").prefetch_related("sources"),
        ),
        "sources",
        _shown_antenna_links(),
    )
    return get_object_or_404(queryset, slug=slug)


def antenna_list() -> QuerySet[Antenna]:
    """Antennas with their solid and medium links to factories (`antenna.shown_links`): two
    queries whatever the number of antennas."""
    links = AntennaLink.objects.filter(confidence__in=AntennaLink.SHOWN).select_related("factory")
    return Antenna.objects.prefetch_related(
        Prefetch("links", queryset=links.order_by("factory__name"), to_attr="shown_links")
    )


def antenna_get(*, slug: str) -> Antenna:
    """One antenna with its shown links, its weak ones (`antenna.unconfirmed_links`, shown as
    unconfirmed, never as links) and its sources: four queries."""
    links = AntennaLink.objects.select_related("factory").order_by("factory__name")
    queryset = Antenna.objects.prefetch_related(
        Prefetch(
            "links", queryset=links.filter(confidence__in=AntennaLink.SHOWN), to_attr="shown_links"
        ),
        Prefetch(
            "links",
            queryset=links.exclude(confidence__in=AntennaLink.SHOWN),
            to_attr="unconfirmed_links",
        ),
        Prefetch("sources", queryset=Source.objects.order_by("pk")),
    )
    return get_object_or_404(queryset, slug=slug)


def antenna_options() -> list[Antenna]:
    """The antennas for the factory list's antenna filter (one query)."""
    return list(Antenna.objects.only("slug", "name", "country").order_by("name"))


def system_list() -> QuerySet[System]:
    """Systems with their factory and partitions: two queries whatever the number of systems."""
    return System.objects.select_related("factory").prefetch_related("partitions")


def system_get(*, slug: str) -> System:
    """One system with its sources and partitions (by name) prefetched: no query per partition."""
    queryset = System.objects.select_related("factory").prefetch_related(
        Prefetch("sources", queryset=Source.objects.order_by("pk")), "partitions"
    )
    return get_object_or_404(queryset, slug=slug)


def _modes_with_coming_cutoffs() -> QuerySet[AccessMode]:
    coming = Cutoff.objects.filter(closes_at__gt=timezone.now()).order_by("closes_at")
    return AccessMode.objects.filter(is_active=True).prefetch_related(
        Prefetch("cutoffs", queryset=coming)
    )


def access_mode_list() -> QuerySet[AccessMode]:
    """The active access modes with their coming cut-offs: two queries."""
    return _modes_with_coming_cutoffs().order_by("pk")


def access_mode_get(*, slug: str) -> AccessMode:
    """One active mode with its coming cut-offs and the systems offering it (with their
    factories): three queries."""
    systems = System.objects.select_related("factory").order_by("factory__name", "name")
    queryset = _modes_with_coming_cutoffs().prefetch_related(Prefetch("systems", queryset=systems))
    return get_object_or_404(queryset, slug=slug)


def factory_filter_options() -> tuple[list[Country], list[int]]:
    """The countries that host a factory (by name) and the selection waves, for the filter
    form (one query)."""
    pairs = set(AIFactory.objects.order_by().values_list("country", "wave").distinct())
    codes = {code for code, _ in pairs}
    countries = sorted((Country(code=code) for code in codes), key=lambda country: country.name)
    return countries, sorted({wave for _, wave in pairs})


@dataclass(frozen=True)
class StatusSegment:
    status: str
    label: StrOrPromise
    count: int


@dataclass(frozen=True)
class FactoryStatusRow:
    factory: AIFactory
    segments: list[StatusSegment]
    total: int


STATUS_ORDER = [
    (System.Status.OPERATIONAL, System.Status.OPERATIONAL.label),
    (System.Status.INSTALLING, System.Status.INSTALLING.label),
    (System.Status.PROCUREMENT, System.Status.PROCUREMENT.label),
    (System.Status.PLANNED, System.Status.PLANNED.label),
    ("", _("Status not yet published")),
    (System.Status.RETIRED, System.Status.RETIRED.label),
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
