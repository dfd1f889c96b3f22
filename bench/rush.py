"""The cut-off rush: `.venv/bin/python bench/rush.py` (see bench/README.md; `--help`).

Many people at once, as before a cut-off: applicants saving drafts, uploading a PDF and
submitting, reviewers reviewing what routing gives them, and anonymous catalogue traffic, for
`--duration` seconds (120) against the portal as it runs in production: gunicorn with 2 sync
workers, ONE Celery worker (prefork, 2 processes) on a Redis broker of its own
(redis://127.0.0.1:6379/4, flushed before and after), PostgreSQL (database portal_bench_rush,
filled to `--size` applications by bench/data.py), DEBUG off. The load comes from locust,
headless, in its own process, on loopback only (bench/locustfile.py).

Afterwards it waits (at most `--drain` s) until nothing submitted waits for routing, then checks
in the database that every submitted application was routed exactly once (one routing record,
one "routed" event, one assignment, no duplicate assignment), and measures the time from each
application's submission to its routing record.

Prints requests/s, p50/p95/p99 per page and the errors (from locust's CSV statistics), the
submit -> routed percentiles, the checks, and the peak memory of gunicorn, the worker and
locust (and locust's CPU use); writes bench/results/rush.json.

Targets: 0 errors, p95 <= 250 ms on every page, submit -> routed p99 <= 2 s, and every check
holds. Exit status: 0 all met, 2 one missed, 1 the rush could not run, 130 interrupted.

Imports nothing of the portal (bench/data.py does, in a subprocess).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import (
    DEFAULT_DATABASE_URL,
    GUNICORN_WORKERS,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Server,
    Worker,
    bench_environment,
    check_loopback,
    check_postgres_and_redis,
    database_name,
    database_url_with_suffix,
    fetch,
    flush_redis_db,
    git_commit,
    machine_cpu,
    machine_is_busy,
    postgres_cpu,
    prepare_database,
    run_data,
    run_measured,
    stop_on_signals,
    venv_tool,
    worker_kind,
)

RESULTS_FILE = RESULTS_DIR / "rush.json"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/4"
P95_TARGET_MS = 250.0
ROUTED_P99_TARGET_MS = 2_000.0
MAX_DURATION = 600


def locust_stats(prefix: Path) -> tuple[list[dict], dict, list[dict]]:
    """Rows of locust's `_stats.csv` (per request name), its aggregate, and its failures."""
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def figures(row: dict) -> dict:
        def number(name: str) -> float | None:
            value = row.get(name, "")
            return float(value) if value not in ("", "N/A") else None

        return {
            "name": row["Name"] if row["Type"] else "Aggregated",
            "method": row["Type"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": number("Requests/s"),
            "p50_ms": number("50%"),
            "p95_ms": number("95%"),
            "p99_ms": number("99%"),
            "max_ms": number("Max Response Time"),
            "avg_bytes": number("Average Content Size"),
        }

    pages = [figures(r) for r in rows if r["Name"] != "Aggregated"]
    total = next((figures(r) for r in rows if r["Name"] == "Aggregated"), {})
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="") as handle:
            failures = list(csv.DictReader(handle))
    return pages, total, failures


def cpu_use(before: tuple, after: tuple, locust: dict) -> dict[str, float]:
    """Where the CPU went while locust ran, in % of one core (the machine has os.cpu_count())."""
    (busy0, total0), server0, worker0, pg0 = before
    (busy1, total1), server1, worker1, pg1 = after
    # Backends that ended meanwhile are missed; those that started count from 0.
    postgres = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg1.items())
    wall = locust["wall_s"] or 1.0
    cores = os.cpu_count() or 1
    used = {
        "machine_busy_pct_of_all_cores": round(
            100 * (busy1 - busy0) / max(total1 - total0, 1e-9), 1
        ),
        "gunicorn_pct": round(100 * (server1 - server0) / wall, 1),
        "celery_pct": round(100 * (worker1 - worker0) / wall, 1),
        "locust_pct": round(100 * locust["cpu_s"] / wall, 1),
        "postgres_pct": round(100 * postgres / wall, 1),
    }
    machine_pct = used["machine_busy_pct_of_all_cores"] * cores
    used["everything_else_pct"] = round(
        machine_pct - used["gunicorn_pct"] - used["celery_pct"] - used["locust_pct"]
        - used["postgres_pct"], 1,
    )  # fmt: skip
    return used


def warm_up(base_url: str, people: dict, workers: int) -> None:
    """A few reads of each kind, so that each gunicorn worker has loaded its views and templates
    (the first request of a fresh worker costs a few hundred ms): the rush measures a portal
    that has been running, as at a real cut-off."""
    applicant, reviewer = people["applicants"][0], people["reviewers"][0]
    reads = [
        ("/bench/baseline/", {}), ("/", {}), ("/factories/", {}), ("/factories/lumi-aif/", {}),
        ("/api/v1/factories/", {}), ("/applications/", {"Cookie": applicant["Cookie"]}),
        ("/api/v1/applications/", {"Authorization": applicant["Authorization"]}),
        ("/review/", {"Cookie": reviewer["Cookie"]}),
        ("/api/v1/assignments/", {"Authorization": reviewer["Authorization"]}),
    ]  # fmt: skip
    for _ in range(2 * workers):
        for path, headers in reads:
            status, _, body = fetch(base_url + path, headers)
            if status != 200:
                raise BenchError(f"{path} answered {status} before the rush: {body[:300]!r}")


_ID = re.compile(r"/\d+/")


def add_server_times(pages: list[dict], access_log: Path, *, skip: int) -> None:
    """gunicorn's own time per page (p50, p95: from a worker taking the request to its answer),
    beside locust's (which also counts the wait for a free worker)."""
    times: dict[str, list[float]] = {}
    try:
        lines = access_log.read_text().splitlines()[skip:]
    except OSError:
        return
    for line in lines:
        try:
            method, path, _status, micros = line.split()
        except ValueError:
            continue
        times.setdefault(f"{method} {_ID.sub('/[id]/', path)}", []).append(int(micros) / 1000)
    for page in pages:
        key = page["name"].split(" (", 1)[0]
        values = sorted(times.get(key, []))
        if values:
            page["server_p50_ms"] = values[len(values) // 2]
            page["server_p95_ms"] = values[min(len(values) - 1, int(0.95 * len(values)))]


def judge(pages: list[dict], total: dict, check: dict, exceptions: int) -> list[str]:
    missed = []
    errors = (total.get("failures") or 0) + exceptions
    if errors:
        missed.append(f"{errors} errors (target 0)")
    for page in pages:
        if page["p95_ms"] is not None and page["p95_ms"] > P95_TARGET_MS:
            missed.append(f"{page['name']}: p95 {page['p95_ms']:.0f} ms > {P95_TARGET_MS:.0f} ms")
    p99 = check["submit_to_routed_ms"]["p99"]
    if p99 is None or p99 > ROUTED_P99_TARGET_MS:
        missed.append(f"submit -> routed p99 {p99} ms > {ROUTED_P99_TARGET_MS:.0f} ms")
    for name in ("not_routed", "routed_more_than_once", "routed_events_not_one",
                 "duplicate_assignments", "applications_without_one_assignment"):  # fmt: skip
        if check[name]:
            missed.append(f"{name.replace('_', ' ')}: {check[name]}")
    if not check["submitted"]:
        missed.append("nothing was submitted")
    return missed


def print_report(report: dict) -> None:
    pages, total, check = report["pages"], report["total"], report["check"]
    header = (
        f"{'request':<46} {'count':>6} {'fail':>5} {'req/s':>6} {'p50':>5} {'p95':>5} "
        f"{'p99':>5} {'max':>6} {'srv50':>5} {'srv95':>5}  p95 <= {P95_TARGET_MS:.0f} ms"
    )
    print()
    print(header)
    print("-" * len(header))

    def ms(value: float | None) -> str:
        return f"{value:.0f}" if value is not None else "-"

    for row in [*sorted(pages, key=lambda p: p["name"]), total]:
        verdict = "" if row is total else (
            "PASS" if row["p95_ms"] is not None and row["p95_ms"] <= P95_TARGET_MS else "MISS"
        )  # fmt: skip
        print(
            f"{row['name'][:46]:<46} {row['requests']:>6} {row['failures']:>5} "
            f"{row['rps'] or 0:>6.1f} {ms(row['p50_ms']):>5} {ms(row['p95_ms']):>5} "
            f"{ms(row['p99_ms']):>5} {ms(row['max_ms']):>6} {ms(row.get('server_p50_ms')):>5} "
            f"{ms(row.get('server_p95_ms')):>5}  {verdict}"
        )
    print(
        "Times in ms as locust saw them; srv50/srv95: gunicorn's own time (from a worker taking "
        "the request to its answer), so the difference is the wait for a free worker."
    )
    latency = check["submit_to_routed_ms"]
    print()
    print(
        f"Submitted {check['submitted']:,} applications; submit -> routed p50 {latency['p50']} ms, "
        f"p95 {latency['p95']} ms, p99 {latency['p99']} ms, max {latency['max']} ms "
        f"(target p99 <= {ROUTED_P99_TARGET_MS:.0f} ms)"
    )
    print(
        f"Routed exactly once: {check['routed_once']:,}; not routed {check['not_routed']}, more "
        f"than once {check['routed_more_than_once']}, 'routed' events not one "
        f"{check['routed_events_not_one']}, duplicate assignments "
        f"{check['duplicate_assignments']}, without exactly one assignment "
        f"{check['applications_without_one_assignment']}, needs attention "
        f"{check['needs_attention']}"
    )
    print(
        f"By status: {check['by_status']}; reviews {check['reviews']}, attachments "
        f"{check['attachments']}, emails {check['emails_sent']}/{check['emails']} sent"
    )
    memory = report["memory"]
    workers = ", ".join(f"{m:.0f}" for m in memory["gunicorn"].get("children_mib", []))
    celery = ", ".join(f"{m:.0f}" for m in memory["celery"].get("children_mib", []))
    print(
        f"Peak memory (VmHWM): gunicorn master {memory['gunicorn'].get('master_mib') or 0:.0f} "
        f"MiB, workers {workers} MiB; Celery worker {memory['celery'].get('master_mib') or 0:.0f}"
        f" MiB, its processes {celery} MiB; locust {report['locust']['peak_mib']:.0f} MiB "
        f"(CPU {report['locust']['cpu_pct']:.0f} % of one core)"
    )
    cpu = report["cpu"]
    print(
        f"CPU while loaded: the machine {cpu['machine_busy_pct_of_all_cores']:.0f} % busy "
        f"({os.cpu_count()} cores); in % of one core: gunicorn {cpu['gunicorn_pct']:.0f}, "
        f"Celery {cpu['celery_pct']:.0f}, PostgreSQL (the bench database's backends) "
        f"{cpu['postgres_pct']:.0f}, locust {cpu['locust_pct']:.0f}, everything else (Redis, "
        f"the kernel, other processes) {cpu['everything_else_pct']:.0f}"
    )
    if cpu["everything_else_pct"] > 25:
        print(
            f"WARNING: other processes used {cpu['everything_else_pct']:.0f} % of a core while "
            "loaded: the latencies above are those of a shared machine, not of the portal alone."
        )
    print(f"Errors: {report['errors']} (locust failures {total.get('failures', 0)}, exceptions "
          f"{report['locust']['exceptions']})")  # fmt: skip
    for failure in report["failures"][:10]:
        print(f"  {failure.get('Occurrences')} x {failure.get('Method')} {failure.get('Name')}: "
              f"{failure.get('Error', '')[:200]}")  # fmt: skip
    print()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=100, help="simulated applicants [100]")
    parser.add_argument("--reviewers", type=int, default=10, help="simulated reviewers [10]")
    parser.add_argument("--visitors", type=int, default=20, help="anonymous visitors [20]")
    parser.add_argument("--duration", type=int, default=120, help="seconds of load [120]")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per s [20]")
    parser.add_argument(
        "--think", default="2,5", help="think time between a person's steps, min,max s [2,5]"
    )
    parser.add_argument("--size", type=int, default=1_000, help="applications beforehand [1000]")
    parser.add_argument(
        "--workers", type=int, default=GUNICORN_WORKERS,
        help=f"gunicorn sync workers [{GUNICORN_WORKERS}: the target's setting; more to compare]",
    )  # fmt: skip
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1,
        help="threads per gunicorn worker (gthread) [1: sync workers]",
    )  # fmt: skip
    parser.add_argument("--drain", type=int, default=60, help="s to wait for routing after [60]")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL on 127.0.0.1; the rush uses this name + _rush [%(default)s]",
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_RUSH_BROKER_URL", DEFAULT_BROKER_URL),
        help="a Redis database of its own, flushed (env BENCH_RUSH_BROKER_URL) [%(default)s]",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="JSON results")
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 16:
        parser.error("--workers must be between 1 and 16")
    if not 10 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 10 and {MAX_DURATION} s")
    if not (
        1 <= args.applicants <= 500 and 1 <= args.reviewers <= 100 and 0 <= args.visitors <= 500
    ):
        parser.error("1-500 applicants, 1-100 reviewers, 0-500 visitors")
    try:
        low, high = (float(x) for x in args.think.split(","))
    except ValueError:
        parser.error("--think is min,max in seconds, e.g. 2,5")
    if not 0 <= low <= high <= 60:
        parser.error("--think: 0 <= min <= max <= 60")
    if urlsplit(args.broker_url).path.strip("/") in ("", "0"):
        parser.error("--broker-url must name a Redis database of its own (not 0): it is flushed")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    started = time.monotonic()
    load_before = os.getloadavg()
    database_url = database_url_with_suffix(args.database_url, "_rush")
    server = worker = None
    users = args.applicants + args.reviewers + args.visitors
    try:
        check_loopback(args.broker_url, "The broker URL")
        check_postgres_and_redis(database_url, args.broker_url)
        locust = venv_tool("locust")
        if note := machine_is_busy():
            print(note, flush=True)
        print(
            f"Cut-off rush: {args.applicants} applicants, {args.reviewers} reviewers, "
            f"{args.visitors} visitors for {args.duration} s (think {args.think} s); gunicorn "
            f"{args.workers} "
            f"{worker_kind(args.gunicorn_threads)}"
            ", 1 Celery worker (prefork, 2), broker "
            f"{args.broker_url}, database {database_name(database_url)}",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="portal-rush-") as tmp_name:
            tmp = Path(tmp_name)
            env = bench_environment(database_url, tmp / "static")
            env.update({
                "CELERY_BROKER_URL": args.broker_url,
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "DJANGO_MEDIA_ROOT": str(tmp / "media"),
            })  # fmt: skip
            print("Preparing the database, the data and the people", flush=True)
            prepare_database(env)
            flush_redis_db(args.broker_url)
            people = run_data(
                env, "rush-prepare", "--size", str(args.size),
                "--applicants", str(args.applicants), "--reviewers", str(args.reviewers),
            )  # fmt: skip
            if people["deleted_applications"]:
                print(f"  deleted {people['deleted_applications']:,} applications of an earlier "
                      "rush", flush=True)  # fmt: skip
            people_file = tmp / "people.json"
            people_file.touch(mode=0o600)
            people_file.write_text(json.dumps(people))

            server = Server(
                env,
                tmp / "gunicorn.log",
                workers=args.workers,
                access_log=tmp / "access.log",
                threads=args.gunicorn_threads,
            )
            server.start()
            worker = Worker(env, tmp / "worker.log", hostname="rush@%h")
            worker.start()
            warm_up(server.base_url, people, args.workers)
            print(f"gunicorn on {server.base_url}, worker ready; locust for {args.duration} s",
                  flush=True)  # fmt: skip

            locust_env = {
                **os.environ, "RUSH_PEOPLE": str(people_file), "RUSH_THINK": args.think,
                "RUSH_APPLICANTS": str(args.applicants), "RUSH_REVIEWERS": str(args.reviewers),
                "RUSH_VISITORS": str(args.visitors), "PYTHONUNBUFFERED": "1",
            }  # fmt: skip
            prefix = tmp / "rush"
            # The access log's lines so far are the start-up polls and the warm-up: not the rush.
            before_rush = len((tmp / "access.log").read_text().splitlines())
            cpu_before = (
                machine_cpu(), server.cpu_seconds(), worker.cpu_seconds(),
                postgres_cpu(database_url),
            )  # fmt: skip
            status, output, use = run_measured(
                [
                    locust, "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
                    "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--csv", str(prefix),
                    "--host", server.base_url, "--only-summary", "--loglevel", "WARNING",
                    "--exit-code-on-error", "0",
                ],
                env=locust_env, timeout=args.duration + 90, cwd=ROOT,
            )  # fmt: skip
            cpu_after = (
                machine_cpu(), server.cpu_seconds(), worker.cpu_seconds(),
                postgres_cpu(database_url),
            )  # fmt: skip
            cpu = cpu_use(cpu_before, cpu_after, use)
            if status != 0 or not Path(f"{prefix}_stats.csv").exists():
                raise BenchError(f"locust failed ({status}):\n{output[-3000:]}")
            exceptions = 0
            exceptions_file = Path(f"{prefix}_exceptions.csv")
            if exceptions_file.exists():
                with exceptions_file.open(newline="") as handle:
                    exceptions = sum(int(r.get("Count") or 0) for r in csv.DictReader(handle))
            pages, total, failures = locust_stats(prefix)
            add_server_times(pages, tmp / "access.log", skip=before_rush)
            print(f"Load over; waiting for routing (at most {args.drain} s)", flush=True)
            check = run_data(env, "rush-check", "--wait", str(args.drain))
            memory = {"gunicorn": server.peaks(), "celery": worker.peaks()}
            server_log, worker_log = server.log_tail(), worker.log_tail()
            server.stop()
            worker.stop()
    except BenchError as exc:
        print(f"rush: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rush: interrupted; gunicorn and the worker were stopped.", file=sys.stderr)
        return 130
    finally:
        for process in (server, worker):
            if process is not None:
                process.stop()
        try:
            flush_redis_db(args.broker_url)
        except Exception as exc:
            print(f"rush: could not flush {args.broker_url}: {exc}", file=sys.stderr)

    missed = judge(pages, total, check, exceptions)
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "applicants": args.applicants,
            "reviewers": args.reviewers,
            "visitors": args.visitors,
            "duration_s": args.duration,
            "spawn_rate": args.spawn_rate,
            "think_s": args.think,
            "size": args.size,
            "database": database_name(database_url),
            "broker": args.broker_url,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.gunicorn_threads,
            "celery": "1 worker, prefork, concurrency 2",
            "targets": {
                "errors": 0,
                "p95_ms": P95_TARGET_MS,
                "submit_to_routed_p99_ms": ROUTED_P99_TARGET_MS,
            },
        },
        "pages": pages,
        "total": total,
        "errors": (total.get("failures") or 0) + exceptions,
        "failures": failures,
        "check": check,
        "memory": memory,
        "locust": {
            **use,
            "cpu_pct": round(100 * use["cpu_s"] / use["wall_s"], 1) if use["wall_s"] else 0.0,
            "exceptions": exceptions,
            "output_tail": output[-2000:],
        },
        "cpu": cpu,
        "missed": missed,
        "elapsed_s": round(time.monotonic() - started, 1),
        "server_log_tail": server_log,
        "worker_log_tail": worker_log,
    }
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"Results: {args.output} ({report['elapsed_s']} s)")
    if missed:
        print("Missed: " + "; ".join(missed))
        return 2
    print("Every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
