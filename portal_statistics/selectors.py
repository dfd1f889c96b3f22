"""The public statistics: per AI Factory and access mode, applications received and decided,
the working days to a decision against the mode's promise, and the capacity left this year.

No personal data and no titles: only counts and durations. Small numbers are withheld (see
`SMALL_NUMBER`), so that a figure about one or a few decisions cannot point at an applicant.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from allocations.selectors import system_remaining_gpu_hours
from applications.models import AccessMode, Application
from factories.models import AIFactory, System
from portal.workdays import working_days_between
from portal_statistics.services import statistics_version

# Counts from 1 to SMALL_NUMBER - 1 are shown as "fewer than 5", and durations and the on-time
# share only from SMALL_NUMBER decisions on. 0 is shown: it identifies nobody.
SMALL_NUMBER = 5
# An upper bound on staleness for what no decision changes (submissions, capacity edits).
CACHE_SECONDS = 600


@dataclass(frozen=True)
class ModeFigures:
    """One row: an access mode at one AI Factory. None means withheld (`withheld` names the
    fields held back by the small-number rule) or, for durations, nothing decided yet."""

    factory_slug: str
    factory_name: str
    mode_slug: str
    mode_name: str
    target_working_days: int
    received: int | None
    decided: int | None
    median_working_days: float | None
    p90_working_days: int | None
    on_time_share: float | None  # 0..1
    withheld: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemCapacity:
    factory_slug: str
    factory_name: str
    system_slug: str
    system_name: str
    capacity: int | None  # GPU-hours per year; None: not yet published
    remaining: int | None


@dataclass(frozen=True)
class PublicStatistics:
    year: int
    computed_at: datetime
    modes: list[ModeFigures] = field(default_factory=list)
    capacity: list[SystemCapacity] = field(default_factory=list)
    small_number: int = SMALL_NUMBER


def percentile(values: list[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at
    or below it (the 90th of 1..10 is 9, of 1..20 is 18)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _small(count: int) -> bool:
    return 0 < count < SMALL_NUMBER


def _figures(
    factory: AIFactory, mode: AccessMode, received: int, durations: list[int]
) -> ModeFigures:
    decided = len(durations)
    enough = decided >= SMALL_NUMBER
    withheld = [
        name for name, count in (("received", received), ("decided", decided)) if _small(count)
    ]
    if decided and not enough:
        withheld += ["median_working_days", "p90_working_days", "on_time_share"]
    target = mode.decision_target_working_days
    return ModeFigures(
        factory_slug=factory.slug,
        factory_name=factory.display_name,
        mode_slug=mode.slug,
        mode_name=mode.short_name,
        target_working_days=target,
        received=None if _small(received) else received,
        decided=None if _small(decided) else decided,
        median_working_days=float(statistics.median(durations)) if enough else None,
        p90_working_days=percentile(durations, 0.9) if enough else None,
        on_time_share=sum(d <= target for d in durations) / decided if enough else None,
        withheld=tuple(withheld),
    )


def _durations(countries: dict[int, str]) -> dict[tuple[int, int], list[int]]:
    """Per (factory id, mode id): the working days of the factory's country from when the
    mode's clock started (the cut-off's closing day for a mode with cut-offs, else the day of
    submission) to the day of the decision. One query: same days come as one row with a count."""
    rows = (
        Application.objects.filter(decided_at__isnull=False, submitted_at__isnull=False)
        .values(
            "system__factory_id", "access_mode_id", submitted=TruncDate("submitted_at"),
            clock=TruncDate("cutoff__closes_at"), decided=TruncDate("decided_at"),
        )
        .annotate(count=Count("pk"))
        .order_by()
    )  # fmt: skip
    durations: dict[tuple[int, int], list[int]] = {}
    for row in rows:
        start: date = row["clock"] or row["submitted"]
        factory_id = row["system__factory_id"]
        days = working_days_between(start, row["decided"], country=countries.get(factory_id))
        durations.setdefault((factory_id, row["access_mode_id"]), []).extend([days] * row["count"])
    return durations


def _mode_rows(factories: dict[int, AIFactory]) -> list[ModeFigures]:
    """A row for every mode offered at a factory (an active mode on one of its systems) and
    every pair that received applications."""
    received = {
        (row["system__factory_id"], row["access_mode_id"]): row["count"]
        for row in Application.objects.filter(submitted_at__isnull=False)
        .values("system__factory_id", "access_mode_id")
        .annotate(count=Count("pk"))
        .order_by()
    }
    offered = set(
        AccessMode.systems.through.objects.filter(accessmode__is_active=True).values_list(
            "system__factory_id", "accessmode_id"
        )
    )
    modes = AccessMode.objects.in_bulk()
    durations = _durations({pk: f.country.code for pk, f in factories.items()})
    order = {pk: i for i, pk in enumerate(factories)}
    pairs = sorted(
        (pair for pair in offered | set(received) if pair[0] in factories and pair[1] in modes),
        key=lambda pair: (order[pair[0]], pair[1]),
    )
    return [
        _figures(factories[f], modes[m], received.get((f, m), 0), durations.get((f, m), []))
        for f, m in pairs
    ]


def _capacity_rows(year: int) -> list[SystemCapacity]:
    """Every system's yearly capacity and what the ledger has left of it in `year`."""
    rows = []
    for system in System.objects.select_related("factory"):
        capacity = system.allocatable_gpu_hours_per_year
        rows.append(
            SystemCapacity(
                factory_slug=system.factory.slug,
                factory_name=system.factory.display_name,
                system_slug=system.slug,
                system_name=system.name,
                capacity=capacity,
                remaining=None
                if capacity is None
                else system_remaining_gpu_hours(system=system, year=year),
            )
        )
    return rows


def statistics_compute(*, today: date | None = None) -> PublicStatistics:
    """The figures, computed now (no cache)."""
    year = (today or timezone.localdate()).year
    factories = AIFactory.objects.in_bulk()
    ordered = dict(sorted(factories.items(), key=lambda kv: (kv[1].wave, kv[1].name)))
    return PublicStatistics(
        year=year,
        computed_at=timezone.now(),
        modes=_mode_rows(ordered),
        capacity=_capacity_rows(year),
    )


def public_statistics() -> PublicStatistics:
    """The figures from the cache, computed on a miss. A decision changes the version
    (`statistics_changed`), so the first visitor after it sees it; the rest is at most
    CACHE_SECONDS old."""
    key = f"statistics:{statistics_version()}:{timezone.localdate().isoformat()}"
    found = cache.get(key)
    if found is None:
        found = statistics_compute()
        cache.set(key, found, timeout=CACHE_SECONDS)
    return found
