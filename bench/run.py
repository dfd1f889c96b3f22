"""Load benchmark of the portal: `make bench` (or `.venv/bin/python bench/run.py --help`).

Serves the portal as in production (gunicorn, 2 sync workers, DEBUG off, PostgreSQL with the
connection pool, the catalogue cache in Redis) on a free port of 127.0.0.1, then measures each page
with wrk against a baseline: /bench/baseline/, a constant response through the full middleware
stack. Page and baseline runs alternate (B P1 B P2 ... B P1 B ...), and each page is compared with
the baseline runs right before and after it, so drift of the machine affects both alike. Absolute
req/s differ between machines; the ratio to the baseline is the figure to compare.

Prints a table and writes bench/results/latest.json. Exit status: 0 when every page meets its
target, 2 when one is below its target or answered errors, 1 when the benchmark could not run.
Only 127.0.0.1 is contacted; gunicorn is stopped at the end, also on error or Ctrl-C.

The signed-in pages (an applicant's dashboard and API list, a reviewer's desk and API list) use
bench data made by bench/page_data.py before measuring: a session cookie for the HTML pages and an
API token for the API (see bench/README.md).

To measure another page, add a `Page` to PAGES. Pages that need a signed-in user can pass request
headers (a session cookie) through `Page.headers`, or compute them once the server runs with
`Page.prepare` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS_FILE = ROOT / "bench" / "results" / "latest.json"

HOST = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost"}
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
CACHE_URL = "redis://127.0.0.1:6379/2"
GUNICORN_WORKERS = 2
BASELINE_PATH = "/bench/baseline/"
# Measuring time (runs and warm-up) the options may plan; setup comes on top (about 20 s): the
# whole run stays under four minutes.
MAX_MEASURING_SECONDS = 210
PAGE_DATA_SCRIPT = ROOT / "bench" / "page_data.py"


@dataclass(frozen=True)
class Page:
    """One page to measure against the baseline."""

    path: str
    label: str
    # Minimum req/s as a percentage of the baseline; None: measured, no target.
    target_pct: float | None = 50.0
    # Extra request headers sent by wrk and by the pre-flight check (e.g. {"Cookie": "..."}).
    headers: dict[str, str] = field(default_factory=dict)
    # Called once the server answers, with its base URL and environment; returns more headers
    # (e.g. a session cookie for an authenticated page).
    prepare: Callable[[str, dict[str, str]], dict[str, str]] | None = None


# --- Signed-in pages ------------------------------------------------------------------------------

# What bench/page_data.py printed: request headers per bench user, and the sizes of the bench data.
_PAGE_DATA: dict[str, dict] = {}


def page_data(env: dict[str, str]) -> dict[str, dict]:
    """Create the bench users and their data (idempotent) once per run; their headers."""
    if not _PAGE_DATA:
        result = subprocess.run(
            [venv_tool("python"), str(PAGE_DATA_SCRIPT)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            raise BenchError(
                f"bench/page_data.py failed ({result.returncode}):\n"
                f"{(result.stdout + result.stderr).strip()[-3000:]}"
            )
        _PAGE_DATA.update(json.loads(lines[-1]))
    return _PAGE_DATA


def signed_in(user: str, header: str) -> Callable[[str, dict[str, str]], dict[str, str]]:
    """A `Page.prepare` sending one bench user's `Cookie` (session) or `Authorization` (token)."""

    def prepare(base_url: str, env: dict[str, str]) -> dict[str, str]:
        return {header: page_data(env)[user][header]}

    return prepare


SIGNED_IN_TARGET = 20.0

PAGES: list[Page] = [
    Page("/", "home page (public catalogue)"),
    Page("/factories/", "factory list (public catalogue)"),
    Page("/factories/lumi-aif/", "factory detail (public catalogue)"),
    Page("/api/v1/factories/", "API factory list (public catalogue)"),
    Page(
        "/applications/",
        "applicant dashboard, 50 applications (session)",
        SIGNED_IN_TARGET,
        prepare=signed_in("applicant", "Cookie"),
    ),
    Page(
        "/review/",
        "reviewer desk, 50 open assignments (session, TOTP set up)",
        SIGNED_IN_TARGET,
        prepare=signed_in("reviewer", "Cookie"),
    ),
    Page(
        "/api/v1/applications/",
        "API applications of the applicant, first page (token)",
        SIGNED_IN_TARGET,
        prepare=signed_in("applicant", "Authorization"),
    ),
    Page(
        "/api/v1/assignments/",
        "API assignments of the reviewer, first page (token)",
        SIGNED_IN_TARGET,
        prepare=signed_in("reviewer", "Authorization"),
    ),
]
PAGE_GROUPS = {
    "all": lambda page: True,
    "public": lambda page: page.prepare is None,
    "signed-in": lambda page: page.prepare is not None,
}


@dataclass
class Run:
    path: str
    kind: str  # "baseline" or "page"
    rps: float
    requests: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    latency_avg: str


class BenchError(Exception):
    """The benchmark cannot run; the message says why and what to do."""


# --- Setup ----------------------------------------------------------------------------------------


def find_wrk() -> str:
    wrk = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not wrk:
        raise BenchError(
            "wrk is not installed. On Debian/Ubuntu: `sudo apt-get install -y wrk` "
            "(https://github.com/wg/wrk for other systems)."
        )
    return wrk


def venv_tool(name: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name} not found in {VENV_BIN}: run `make venv` first.")
    return found


def check_loopback(url: str, what: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_NAMES:
        raise BenchError(f"{what} {url!r} is not on 127.0.0.1: the benchmark only talks to it.")
    return HOST, parts.port or {"redis": 6379}.get(parts.scheme, 5432)


def check_service(host: str, port: int, name: str, hint: str) -> None:
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        raise BenchError(f"{name} does not answer on {host}:{port} ({exc}). {hint}") from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def bench_environment(database_url: str, static_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    overrides = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "CACHE_URL": CACHE_URL,
        "PORTAL_BENCH": "true",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    # settings.env_str() prefers <NAME>_FILE: drop those so the values above are the ones used.
    for name in overrides:
        env.pop(f"{name}_FILE", None)
    # No broker: tasks (none on these pages) run in-process. Not the test settings either.
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_URL_FILE", "DJANGO_TESTING"):
        env.pop(name, None)
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> None:
    command = [venv_tool("python"), str(ROOT / "manage.py"), *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise BenchError(
            f"`manage.py {' '.join(args)}` failed ({result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-3000:]}"
        )


# --- Server ---------------------------------------------------------------------------------------


def _gunicorn_has_control_socket() -> bool:
    """gunicorn >= 24 opens a control socket by default; older versions lack the option."""
    result = subprocess.run(
        [venv_tool("gunicorn"), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    return "--no-control-socket" in result.stdout


class Server:
    """gunicorn in its own process group, stopped (the whole group) by stop()."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    def start(self, timeout: float = 30) -> None:
        command = [
            venv_tool("gunicorn"),
            "portal.wsgi",
            f"--workers={GUNICORN_WORKERS}",
            "--worker-class=sync",
            f"--bind={HOST}:{self.port}",
            "--log-level=warning",
            "--graceful-timeout=5",
        ]
        if _gunicorn_has_control_socket():
            command.append("--no-control-socket")  # else it opens ~/.gunicorn/gunicorn.ctl
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                status, _, _ = fetch(self.base_url + "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(
            f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to report, not to follow


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


# --- wrk ------------------------------------------------------------------------------------------

_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_REQUESTS = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_LATENCY = re.compile(r"Latency\s+(\S+)")


def wrk_run(
    wrk: str,
    url: str,
    *,
    duration: int,
    threads: int,
    connections: int,
    headers: dict[str, str],
) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout=5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 20, check=False
    )
    out = result.stdout
    rps = _RPS.search(out)
    if result.returncode != 0 or not rps:
        raise BenchError(f"wrk failed on {url} ({result.returncode}):\n{out}{result.stderr}")
    socket_errors = _SOCKET.search(out)
    return {
        "rps": float(rps.group(1)),
        "requests": int(_REQUESTS.search(out).group(1)) if _REQUESTS.search(out) else 0,
        "non_2xx_3xx": int(m.group(1)) if (m := _NON_2XX.search(out)) else 0,
        "socket_errors": dict(
            zip(
                ("connect", "read", "write", "timeout"),
                (int(g) for g in socket_errors.groups()) if socket_errors else (0, 0, 0, 0),
                strict=True,
            )
        ),
        "latency_avg": m.group(1) if (m := _LATENCY.search(out)) else "?",
    }


# --- Benchmark ------------------------------------------------------------------------------------


def preflight(base_url: str, path: str, headers: dict[str, str]) -> dict:
    """One request before measuring: the page must answer 200 (else the figures mean nothing)."""
    status, response_headers, body = fetch(base_url + path, headers)
    if status != 200:
        raise BenchError(
            f"{path} answered {status}, not 200:\n{body[:500].decode(errors='replace')}"
        )
    lowered = {k.lower(): v for k, v in response_headers.items()}
    return {
        "bytes": len(body),
        "content_type": lowered.get("content-type", ""),
        "sets_cookie": "set-cookie" in lowered,
    }


def plan_seconds(pages: int, rounds: int, duration: int, warmup: int) -> int:
    measuring = (rounds * pages + rounds * pages + 1) * duration
    return measuring + (pages + 1) * warmup


def measure(args: argparse.Namespace, wrk: str, server: Server, pages: list[Page]) -> dict:
    headers = {}
    for page in pages:
        extra = dict(page.headers)
        if page.prepare is not None:
            extra |= page.prepare(server.base_url, server.env)
        headers[page.path] = extra

    checks = {BASELINE_PATH: preflight(server.base_url, BASELINE_PATH, {})}
    for page in pages:
        checks[page.path] = preflight(server.base_url, page.path, headers[page.path])

    def run(path: str, kind: str, duration: int) -> Run:
        figures = wrk_run(
            wrk,
            server.base_url + path,
            duration=duration,
            threads=args.threads,
            connections=args.connections,
            headers=headers.get(path, {}),
        )
        return Run(path=path, kind=kind, **figures)

    if args.warmup:
        print(f"Warm-up: {args.warmup} s per path", flush=True)
        for path in [BASELINE_PATH, *headers]:
            run(path, "warmup", args.warmup)

    # B P1 B P2 ... Pn B P1 B ...: every page run has a baseline run on each side.
    sequence: list[Run] = []
    for round_no in range(1, args.rounds + 1):
        print(f"Round {round_no}/{args.rounds}", flush=True)
        for page in pages:
            if not sequence:
                sequence.append(run(BASELINE_PATH, "baseline", args.duration))
            sequence.append(run(page.path, "page", args.duration))
            sequence.append(run(BASELINE_PATH, "baseline", args.duration))
            print(
                f"  {page.path:<28} {sequence[-2].rps:9.1f} req/s   "
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
        ratio = 100 * rps / baseline if baseline else 0.0
        errors = sum(r.non_2xx_3xx for r in page_runs)
        if errors:
            result = "ERROR"
        elif page.target_pct is None:
            result = "-"
        else:
            result = "PASS" if ratio >= page.target_pct else "BELOW"
        rows.append(
            {
                "path": page.path,
                "label": page.label,
                "rps_median": round(rps, 1),
                "baseline_rps_median": round(baseline, 1),
                "ratio_pct": round(ratio, 1),
                "target_pct": page.target_pct,
                "result": result,
                "non_2xx_3xx": errors,
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
        "runs": [asdict(r) for r in sequence],
    }


def print_table(results: dict) -> None:
    header = f"{'path':<26} {'req/s':>9} {'baseline req/s':>15} {'ratio':>8} {'target':>8}  result"
    print()
    print(header)
    print("-" * len(header))
    base = results["baseline"]
    print(f"{base['path']:<26} {base['rps_median']:>9.1f} {'':>15} {'100.0 %':>8} {'':>8}  -")
    for row in results["pages"]:
        target = f">= {row['target_pct']:g} %" if row["target_pct"] is not None else ""
        print(
            f"{row['path']:<26} {row['rps_median']:>9.1f} {row['baseline_rps_median']:>15.1f} "
            f"{row['ratio_pct']:>6.1f} % {target:>8}  {row['result']}"
        )
    print()


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run [4]")
    parser.add_argument("--rounds", type=int, default=3, help="runs per page [3]")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections [8]")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds per path [1]")
    parser.add_argument(
        "--pages",
        choices=sorted(PAGE_GROUPS),
        default="all",
        help="which pages: the public (cached) ones, the signed-in ones, or all [all]",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL on 127.0.0.1 (env BENCH_DATABASE_URL) [%(default)s]",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS_FILE, help="JSON results [bench/results/latest.json]"
    )
    args = parser.parse_args(argv)
    if args.duration < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--duration and --rounds must be at least 1, --warmup at least 0")
    if args.connections < args.threads or args.threads < 1:
        parser.error("--connections must be at least --threads (at least 1)")
    args.page_list = [page for page in PAGES if PAGE_GROUPS[args.pages](page)]
    planned = plan_seconds(len(args.page_list), args.rounds, args.duration, args.warmup)
    if planned > MAX_MEASURING_SECONDS:
        parser.error(
            f"{args.rounds} rounds of {args.duration} s for {len(args.page_list)} pages and the "
            "baseline "
            f"take {planned} s of measuring; keep it under {MAX_MEASURING_SECONDS} s "
            "(lower --duration or --rounds)."
        )
    return args


def _raise_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the bench as Ctrl-C does: servers and workers are stopped."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    server: Server | None = None
    started = time.monotonic()
    try:
        wrk = find_wrk()
        db_host, db_port = check_loopback(args.database_url, "The database URL")
        redis_host, redis_port = check_loopback(CACHE_URL, "CACHE_URL")
        check_service(
            db_host,
            db_port,
            "PostgreSQL",
            "Start it, e.g. `pg_ctlcluster 15 main start` (see .ci/run).",
        )
        check_service(
            redis_host,
            redis_port,
            "Redis",
            "Start it, e.g. `redis-server --daemonize yes --bind 127.0.0.1 --save ''`.",
        )
        pages = args.page_list
        planned = plan_seconds(len(pages), args.rounds, args.duration, args.warmup)
        load = os.getloadavg()[0]
        if load > 0.5 * (os.cpu_count() or 1):
            print(
                f"Note: the machine is busy (load {load:.1f} on {os.cpu_count()} CPUs): absolute "
                "figures will be low and noisy; the ratios are still comparable.",
                flush=True,
            )
        print(
            f"Benchmark: {len(pages)} pages x {args.rounds} rounds x {args.duration} s, "
            f"wrk -t{args.threads} -c{args.connections}, gunicorn {GUNICORN_WORKERS} sync "
            f"workers; about {planned + 15} s.",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
            env = bench_environment(args.database_url, Path(tmp) / "static")
            print("Preparing the database and static files", flush=True)
            manage(env, "ensure_database", timeout=30)
            manage(env, "migrate", "--noinput", timeout=120)
            manage(env, "load_reference_data", timeout=60)
            manage(env, "collectstatic", "--noinput", timeout=120)

            server = Server(env, Path(tmp) / "gunicorn.log")
            server.start()
            print(f"gunicorn on {server.base_url}", flush=True)
            results = measure(args, wrk, server, pages)
            server_log = server.log_tail()
            server.stop()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; gunicorn stopped.", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()

    print_table(results)
    if _PAGE_DATA:
        counts = _PAGE_DATA["counts"]
        print(
            f"Signed-in pages: the applicant has {counts['applicant_applications']} applications, "
            f"the reviewer {counts['reviewer_open_assignments']} open assignments; "
            f"{counts['applications_in_database']:,} applications in the database."
        )
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": round(load, 2),
        },
        "settings": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "wrk_threads": args.threads,
            "wrk_connections": args.connections,
            "gunicorn_workers": GUNICORN_WORKERS,
            "database": urlsplit(args.database_url).path.lstrip("/"),
            "cache": CACHE_URL,
        },
        "elapsed_s": round(time.monotonic() - started, 1),
        "page_data": _PAGE_DATA.get("counts"),
        **results,
    }
    if server_log.strip():
        report["server_log_tail"] = server_log
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results: {args.output} ({report['elapsed_s']} s)")
    failed = [row["path"] for row in results["pages"] if row["result"] in ("BELOW", "ERROR")]
    if failed:
        print(f"Below target or failing: {', '.join(failed)}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
