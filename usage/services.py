"""Every write to usage: the records a site pushes over its API, the jobs `import_usage` reads
from sacct, and after either the used total of each allocation they touched (through
allocations.services.allocation_record_usage). Both are idempotent: the same records or the same
file again change nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext

from allocations.models import Allocation
from allocations.services import allocation_record_usage
from handoffs.models import HandOff
from handoffs.services import handoff_settings_for
from usage.models import UsageRecord, UsageSource
from usage.sacct import SacctRead, read_sacct

if TYPE_CHECKING:
    from factories.models import AIFactory

CHUNK = 500  # keys per IN (...) query: under SQLite's variable limit
# A job's record as compared: (allocation id, period start, period end, GPU-hours).
Figures = tuple[int, date, date, Decimal]


class PushedRecord(TypedDict):
    allocation: int
    period_start: date
    period_end: date
    gpu_hours: Decimal


def usage_totals_refresh(*, allocation_ids: Iterable[int]) -> int:
    """Store each allocation's used total (the sum of its records); returns how many."""
    ids = sorted(set(allocation_ids))
    totals: dict[int, Decimal] = dict.fromkeys(ids, Decimal(0))
    for start in range(0, len(ids), CHUNK):
        rows = (
            UsageRecord.objects.filter(allocation_id__in=ids[start : start + CHUNK])
            .values_list("allocation_id")
            .annotate(total=Sum("gpu_hours"))
        )
        totals.update({pk: total or Decimal(0) for pk, total in rows})
    for allocation in Allocation.objects.filter(pk__in=ids):
        allocation_record_usage(allocation, totals[allocation.pk])
    return len(ids)


def usage_records_push(*, factory: AIFactory, records: Sequence[PushedRecord]) -> list[UsageRecord]:
    """The site's records, each for one allocation of the factory and a period within its
    dates: created, or replacing the record of the same allocation and period. All or nothing:
    Allocation.DoesNotExist for an allocation of another factory (or none), ValidationError
    naming the record for a broken rule."""
    ids = {record["allocation"] for record in records}
    allocations = Allocation.objects.filter(pk__in=ids, system__factory=factory).in_bulk()
    if set(allocations) != ids:
        raise Allocation.DoesNotExist(f"No allocation {sorted(ids - set(allocations))} here.")
    errors = {}
    for number, record in enumerate(records):
        allocation = allocations[record["allocation"]]
        if record["period_end"] < record["period_start"]:
            errors[f"records[{number}]"] = [gettext("The period ends before it starts.")]
        elif record["period_start"] > allocation.end or record["period_end"] < allocation.start:
            errors[f"records[{number}]"] = [
                gettext("The period is outside the allocation (%(start)s to %(end)s).")
                % {"start": allocation.start, "end": allocation.end}
            ]
    if errors:
        raise ValidationError(errors)
    saved = []
    with transaction.atomic():
        for record in records:
            key = f"{record['allocation']}:{record['period_start']}:{record['period_end']}"
            row, _ = UsageRecord.objects.update_or_create(
                factory=factory, source=UsageSource.SITE_API, key=key,
                defaults={
                    "allocation_id": record["allocation"], "period_start": record["period_start"],
                    "period_end": record["period_end"], "gpu_hours": record["gpu_hours"],
                },
            )  # fmt: skip
            saved.append(row)
        usage_totals_refresh(allocation_ids=ids)
    return saved


@dataclass
class ImportResult:
    read: SacctRead
    cluster: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_accounts: Counter[str] = field(default_factory=Counter)
    allocations: int = 0


def slurm_accounts(*, factory: AIFactory) -> dict[str, int]:
    """The factory's Slurm accounts (from the hand-offs) and their allocation."""
    rows = HandOff.objects.filter(factory=factory).exclude(slurm_account="")
    return {a.lower(): pk for a, pk in rows.values_list("slurm_account", "allocation_id")}


def usage_import_sacct(
    *, factory: AIFactory, lines: Iterable[str], cluster: str = ""
) -> ImportResult:
    """Read sacct --parsable2 output and store one record per finished GPU job of the factory's
    accounts (key `<cluster>:<job id>`): new jobs created, jobs whose figures changed updated,
    the rest left alone. Then the used total of every allocation touched. SacctFormatError for a
    file that is not sacct's."""
    cluster = cluster or handoff_settings_for(factory.pk).slurm_cluster or factory.slug
    result = ImportResult(read=read_sacct(lines), cluster=cluster)
    accounts = slurm_accounts(factory=factory)
    wanted: dict[str, Figures] = {}
    for job in result.read.jobs.values():
        allocation_id = accounts.get(job.account)
        if allocation_id is None:
            result.unknown_accounts[job.account] += 1
            continue
        wanted[f"{cluster}:{job.job_id}"] = (allocation_id, job.start, job.end, job.gpu_hours)
    with transaction.atomic():
        new, changed = _compare(factory, wanted, result)
        UsageRecord.objects.bulk_create(new, batch_size=1000)
        UsageRecord.objects.bulk_update(
            changed, ["allocation", "period_start", "period_end", "gpu_hours"], batch_size=1000
        )
        touched = {r.allocation_id for r in new} | {r.allocation_id for r in changed}
        result.allocations = usage_totals_refresh(allocation_ids=touched)
    return result


def _compare(
    factory: AIFactory, wanted: dict[str, Figures], result: ImportResult
) -> tuple[list[UsageRecord], list[UsageRecord]]:
    """The records to create and to update; only those are built as model instances (most
    jobs of a daily import were seen the day before)."""
    keys = list(wanted)
    stored: dict[str, tuple[int, Figures]] = {}
    for start in range(0, len(keys), CHUNK):
        rows = UsageRecord.objects.filter(
            factory=factory, source=UsageSource.SACCT, key__in=keys[start : start + CHUNK]
        ).values_list("key", "pk", "allocation_id", "period_start", "period_end", "gpu_hours")
        stored.update({key: (pk, tuple(figures)) for key, pk, *figures in rows})  # type: ignore[misc]
    new: list[UsageRecord] = []
    changed: list[UsageRecord] = []
    for key, figures in wanted.items():
        pk, before = stored.get(key, (None, None))
        if before == figures:
            result.unchanged += 1
            continue
        allocation_id, period_start, period_end, gpu_hours = figures
        record = UsageRecord(
            pk=pk, factory=factory, allocation_id=allocation_id, source=UsageSource.SACCT,
            key=key, period_start=period_start, period_end=period_end, gpu_hours=gpu_hours,
        )  # fmt: skip
        (new if pk is None else changed).append(record)
    result.created, result.updated = len(new), len(changed)
    return new, changed
