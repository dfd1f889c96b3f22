"""Routing benchmark: `make bench` (after the page bench) or `.venv/bin/python bench/routing.py`.

A backlog of submitted applications (10,000 by default; `--count` for a quick try) is routed by ONE
Celery worker, as in production: PostgreSQL (the bench database, BENCH_DATABASE_URL as for
bench/run.py) and a dedicated Redis database as the broker (redis://127.0.0.1:6379/3, flushed
before and after; no other database of that Redis is touched).

1. Prepares the database (ensure_database, migrate, load_reference_data) and, in this process
   through bench/data.py (the bench's one module that imports the portal), the bench data:
   `--reviewers` technical reviewers at lumi-aif with room for every assignment, 100 applicants
   with their organisations, and the backlog: fast-lane applications on lumi, status submitted,
   written with bulk_create. Applications of an earlier run are deleted first.
2. Enqueues `route_application` for each (what `application_submit` does on commit), then starts
   the worker (`celery -A portal worker --concurrency=2`, one process per core, prefork by
   default; mail to Django's locmem backend: no SMTP) and waits until it is ready.
3. Measures from "ready" until no application of the backlog is still submitted (routed/s), then
   until every notification email routing enqueued is sent (send_notification tasks, queued
   behind the routing tasks on the same worker: total time).
4. Checks the result in the database: no duplicate assignment (application, reviewer), no
   application with more open assignments than its access mode needs, none left unrouted.
5. Stops the worker (also on error or Ctrl-C), flushes the broker database, deletes the backlog
   (unless --keep), prints a table and writes bench/results/routing.json.

Exit status: 0 when the target (>= 200 applications/s routed) and the checks hold, 2 when below
the target or a check fails, 1 when the benchmark could not run, 130 when interrupted. Only
127.0.0.1 is contacted. The measuring part is bounded by --timeout; the whole run stays under
five minutes with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import (
    ROOT,
    BenchError,
    Worker,
    bench_environment,
    check_loopback,
    check_service,
    flush_redis_db,
    git_commit,
    manage,
    stop_on_signals,
)

RESULTS_FILE = ROOT / "bench" / "results" / "routing.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/3"
TARGET_PER_SECOND = 200.0
POLL_SECONDS = 0.25


# --- Django in this process ----------------------------------------------------------------------


def setup_django(env: dict[str, str]):
    """Configure this process like the worker (same database, broker, settings), set Django up,
    and return bench/data.py: the bench's one module that imports the portal."""
    for name in list(os.environ):
        if name.endswith("_FILE") and name[: -len("_FILE")] in env:
            os.environ.pop(name)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import data  # sets Django up

    return data


# --- The benchmark -------------------------------------------------------------------------------


def measure(args: argparse.Namespace, worker: Worker, data, first_id: int, last_id: int) -> dict:
    startup = worker.start()
    print(
        f"Worker ready in {startup:.1f} s ({args.pool}, concurrency {args.concurrency}); routing",
        flush=True,
    )
    ready = time.monotonic()
    deadline = ready + args.timeout
    routed_at = emails_at = None
    sent_when_routed = 0
    last_report = ready
    state = data.routing_progress(first_id, last_id)
    while time.monotonic() < deadline:
        state = data.routing_progress(first_id, last_id)
        now = time.monotonic()
        if routed_at is None and state["submitted"] == 0:
            routed_at = now
            sent_when_routed = state["emails_sent"]
            print(
                f"  all {args.count:,} routed in {routed_at - ready:.1f} s; "
                f"{state['emails_sent']:,}/{state['emails']:,} emails sent",
                flush=True,
            )
        if routed_at is not None and state["emails_sent"] == state["emails"]:
            emails_at = now
            break
        if not worker.alive():
            raise BenchError(f"the worker died:\n{worker.log_tail()}")
        if now - last_report >= 10:
            last_report = now
            print(
                f"  {now - ready:5.0f} s: {args.count - state['submitted']:,}/{args.count:,} "
                f"routed, {state['emails_sent']:,}/{state['emails']:,} emails sent",
                flush=True,
            )
        time.sleep(POLL_SECONDS)
    end = time.monotonic()
    routed = args.count - state["submitted"]
    routing_s = (routed_at or end) - ready
    total_s = (emails_at or end) - ready
    return {
        "worker_startup_s": round(startup, 2),
        "finished": routed_at is not None and emails_at is not None,
        "timed_out": emails_at is None,
        "routed": routed,
        "under_review": state["under_review"],
        "needs_attention": state["needs_attention"],
        "still_submitted": state["submitted"],
        "routing_s": round(routing_s, 2),
        "routed_per_s": round(routed / routing_s, 1) if routing_s > 0 else 0.0,
        "emails": state["emails"],
        "emails_sent": state["emails_sent"],
        "emails_after_routing_s": round(total_s - routing_s, 2) if routed_at else None,
        "emails_sent_while_routing": sent_when_routed if routed_at else state["emails_sent"],
        "emails_per_s_after_routing": round(
            (state["emails_sent"] - sent_when_routed) / (total_s - routing_s), 1
        )
        if routed_at and total_s > routing_s
        else None,
        "total_s": round(total_s, 2),
        "applications_per_s_incl_emails": round(routed / total_s, 1) if total_s > 0 else 0.0,
    }


def print_table(args: argparse.Namespace, result: dict, check: dict) -> None:
    def row(name: str, value: str, target: str = "", verdict: str = "") -> None:
        print(f"{name:<44} {value:>12} {target:>10}  {verdict}")

    print()
    row("routing benchmark", "value", "target", "result")
    print("-" * 76)
    row("applications in the backlog", f"{args.count:,}")
    row("reviewers (technical, lumi-aif)", f"{args.reviewers}")
    row("enqueue route_application (bench process)", f"{result['enqueue_s']:.1f} s")
    row("worker start-up", f"{result['worker_startup_s']:.1f} s")
    row("routed (submitted -> under review)", f"{result['routed']:,}")
    if result["timed_out"]:
        row("NOT FINISHED: stopped at --timeout", f"{args.timeout} s")
    unfinished = ">" if result["routed"] != args.count else ""
    row("routing time (from worker ready)", f"{unfinished}{result['routing_s']:.1f} s")
    verdict = "PASS"
    if result["routed_per_s"] < TARGET_PER_SECOND or result["routed"] != args.count:
        verdict = "BELOW"
    row("routed/s", f"{result['routed_per_s']:.1f}", f">= {TARGET_PER_SECOND:g}", verdict)
    span = check["routing_records_span_s"]
    if span:
        row(
            "routed/s (first to last routing record)",
            f"{check['routing_records'] / span:.1f}" if span else "-",
        )
    row("needs attention (not staffed)", f"{result['needs_attention']:,}", "0",
        "PASS" if result["needs_attention"] == 0 else "FAIL")  # fmt: skip
    row("notification emails (send_notification)", f"{result['emails']:,}")
    row("emails sent", f"{result['emails_sent']:,}")
    row("emails sent while routing", f"{result['emails_sent_while_routing']:,}")
    if result["emails_after_routing_s"] is not None:
        row("emails: time after routing", f"{result['emails_after_routing_s']:.1f} s")
    if result["emails_per_s_after_routing"]:
        row("emails/s (after routing)", f"{result['emails_per_s_after_routing']:.1f}")
    unfinished = ">" if result["timed_out"] else ""
    row("total time incl. emails", f"{unfinished}{result['total_s']:.1f} s")
    row(
        "applications/s incl. emails",
        f"{'<' if unfinished else ''}{result['applications_per_s_incl_emails']:.1f}",
    )
    row("duplicate assignments", f"{check['duplicate_assignments']}", "0",
        "PASS" if check["duplicate_assignments"] == 0 else "FAIL")  # fmt: skip
    row("apps with more open assignments than needed", f"{check['over_staffed_applications']}",
        "0", "PASS" if check["over_staffed_applications"] == 0 else "FAIL")  # fmt: skip
    row("apps routed more than once", f"{check['applications_routed_twice']}")
    if result.get("worker_peak_mib"):
        row("worker peak memory (largest process, VmHWM)", f"{result['worker_peak_mib']} MiB")
    if check["assignments_per_reviewer_min_max"]:
        low, high = check["assignments_per_reviewer_min_max"]
        row("assignments per reviewer (min-max)", f"{low}-{high}")
    print()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="backlog size [10000]")
    parser.add_argument("--reviewers", type=int, default=20, help="technical reviewers [20]")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="processes of the one worker (prefork) [2: one per core of these machines]",
    )
    parser.add_argument(
        "--pool", choices=["prefork", "solo"], default="prefork", help="worker pool [prefork]"
    )
    parser.add_argument(
        "--timeout", type=int, default=180, help="seconds of routing and emails at most [180]"
    )
    parser.add_argument("--keep", action="store_true", help="keep the backlog in the database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL on 127.0.0.1 (env BENCH_DATABASE_URL) [%(default)s]",
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL),
        help="a Redis database of its own on 127.0.0.1, flushed (env BENCH_BROKER_URL) "
        "[%(default)s]",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="JSON results")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 50_000:
        parser.error("--count must be between 1 and 50000")
    if not 1 <= args.reviewers <= 500:
        parser.error("--reviewers must be between 1 and 500")
    if not 10 <= args.timeout <= 240:
        parser.error("--timeout must be between 10 and 240 seconds (the run stays under 5 min)")
    if urlsplit(args.broker_url).path.strip("/") in ("", "0"):
        parser.error("--broker-url must name a Redis database of its own (not 0): it is flushed")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    started = time.monotonic()
    worker: Worker | None = None
    django_ready = False
    load_before = os.getloadavg()
    try:
        db_host, db_port = check_loopback(args.database_url, "The database URL")
        redis_host, redis_port = check_loopback(args.broker_url, "The broker URL")
        check_service(db_host, db_port, "PostgreSQL", "Start it (see .ci/run).")
        check_service(redis_host, redis_port, "Redis", "Start it (see .ci/run).")
        if load_before[0] > 0.5 * (os.cpu_count() or 1):
            print(
                f"Note: the machine is busy (load {load_before[0]:.1f} on {os.cpu_count()} "
                "CPUs): routing shares the CPUs with it, figures will be low.",
                flush=True,
            )
        print(
            f"Routing benchmark: {args.count:,} applications, {args.reviewers} reviewers, "
            f"1 worker ({args.pool}, concurrency {args.concurrency}); broker {args.broker_url}",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="portal-routing-bench-") as tmp:
            env = bench_environment(args.database_url, Path(tmp) / "static")
            env["CELERY_BROKER_URL"] = args.broker_url
            env["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
            env["DJANGO_LOG_LEVEL"] = "WARNING"
            print("Preparing the database", flush=True)
            manage(env, "ensure_database", timeout=30)
            manage(env, "migrate", "--noinput", timeout=120)
            manage(env, "load_reference_data", timeout=60)
            data = setup_django(env)
            if not data.routing_lock():
                raise BenchError(
                    "another routing benchmark runs on this database (advisory lock held): "
                    "wait for it."
                )
            django_ready = True
            flush_redis_db(args.broker_url)
            removed = data.routing_delete_backlog()
            if removed:
                print(f"Deleted {removed:,} applications of an earlier run", flush=True)
            clock = time.monotonic()
            first_id, last_id = data.routing_prepare(args.count, args.reviewers)
            print(
                f"Backlog of {args.count:,} submitted applications written in "
                f"{time.monotonic() - clock:.1f} s",
                flush=True,
            )
            clock = time.monotonic()
            data.routing_enqueue(first_id, last_id)
            enqueue_s = time.monotonic() - clock
            print(f"{args.count:,} route_application tasks enqueued in {enqueue_s:.1f} s")

            worker = Worker(
                env,
                Path(tmp) / "worker.log",
                pool=args.pool,
                concurrency=args.concurrency,
                hostname="routing-bench@%h",
            )
            result = measure(args, worker, data, first_id, last_id)
            result["enqueue_s"] = round(enqueue_s, 2)
            worker_log = worker.log_tail()
            result["worker_peak_mib"] = worker.peak_memory_mib()
            worker.stop()
            check = data.routing_checks(first_id, last_id)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; the worker was stopped.", file=sys.stderr)
        return 130
    finally:
        if worker is not None:
            worker.stop()
        try:
            flush_redis_db(args.broker_url)
        except Exception as exc:
            print(f"bench: could not flush {args.broker_url}: {exc}", file=sys.stderr)
        if django_ready and not args.keep:
            try:
                data.routing_delete_backlog()
            except Exception as exc:
                print(f"bench: could not delete the backlog: {exc}", file=sys.stderr)

    print_table(args, result, check)
    load_after = os.getloadavg()
    print(
        "Load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f} ({} CPUs)".format(
            *load_before, *load_after, os.cpu_count()
        )
    )
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
        },
        "settings": {
            "count": args.count,
            "reviewers": args.reviewers,
            "pool": args.pool,
            "concurrency": args.concurrency,
            "timeout_s": args.timeout,
            "database": urlsplit(args.database_url).path.lstrip("/"),
            "broker": args.broker_url,
            "target_routed_per_s": TARGET_PER_SECOND,
        },
        "elapsed_s": round(time.monotonic() - started, 1),
        "result": result,
        "checks": check,
        "worker_log_tail": worker_log,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"Results: {args.output} ({report['elapsed_s']} s)")
    failed = (
        result["routed_per_s"] < TARGET_PER_SECOND
        or result["routed"] != args.count
        or result["needs_attention"]
        or check["duplicate_assignments"]
        or check["over_staffed_applications"]
    )
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
