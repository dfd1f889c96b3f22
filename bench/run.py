"""Page bench of the portal: `make bench` (or `.venv/bin/python bench/run.py --help`).

Serves the portal as in production (gunicorn, 2 sync workers, DEBUG off, PostgreSQL with the
connection pool, the catalogue cache and the sessions in Redis) on a free port of 127.0.0.1, and
measures each page with wrk against a baseline: /bench/baseline/, a constant response through
the full middleware stack. Page and baseline runs alternate (B P1 B P2 ... B P1 B ...), and each
page is compared with the baseline runs right before and after it, so drift of the machine
affects both alike. Absolute req/s differ between machines; the ratio to the baseline is the
figure to compare.

The signed-in lists (an applicant's dashboard and API list, a reviewer's desk and API list, an
approver's site list) are rendered for every request (there is no per-user cache), and are
measured at each `--size`: 1,000 and 100,000 applications in the database by default, each size
in its own database (portal_bench_1k, portal_bench_100k), filled by bench/data.py (top-up: a
second run adds nothing). The measured people see the same rows at both sizes; the rest of the
applications belong to other applicants at other sites. The public catalogue pages are measured
once, at the first size (their answers come from the cache, whatever the size).

Targets: signed-in lists >= 10 % of the baseline at every size, with the same number of SQL
queries at every size (counted in-process by bench/data.py); public catalogue pages >= 70 %.
Prints a table, the peak memory (VmHWM) of every gunicorn process and of wrk, and writes
bench/results/latest.json. Exit status: 0 when every target is met, 2 when one is missed (or a
page answered errors), 1 when the benchmark could not run, 130 when interrupted. Only 127.0.0.1
is contacted; gunicorn is stopped at the end, also on error or Ctrl-C.

This file imports nothing of the portal: it talks HTTP, and bench/data.py does the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from common import (
    CACHE_URL,
    DEFAULT_DATABASE_URL,
    GUNICORN_WORKERS,
    RESULTS_DIR,
    BenchError,
    Server,
    bench_environment,
    check_postgres_and_redis,
    database_name,
    database_url_with_suffix,
    fetch,
    find_wrk,
    git_commit,
    machine_is_busy,
    prepare_database,
    run_data,
    run_measured,
    stop_on_signals,
    worker_kind,
)

RESULTS_FILE = RESULTS_DIR / "latest.json"
BASELINE_PATH = "/bench/baseline/"
DEFAULT_SIZES = (1_000, 100_000)
SIGNED_IN_TARGET = 10.0
PUBLIC_TARGET = 70.0
# Measuring time (wrk runs and warm-ups) the options may plan; setup and a first fill of the
# 100,000 come on top (about 1 minute each size, 2 the first time).
MAX_MEASURING_SECONDS = 420


@dataclass(frozen=True)
class Page:
    """One page to measure against the baseline."""

    path: str
    label: str
    target_pct: float | None
    # Who asks: a bench person of bench/data.py ("applicant", "reviewer", "approver") and the
    # header that signs them in ("Cookie": a session, "Authorization": an API token), or None.
    user: str | None = None
    header: str = ""

    @property
    def signed_in(self) -> bool:
        return self.user is not None


PAGES: list[Page] = [
    Page("/", "home page (public catalogue)", PUBLIC_TARGET),
    Page("/factories/", "factory list (public catalogue)", PUBLIC_TARGET),
    Page("/factories/lumi-aif/", "factory detail (public catalogue)", PUBLIC_TARGET),
    Page("/api/v1/factories/", "API factory list (public catalogue)", PUBLIC_TARGET),
    Page("/applications/", "applicant dashboard (session)", SIGNED_IN_TARGET,
         "applicant", "Cookie"),
    Page("/review/", "reviewer desk (session, TOTP set up)", SIGNED_IN_TARGET,
         "reviewer", "Cookie"),
    Page("/review/site/", "approver's site list (session, TOTP set up)", SIGNED_IN_TARGET,
         "approver", "Cookie"),
    Page("/api/v1/applications/", "API applications of the applicant (token)", SIGNED_IN_TARGET,
         "applicant", "Authorization"),
    Page("/api/v1/assignments/", "API assignments of the reviewer (token)", SIGNED_IN_TARGET,
         "reviewer", "Authorization"),
]  # fmt: skip
PAGE_GROUPS = {
    "all": lambda page: True,
    "public": lambda page: not page.signed_in,
    "signed-in": lambda page: page.signed_in,
}


@dataclass
class Run:
    path: str
    kind: str  # "baseline", "page" or "warmup"
    rps: float
    requests: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    latency_avg: str
    wrk_peak_mib: float


def size_suffix(size: int) -> str:
    """The database of each size: portal_bench_1k, portal_bench_100k, portal_bench_2500, …"""
    if size % 1_000 == 0:
        return f"_{size // 1_000}k"
    return f"_{size}"


# --- wrk ------------------------------------------------------------------------------------------

_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_REQUESTS = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_LATENCY = re.compile(r"Latency\s+(\S+)")


def wrk_run(
    wrk: str, url: str, *, duration: int, threads: int, connections: int, headers: dict[str, str]
) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout=5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    status, out, use = run_measured(command, timeout=duration + 20)
    rps = _RPS.search(out)
    if status != 0 or not rps:
        raise BenchError(f"wrk failed on {url} ({status}):\n{out}")
    socket_errors = _SOCKET.search(out)
    return {
        "rps": float(rps.group(1)),
        "requests": int(m.group(1)) if (m := _REQUESTS.search(out)) else 0,
        "non_2xx_3xx": int(m.group(1)) if (m := _NON_2XX.search(out)) else 0,
        "socket_errors": dict(
            zip(
                ("connect", "read", "write", "timeout"),
                (int(g) for g in socket_errors.groups()) if socket_errors else (0, 0, 0, 0),
                strict=True,
            )
        ),
        "latency_avg": m.group(1) if (m := _LATENCY.search(out)) else "?",
        "wrk_peak_mib": use["peak_mib"],
    }


# --- Benchmark ------------------------------------------------------------------------------------


def rows_shown(content_type: str, body: bytes) -> int | None:
    """Rows of the list: API `results`, or the HTML table's row headers."""
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return len(data["results"]) if isinstance(data, dict) and "results" in data else None
    return body.count(b'<th scope="row"')


def preflight(base_url: str, path: str, headers: dict[str, str]) -> dict:
    """One request before measuring: the page must answer 200 (else the figures mean nothing)."""
    status, response_headers, body = fetch(base_url + path, headers)
    if status != 200:
        raise BenchError(
            f"{path} answered {status}, not 200:\n{body[:500].decode(errors='replace')}"
        )
    lowered = {k.lower(): v for k, v in response_headers.items()}
    content_type = lowered.get("content-type", "")
    return {
        "bytes": len(body),
        "content_type": content_type,
        "rows": rows_shown(content_type, body),
        "sets_cookie": "set-cookie" in lowered,
    }


def plan_seconds(page_runs: int, rounds: int, duration: int, warmup: int, sizes: int) -> int:
    """`page_runs`: pages measured, summed over the sizes."""
    measuring = (2 * rounds * page_runs + sizes) * duration
    return measuring + (page_runs + sizes) * warmup


def measure_size(
    args: argparse.Namespace, wrk: str, server: Server, pages: list[Page], users: dict
) -> dict:
    """Every page of one size, alternating with the baseline."""
    headers = {p.path: ({p.header: users[p.user][p.header]} if p.signed_in else {}) for p in pages}
    checks = {BASELINE_PATH: preflight(server.base_url, BASELINE_PATH, {})}
    for page in pages:
        checks[page.path] = preflight(server.base_url, page.path, headers[page.path])

    def run(path: str, kind: str, duration: int) -> Run:
        figures = wrk_run(
            wrk, server.base_url + path, duration=duration, threads=args.threads,
            connections=args.connections, headers=headers.get(path, {}),
        )  # fmt: skip
        return Run(path=path, kind=kind, **figures)

    warmups = []
    if args.warmup:
        print(f"  warm-up: {args.warmup} s per path", flush=True)
        for path in [BASELINE_PATH, *headers]:
            warmups.append(run(path, "warmup", args.warmup))

    # B P1 B P2 ... Pn B P1 B ...: every page run has a baseline run on each side.
    sequence: list[Run] = []
    for round_no in range(1, args.rounds + 1):
        print(f"  round {round_no}/{args.rounds}", flush=True)
        for page in pages:
            if not sequence:
                sequence.append(run(BASELINE_PATH, "baseline", args.duration))
            sequence.append(run(page.path, "page", args.duration))
            sequence.append(run(BASELINE_PATH, "baseline", args.duration))
            print(
                f"    {page.path:<24} {sequence[-2].rps:9.1f} req/s   "
                f"(baseline {sequence[-3].rps:.1f} / {sequence[-1].rps:.1f})",
                flush=True,
            )

    rows = []
    for page in pages:
        page_runs, adjacent = [], []
        for index, item in enumerate(sequence):
            if item.kind == "page" and item.path == page.path:
                page_runs.append(item)
                adjacent += [sequence[index - 1], sequence[index + 1]]
        rps = statistics.median(r.rps for r in page_runs)
        baseline = statistics.median(r.rps for r in adjacent)
        rows.append(
            {
                "path": page.path,
                "label": page.label,
                "signed_in": page.signed_in,
                "rps_median": round(rps, 1),
                "baseline_rps_median": round(baseline, 1),
                "ratio_pct": round(100 * rps / baseline if baseline else 0.0, 1),
                "target_pct": page.target_pct,
                "non_2xx_3xx": sum(r.non_2xx_3xx for r in page_runs),
                "socket_errors": sum(sum(r.socket_errors.values()) for r in page_runs),
                "rps_runs": [r.rps for r in page_runs],
                "baseline_rps_runs": [r.rps for r in adjacent],
                "response": checks[page.path],
            }
        )
    baselines = [r for r in sequence if r.kind == "baseline"]
    return {
        "baseline": {
            "path": BASELINE_PATH,
            "rps_median": round(statistics.median(r.rps for r in baselines), 1),
            "rps_runs": [r.rps for r in baselines],
            "non_2xx_3xx": sum(r.non_2xx_3xx for r in baselines),
        },
        "pages": rows,
        "wrk_peak_mib": max(r.wrk_peak_mib for r in [*sequence, *warmups]),
        "runs": [asdict(r) for r in sequence],
    }


def bench_size(args: argparse.Namespace, wrk: str, size: int, pages: list[Page], tmp: Path) -> dict:
    database_url = database_url_with_suffix(args.database_url, size_suffix(size))
    env = bench_environment(database_url, tmp / "static")
    print(f"Size {size:,}: database {database_name(database_url)}", flush=True)
    clock = time.monotonic()
    prepare_database(env)
    probes = []
    for page in pages:
        probes += ["--probe", page.path, page.user or "anonymous", page.header or "Cookie"]
    data = run_data(env, "pages", "--size", str(size), *probes)
    print(
        f"  data ready in {time.monotonic() - clock:.0f} s ({data['fill']['added']:,} "
        f"applications added, {data['fill']['seconds']:.0f} s)",
        flush=True,
    )
    server = Server(env, tmp / f"gunicorn-{size}.log", threads=args.gunicorn_threads)
    try:
        server.start()
        print(f"  gunicorn on {server.base_url}", flush=True)
        result = measure_size(args, wrk, server, pages, data["users"])
        result["gunicorn_peak"] = server.peaks()
        log = server.log_tail()
    finally:
        server.stop()
    for row in result["pages"]:
        probe = data["probes"][row["path"]]
        for name in ("queries", "queries_first", "request_ms", "sql_ms", "sql"):
            row[name] = probe[name]
    return {
        "size": size,
        "database": database_name(database_url),
        "data": data["counts"],
        "fill": data["fill"],
        **result,
        **({"server_log_tail": log} if log.strip() else {}),
    }


def judge(sizes: list[dict]) -> list[str]:
    """Sets each row's result; returns what missed its target."""
    failed = []
    queries: dict[str, set[int]] = {}
    for measured in sizes:
        for row in measured["pages"]:
            if row["signed_in"]:
                queries.setdefault(row["path"], set()).add(row["queries"])
    for measured in sizes:
        for row in measured["pages"]:
            if row["non_2xx_3xx"] or row["socket_errors"]:
                row["result"] = "ERROR"
            elif row["target_pct"] is None:
                row["result"] = "-"
            elif row["ratio_pct"] < row["target_pct"]:
                row["result"] = "BELOW"
            elif len(queries.get(row["path"], ())) > 1:
                row["result"] = "QUERIES"  # a different number of queries at another size
            else:
                row["result"] = "PASS"
            if row["result"] not in ("PASS", "-"):
                failed.append(f"{row['path']} at {measured['size']:,} ({row['result']})")
    return failed


def print_tables(sizes: list[dict]) -> None:
    header = (
        f"{'size':>7}  {'path':<22} {'req/s':>8} {'baseline':>9} {'ratio':>8} {'target':>8} "
        f"{'queries':>7} {'SQL ms':>6} {'ms':>5} {'rows':>5} {'KiB':>5}  result"
    )
    print()
    print(header)
    print("-" * len(header))
    for measured in sizes:
        base = measured["baseline"]
        print(f"{measured['size']:>7,}  {base['path']:<22} {base['rps_median']:>8.1f}")
        for row in measured["pages"]:
            target = f">= {row['target_pct']:g} %" if row["target_pct"] is not None else ""
            rows = row["response"]["rows"]
            print(
                f"{measured['size']:>7,}  {row['path']:<22} {row['rps_median']:>8.1f} "
                f"{row['baseline_rps_median']:>9.1f} {row['ratio_pct']:>6.1f} % {target:>8} "
                f"{row['queries']:>7} {row['sql_ms']:>6.1f} {row['request_ms']:>5.1f} "
                f"{rows if rows is not None else '-':>5} "
                f"{row['response']['bytes'] / 1024:>5.1f}  {row['result']}"
            )
    print(
        "queries, SQL ms, ms: one request of the page in-process (bench/data.py: "
        "django.test.Client, the server's settings): its SQL queries, their time, the whole "
        "request. rows: rows of the list shown; KiB: the answer's size."
    )
    print()
    for measured in sizes:
        counts = measured["data"]
        print(
            f"{measured['size']:>7,}: {counts['applications_in_database']:,} applications, "
            f"{counts['assignments_in_database']:,} assignments, "
            f"{counts['events_in_database']:,} events, {counts['users_in_database']:,} users in "
            f"{measured['database']}; the applicant has {counts['applicant_applications']}, "
            f"the reviewer {counts['reviewer_open_assignments']} open assignments, the approver's "
            f"site {counts['approver_site_applications']} non-draft applications."
        )
    print()
    print("Peak memory (VmHWM; wrk: ru_maxrss of its largest run)")
    for measured in sizes:
        peak = measured.get("gunicorn_peak") or {}
        workers = ", ".join(f"{m:.0f}" for m in peak.get("children_mib", [])) or "?"
        print(
            f"{measured['size']:>7,}: gunicorn master {peak.get('master_mib') or 0:.0f} MiB, "
            f"workers {workers} MiB; wrk {measured['wrk_peak_mib']:.0f} MiB"
        )
    print()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, action="append", dest="sizes", metavar="N",
        help="applications in the database (repeat for several; default 1000 and 100000)",
    )  # fmt: skip
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run [4]")
    parser.add_argument("--rounds", type=int, default=2, help="runs per page [2]")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections [8]")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds per path [1]")
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1,
        help="threads per gunicorn worker (gthread) [1: sync workers]",
    )  # fmt: skip
    parser.add_argument(
        "--pages", choices=sorted(PAGE_GROUPS), default="all",
        help="which pages: the public (cached) ones, the signed-in ones, or all [all]",
    )  # fmt: skip
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL on 127.0.0.1 (env BENCH_DATABASE_URL); each size uses this name with "
        "a suffix (_1k, _100k) [%(default)s]",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS_FILE, help="JSON results [bench/results/latest.json]"
    )
    args = parser.parse_args(argv)
    args.sizes = sorted(set(args.sizes or DEFAULT_SIZES))
    if any(not 200 <= size <= 1_000_000 for size in args.sizes):
        parser.error("--size must be between 200 and 1000000")
    if args.duration < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--duration and --rounds must be at least 1, --warmup at least 0")
    if args.connections < args.threads or args.threads < 1:
        parser.error("--connections must be at least --threads (at least 1)")
    chosen = [page for page in PAGES if PAGE_GROUPS[args.pages](page)]
    # Signed-in lists at every size; the public pages (cache hits) at the first.
    args.plan = [
        (size, [p for p in chosen if p.signed_in or size == args.sizes[0]]) for size in args.sizes
    ]
    args.plan = [(size, pages) for size, pages in args.plan if pages]
    page_runs = sum(len(pages) for _, pages in args.plan)
    planned = plan_seconds(page_runs, args.rounds, args.duration, args.warmup, len(args.plan))
    if planned > MAX_MEASURING_SECONDS:
        parser.error(
            f"{args.rounds} rounds of {args.duration} s for {page_runs} page runs and their "
            f"baselines take {planned} s of measuring; keep it under {MAX_MEASURING_SECONDS} s "
            "(lower --duration or --rounds)."
        )
    args.planned = planned
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    started = time.monotonic()
    load = os.getloadavg()
    try:
        wrk = find_wrk()
        check_postgres_and_redis(args.database_url, CACHE_URL)
        if note := machine_is_busy():
            print(note, flush=True)
        print(
            f"Page bench: sizes {', '.join(f'{s:,}' for s in args.sizes)}; "
            f"{args.rounds} rounds x {args.duration} s per page, wrk -t{args.threads} "
            f"-c{args.connections}, gunicorn {GUNICORN_WORKERS} "
            f"{worker_kind(args.gunicorn_threads)}; about "
            f"{args.planned + 40 * len(args.plan)} s, more for a first fill.",
            flush=True,
        )
        sizes = []
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
            for size, pages in args.plan:
                sizes.append(bench_size(args, wrk, size, pages, Path(tmp)))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; gunicorn stopped.", file=sys.stderr)
        return 130

    failed = judge(sizes)
    print_tables(sizes)
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": [round(x, 2) for x in load],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "sizes": args.sizes,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "wrk_threads": args.threads,
            "wrk_connections": args.connections,
            "gunicorn_workers": GUNICORN_WORKERS,
            "gunicorn_threads": args.gunicorn_threads,
            "cache": CACHE_URL,
            "targets_pct": {"signed_in": SIGNED_IN_TARGET, "public": PUBLIC_TARGET},
        },
        "elapsed_s": round(time.monotonic() - started, 1),
        "sizes": sizes,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results: {args.output} ({report['elapsed_s']} s)")
    if failed:
        print(f"Below target or failing: {'; '.join(failed)}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
