"""Usage import benchmark: `.venv/bin/python bench/usage_import.py` (`--jobs` for a quick try).

How fast `manage.py import_usage` counts a sacct file: a generated `sacct --parsable2` file of
100,000 finished jobs (each with its `.batch` step, a tenth of them multi-node with an `.0` step
too) over 100 Slurm accounts of lumi-aif, imported into PostgreSQL (the bench database,
BENCH_DATABASE_URL as for bench/run.py, `portal_bench` by default).

1. Prepares the database (ensure_database, migrate, load_reference_data) and, in this process
   after Django's setup, the bench's allocations: 100 approved applications at lumi-aif with an
   allocation and a done hand-off naming its Slurm account (`benchusage-<n>`); usage records of
   an earlier run of these accounts are deleted first.
2. Writes the file (in a temporary directory) and runs the import three times, in-process,
   through the command's service: the first import (every job new), the same file again (every
   job unchanged: nothing written), and a file with 10 % new jobs and the rest seen before.
3. Checks: as many usage records as jobs, each allocation's used total equal to the sum of its
   jobs' GPU-hours, and nothing written by the second import.

Prints jobs/s for each import, the file's size and lines/s, and writes
bench/results/usage_import.json. Target: >= 5,000 jobs/s for the first import (a day of a
large site's jobs in seconds). Exit status: 0 when the target and the checks hold, 2 when not,
1 when the benchmark could not run. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from common import ROOT, BenchError, bench_environment, check_loopback, git_commit, manage

RESULTS_FILE = ROOT / "bench" / "results" / "usage_import.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
TARGET_JOBS_PER_S = 5_000.0
ACCOUNTS = 100
HEADER = "JobID|Account|User|Start|End|ElapsedRaw|AllocTRES|State"
FIRST_JOB = 1_000_000


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def prepare_allocations() -> tuple[object, dict[str, int]]:
    """The bench's 100 allocations at lumi-aif and their accounts; earlier usage removed."""
    from django.utils import timezone

    from accounts.models import User
    from allocations.models import Allocation
    from applications.models import AccessMode, Application
    from factories.models import System
    from handoffs.models import HandOff
    from usage.models import UsageRecord

    system = System.objects.select_related("factory").get(slug="lumi")
    mode = AccessMode.objects.get(slug="playground")
    user, _ = User.objects.get_or_create(email="usage-bench@bench.example.org")
    start = timezone.localdate()
    accounts: dict[str, int] = {}
    for n in range(ACCOUNTS):
        account = f"benchusage-{n}"
        handoff = HandOff.objects.filter(factory=system.factory, slurm_account=account).first()
        if handoff is None:
            # Draft rows: the submitted-is-complete constraint does not apply, and nothing
            # else of the bench (lists, routing) counts drafts of this user.
            application = Application.objects.create(
                applicant=user, title=f"Usage bench {n}", access_mode=mode, system=system
            )
            allocation = Allocation.objects.create(
                application=application, system=system, gpu_hours=1_000_000, start=start,
                end=start + timedelta(days=365), period_year=start.year,
            )  # fmt: skip
            handoff = HandOff.objects.create(
                allocation=allocation, factory=system.factory, backend="site_export",
                status="done", slurm_account=account,
            )  # fmt: skip
        accounts[account] = handoff.allocation_id
    UsageRecord.objects.filter(allocation_id__in=accounts.values()).delete()
    return system.factory, accounts


def job_figures(job: int) -> tuple[str, int, int, int]:
    """(account, nodes, GPUs, elapsed seconds) of a job: the same for a job id in every file."""
    nodes = 4 if job % 10 == 0 else 1
    gpus = 4 * nodes if nodes > 1 else (1, 2, 4)[job * 7 % 3]
    return f"benchusage-{job % ACCOUNTS}", nodes, gpus, 60 + job * 2_654_435_761 % 86_340


def expected_totals(job_ids: range) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for job in job_ids:
        account, _, gpus, elapsed = job_figures(job)
        hours = (Decimal(gpus * elapsed) / 3600).quantize(Decimal("0.0001"))
        totals[account] = totals.get(account, Decimal(0)) + hours
    return totals


def write_sacct(path: Path, job_ids: range) -> None:
    """A sacct --parsable2 file of these jobs, each with its steps."""
    day = datetime(2026, 12, 1, tzinfo=UTC)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for job in job_ids:
            account, nodes, gpus, elapsed = job_figures(job)
            begin = day + timedelta(seconds=job % 80_000)
            end = begin + timedelta(seconds=elapsed)
            times = f"{begin:%Y-%m-%dT%H:%M:%S}|{end:%Y-%m-%dT%H:%M:%S}|{elapsed}"
            tres = f"billing={gpus},cpu={gpus * 8},gres/gpu={gpus},node={nodes}"
            out.write(f"{job}|{account}|u{job % 500}|{times}|{tres}|COMPLETED\n")
            out.write(
                f"{job}.batch|{account}||{times}|cpu=8,gres/gpu={min(gpus, 4)},node=1|COMPLETED\n"
            )
            if nodes > 1:
                out.write(f"{job}.0|{account}||{times}|{tres}|COMPLETED\n")


def timed_import(factory, path: Path) -> tuple[float, object]:
    from usage.services import usage_import_sacct

    began = time.perf_counter()
    with path.open() as handle:
        result = usage_import_sacct(factory=factory, lines=handle, cluster="bench")
    return time.perf_counter() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    args = parser.parse_args()
    try:
        check_loopback(args.database_url, "BENCH_DATABASE_URL")
        with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
            env = bench_environment(args.database_url, Path(tmp) / "static")
            manage(env, "ensure_database", timeout=30)
            manage(env, "migrate", "--noinput", timeout=180)
            manage(env, "load_reference_data", timeout=60)
            setup_django(env)
            factory, accounts = prepare_allocations()
            first = Path(tmp) / "sacct-1.txt"
            write_sacct(first, range(FIRST_JOB, FIRST_JOB + args.jobs))
            lines = sum(1 for _ in first.open()) - 1
            runs = {}
            runs["first"] = timed_import(factory, first)
            runs["same file"] = timed_import(factory, first)
            third = Path(tmp) / "sacct-3.txt"
            new = args.jobs // 10
            write_sacct(third, range(FIRST_JOB + new, FIRST_JOB + new + args.jobs))
            runs["10 % new"] = timed_import(factory, third)
            size_mib = first.stat().st_size / 2**20
            expected = expected_totals(range(FIRST_JOB, FIRST_JOB + new + args.jobs))
            checks = check(accounts, expected, runs, args.jobs, new)
    except BenchError as error:
        print(f"usage import bench: {error}", file=sys.stderr)
        return 1
    rows = {
        name: {
            "seconds": round(seconds, 2),
            "jobs_per_s": round(args.jobs / seconds, 0),
            "lines_per_s": round(lines / seconds, 0),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        for name, (seconds, result) in runs.items()
    }
    print(f"\nsacct file: {args.jobs:,} jobs, {lines:,} lines, {size_mib:.1f} MiB")
    print(f"{'import':<12} {'seconds':>8} {'jobs/s':>10} {'new':>8} {'unchanged':>10}")
    for name, row in rows.items():
        print(
            f"{name:<12} {row['seconds']:>8.2f} {row['jobs_per_s']:>10,.0f} "
            f"{row['created']:>8,} {row['unchanged']:>10,}"
        )
    first_rate = rows["first"]["jobs_per_s"]
    target = f"{TARGET_JOBS_PER_S:,.0f} jobs/s"
    print(f"first import: {first_rate / TARGET_JOBS_PER_S:.0%} of the {target} target")
    for problem in checks:
        print(f"CHECK FAILED: {problem}")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit(),
        "machine": platform.node(), "jobs": args.jobs, "lines": lines, "runs": rows,
        "target_jobs_per_s": TARGET_JOBS_PER_S, "checks_failed": checks,
    }, indent=2) + "\n")  # fmt: skip
    return 0 if first_rate >= TARGET_JOBS_PER_S and not checks else 2


def check(accounts, expected, runs, jobs: int, new: int) -> list[str]:
    from allocations.models import Allocation
    from usage.models import UsageRecord

    problems = []
    stored = UsageRecord.objects.filter(allocation_id__in=accounts.values()).count()
    if stored != jobs + new:
        problems.append(f"{stored:,} usage records for {jobs + new:,} jobs")
    if runs["same file"][1].created or runs["same file"][1].updated:
        problems.append("the same file imported again wrote records")
    if runs["10 % new"][1].created != new:
        problems.append(f"{runs['10 % new'][1].created:,} new jobs in the third file, not {new:,}")
    used = Allocation.objects.filter(pk__in=accounts.values()).values_list("pk", "used_gpu_hours")
    totals = dict(used)
    wrong = [a for a, v in expected.items() if totals[accounts[a]] != v.quantize(Decimal("0.01"))]
    if wrong:
        problems.append(f"{len(wrong)} allocations' used totals differ from their jobs' GPU-hours")
    return problems


if __name__ == "__main__":
    sys.exit(main())
