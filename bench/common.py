"""What the benches share: the environment of a production-like portal, its processes (gunicorn,
a Celery worker) started in their own process groups and stopped with them, their peak memory,
the bench data script, and the checks that keep a bench on 127.0.0.1.

Nothing here imports the portal: the portal's models and services are used only by
bench/data.py, run in a subprocess with the server's environment (or imported by routing.py
after Django is set up in-process).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = ROOT / "bench" / "results"
DATA_SCRIPT = ROOT / "bench" / "data.py"

HOST = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost"}
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
# The catalogue cache and the sessions the gunicorn workers share (redis db 2); the routing
# bench's broker is db 3, the rush's db 4.
CACHE_URL = "redis://127.0.0.1:6379/2"
GUNICORN_WORKERS = 2


class BenchError(Exception):
    """The benchmark cannot run; the message says why and what to do."""


# --- Tools and services ---------------------------------------------------------------------------


def venv_tool(name: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name} not found in {VENV_BIN}: run `make venv` first.")
    return found


def find_wrk() -> str:
    wrk = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not wrk:
        raise BenchError(
            "wrk is not installed. On Debian/Ubuntu: `sudo apt-get install -y wrk` "
            "(https://github.com/wg/wrk for other systems)."
        )
    return wrk


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


def check_postgres_and_redis(database_url: str, redis_url: str) -> None:
    check_service(
        *check_loopback(database_url, "The database URL"),
        "PostgreSQL",
        "Start it, e.g. `pg_ctlcluster 15 main start` (see .ci/run).",
    )
    check_service(
        *check_loopback(redis_url, "The Redis URL"),
        "Redis",
        "Start it, e.g. `redis-server --daemonize yes --bind 127.0.0.1 --save ''`.",
    )


def database_url_with_suffix(url: str, suffix: str) -> str:
    """`postgres://…/portal_bench` + `_100k` → `postgres://…/portal_bench_100k`."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "portal_bench"
    return urlunsplit(parts._replace(path=f"/{name}{suffix}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def machine_is_busy() -> str | None:
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        return (
            f"Note: the machine is busy (load {load:.1f} on {os.cpu_count()} CPUs): absolute "
            "figures will be low and noisy; the ratios are still comparable."
        )
    return None


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except OSError:
        return None
    return out.stdout.strip() or None


# --- The portal's environment ---------------------------------------------------------------------


def bench_environment(database_url: str, static_root: Path) -> dict[str, str]:
    """Production-like settings: DEBUG off, a fresh secret key, PostgreSQL with the pool, the
    shared Redis cache (and cached_db sessions), no TLS redirect, no broker (tasks in-process;
    rush.py and routing.py add one)."""
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


def prepare_database(env: dict[str, str], *, static: bool = True) -> None:
    """Create the database when missing, migrate, load the catalogue (and collect static files
    for gunicorn, which serves them with whitenoise)."""
    manage(env, "ensure_database", timeout=30)
    manage(env, "migrate", "--noinput", timeout=180)
    manage(env, "load_reference_data", timeout=60)
    if static:
        manage(env, "collectstatic", "--noinput", timeout=120)


def run_data(env: dict[str, str], *args: str, timeout: float = 900) -> dict:
    """Run bench/data.py with the portal's environment; its last line of output is JSON."""
    result = subprocess.run(
        [venv_tool("python"), str(DATA_SCRIPT), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise BenchError(
            f"bench/data.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-3000:]}"
        )
    for line in lines[:-1]:
        print(f"  {line}", flush=True)  # its progress notes
    return json.loads(lines[-1])


# --- Memory ---------------------------------------------------------------------------------------


def peak_rss_mib(pid: int) -> float | None:
    """The peak resident memory (VmHWM) of a running process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_tree_peaks(pid: int) -> dict[str, object]:
    """VmHWM of a master process and of each of its children (gunicorn or Celery workers)."""
    return {
        "master_mib": peak_rss_mib(pid),
        "children_mib": [m for c in child_pids(pid) if (m := peak_rss_mib(c)) is not None],
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a running process and its running children, in seconds."""
    total = 0.0
    for one in [pid, *child_pids(pid)]:  # a PostgreSQL backend has none
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the database of `database_url`."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=3) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )]  # fmt: skip
    return {pid: cpu_seconds(pid) for pid in pids}


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / ticks, sum(values[:8]) / ticks


def run_measured(
    command: list[str], *, timeout: float, env: dict[str, str] | None = None, **popen
) -> tuple[int, str, dict[str, float]]:
    """Run a command to its end; returns (exit status, output, its resource use): peak RSS in
    MiB (ru_maxrss, from wait4: the process is gone when it ends, so /proc cannot tell), CPU
    seconds and wall seconds. Killed (its process group) at `timeout`."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, **popen,
    )  # fmt: skip
    output: list[bytes] = []
    try:
        deadline = started + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(process.stdout, selectors.EVENT_READ)
            while True:
                if time.monotonic() > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    raise BenchError(f"{command[0]} did not end within {timeout:.0f} s")
                if sel.select(timeout=0.5):
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    output.append(chunk)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        raise
    finally:
        process.stdout.close()
    use = {
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "wall_s": round(time.monotonic() - started, 2),
    }
    return process.returncode, b"".join(output).decode(errors="replace"), use


# --- Processes ------------------------------------------------------------------------------------


class _Process:
    """A process in its own process group, logging to a file, stopped (the whole group) by
    stop(): SIGTERM, then SIGKILL after `grace` seconds."""

    grace = 10.0

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    def _spawn(self, command: list[str]) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it
        )  # fmt: skip

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid) if self.alive() else 0.0

    def peaks(self) -> dict[str, object]:
        """Peak memory of the master and of each child, while they run."""
        if not self.alive():
            return {}
        return process_tree_peaks(self.process.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=self.grace)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


def _gunicorn_has_control_socket() -> bool:
    """gunicorn >= 24 opens a control socket by default; older versions lack the option."""
    result = subprocess.run(
        [venv_tool("gunicorn"), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    return "--no-control-socket" in result.stdout


def worker_kind(threads: int) -> str:
    return "sync workers" if threads == 1 else f"workers x {threads} threads"


class Server(_Process):
    """gunicorn on a free port of 127.0.0.1: sync workers, or gthread workers with `threads`
    threads each (a worker then serves another request while one waits for PostgreSQL)."""

    grace = 10.0

    # One line per request: method, path, status and gunicorn's own time (microseconds, from
    # when a worker took the request until it sent the answer: no wait for a free worker).
    ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"

    def __init__(
        self, env: dict[str, str], log_path: Path, workers: int = GUNICORN_WORKERS,
        access_log: Path | None = None, threads: int = 1,
    ) -> None:  # fmt: skip
        super().__init__(env, log_path)
        self.workers = workers
        self.threads = threads
        self.access_log = access_log
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30) -> None:
        command = [
            venv_tool("gunicorn"), "portal.wsgi", f"--workers={self.workers}",
            f"--bind={HOST}:{self.port}", "--log-level=warning", "--graceful-timeout=5",
        ]  # fmt: skip
        if self.threads > 1:
            command += ["--worker-class=gthread", f"--threads={self.threads}"]
        else:
            command.append("--worker-class=sync")
        if _gunicorn_has_control_socket():
            command.append("--no-control-socket")  # else it opens ~/.gunicorn/gunicorn.ctl
        if self.access_log is not None:
            command += [f"--access-logfile={self.access_log}",
                        f"--access-logformat={self.ACCESS_FORMAT}"]  # fmt: skip
        self._spawn(command)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                # Not /healthz: with a broker it also wants the heartbeats of a worker and beat.
                status, _, _ = fetch(self.base_url + "/bench/baseline/")
                if status == 200 and len(child_pids(self.process.pid)) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(
            f"gunicorn did not answer /bench/baseline/ within {timeout:.0f} s:\n{self.log_tail()}"
        )


class Worker(_Process):
    """One Celery worker (prefork with `concurrency` processes, or solo)."""

    grace = 15.0  # warm shutdown: the running task ends

    def __init__(
        self, env: dict[str, str], log_path: Path, *, pool: str = "prefork",
        concurrency: int = 2, hostname: str = "bench@%h",
    ) -> None:  # fmt: skip
        super().__init__(env, log_path)
        self.pool = pool
        self.concurrency = 1 if pool == "solo" else concurrency
        self.hostname = hostname

    def start(self, timeout: float = 60) -> float:
        """Start and wait for "ready"; returns the start-up time in seconds."""
        command = [
            venv_tool("celery"), "-A", "portal", "worker", f"--pool={self.pool}",
            f"--concurrency={self.concurrency}", "--loglevel=INFO",
            f"--hostname={self.hostname}", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        started = time.monotonic()
        self._spawn(command)
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise BenchError(
                    f"the worker exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            if " ready." in self.log_path.read_text(errors="replace"):
                return time.monotonic() - started
            time.sleep(0.05)
        raise BenchError(f"the worker was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def peak_memory_mib(self) -> float | None:
        """The largest peak resident memory (VmHWM) among the worker's processes, in MiB."""
        peaks = self.peaks()
        values = [v for v in [peaks.get("master_mib"), *peaks.get("children_mib", [])] if v]
        return max(values) if values else None


def flush_redis_db(url: str) -> None:
    """FLUSHDB on the one database of `url` (never 0: refused)."""
    import redis

    if urlsplit(url).path.strip("/") in ("", "0"):
        raise BenchError(f"{url} is Redis database 0: a bench flushes only a database of its own.")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


# --- HTTP -----------------------------------------------------------------------------------------


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


# --- Signals --------------------------------------------------------------------------------------


def _raise_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the bench as Ctrl-C does: servers and workers are stopped."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
