"""Reading Slurm's `sacct --parsable2` output: one finished job per allocation line, its
GPU-hours = the gres/gpu count of AllocTRES x the elapsed time. Pure: no database.

Job steps (`123.batch`, `123.0`, `123.extern`) are skipped: the job's allocation line already
counts every GPU on every node, so a multi-node job is counted once. A job listed twice in a file
is counted once. Jobs not finished yet (no end time) are left for a later import."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

REQUIRED = ("JobID", "Account", "AllocTRES", "End")
ELAPSED = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$")
HOUR = Decimal(3600)
PLACES = Decimal("0.0001")


class SacctFormatError(ValueError):
    """The file is not sacct --parsable2 output with a header naming the columns we need."""


@dataclass(frozen=True)
class SacctJob:
    job_id: str
    account: str
    gpus: int
    elapsed_seconds: int
    start: date
    end: date

    @property
    def gpu_hours(self) -> Decimal:
        return (Decimal(self.gpus * self.elapsed_seconds) / HOUR).quantize(PLACES)


@dataclass
class SacctRead:
    jobs: dict[str, SacctJob]
    lines: int = 0
    steps: int = 0
    unfinished: int = 0
    without_gpus: int = 0
    duplicates: int = 0


def gpu_count(alloc_tres: str) -> int:
    """`billing=1,cpu=1,gres/gpu=2,node=1` -> 2. Typed counts (`gres/gpu:a100=2`) are summed
    only when the untyped total is absent (Slurm lists both)."""
    total, typed = None, 0
    for part in alloc_tres.split(","):
        name, _, value = part.partition("=")
        if name == "gres/gpu":
            total = int(value or 0)
        elif name.startswith("gres/gpu:"):
            typed += int(value or 0)
    return total if total is not None else typed


def elapsed_seconds(row: dict[str, str]) -> int:
    raw = row.get("ElapsedRaw", "")
    if raw.isdigit():
        return int(raw)
    match = ELAPSED.match(row.get("Elapsed", ""))
    if not match:
        raise SacctFormatError(f"job {row.get('JobID')}: no ElapsedRaw or Elapsed")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _day(value: str, fallback: date) -> date:
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return fallback


def read_sacct(lines: Iterable[str]) -> SacctRead:
    """Every finished job with GPUs in the file, by job id."""
    result = SacctRead(jobs={})
    rows = _rows(lines)
    for row in rows:
        result.lines += 1
        job_id = row["JobID"]
        if "." in job_id:
            result.steps += 1
            continue
        if not row["End"] or row["End"] in ("Unknown", "None"):
            result.unfinished += 1
            continue
        gpus = gpu_count(row["AllocTRES"])
        if gpus <= 0:
            result.without_gpus += 1
            continue
        end = _day(row["End"], date.min)
        if end == date.min:
            result.unfinished += 1
            continue
        if job_id in result.jobs:
            result.duplicates += 1
        result.jobs[job_id] = SacctJob(
            job_id=job_id, account=row["Account"].lower(), gpus=gpus,
            elapsed_seconds=elapsed_seconds(row), start=_day(row.get("Start", ""), end), end=end,
        )  # fmt: skip
    return result


def _rows(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    iterator = iter(lines)
    header_line = next(iterator, "").rstrip("\r\n")
    header = header_line.split("|")
    missing = [name for name in REQUIRED if name not in header]
    if "ElapsedRaw" not in header and "Elapsed" not in header:
        missing.append("ElapsedRaw")
    if missing:
        raise SacctFormatError(
            "The first line must be sacct's header (run sacct --parsable2 without --noheader, "
            "with --format=JobID,Account,Start,End,ElapsedRaw,AllocTRES,State); missing: "
            + ", ".join(missing)
        )
    for number, line in enumerate(iterator, start=2):
        line = line.rstrip("\r\n")
        if not line:
            continue
        values = line.split("|")
        if len(values) != len(header):
            raise SacctFormatError(
                f"line {number}: {len(values)} fields where the header names {len(header)}"
            )
        yield dict(zip(header, values, strict=True))
