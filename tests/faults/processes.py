"""Real processes for the outage tests: a throwaway PostgreSQL cluster, a private Redis and the
portal under gunicorn with production settings, each on a free port of this machine, started
and stopped at will. The shared PostgreSQL (5432) and Redis (6379) are never touched."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.reviews.test_faults import PrivateRedis, _die_with_parent, free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")

__all__ = ["Browser", "Gunicorn", "PrivatePostgres", "PrivateRedis", "missing_binaries"]


def missing_binaries() -> str | None:
    """Why these tests cannot run here, or None."""
    if not PG_BIN or not os.path.exists(f"{PG_BIN}/initdb"):
        return "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


def _as_postgres() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


class PrivatePostgres:
    """A PostgreSQL cluster of this test only (initdb in a temporary directory, its own port),
    trusting local connections: stopped and started at will, always on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"
        subprocess.run(
            [f"{PG_BIN}/initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
             "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, timeout=120, **_as_postgres(),
        )  # fmt: skip

    def start(self) -> None:
        subprocess.run(
            [f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
             "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
             "start"],
            check=True, capture_output=True, timeout=60, **_as_postgres(),
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            [f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"],
            check=False, capture_output=True, timeout=60, **_as_postgres(),
        )  # fmt: skip

    def ready(self) -> bool:
        result = subprocess.run(
            [f"{PG_BIN}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False, timeout=10,
        )  # fmt: skip
        return result.returncode == 0

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def production_environment(*, database_url: str, cache_url: str, static_root: Path) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # the proxy says https (X-Forwarded-Proto)
        "DJANGO_STATIC_ROOT": str(static_root),
        # Plain static storage (no collectstatic, which compresses every file for minutes on a
        # busy machine) and fast password hashing; everything else as in production.
        "DJANGO_TESTING": "true",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "PYTHONUNBUFFERED": "1",
    }
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


class Gunicorn:
    """The portal under gunicorn (two sync workers), as the web container starts it."""

    def __init__(self, env: dict, workdir: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 (kept by Popen)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--no-control-socket",
             "--timeout", "60"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                requests.get(f"{self.base}/healthz", timeout=30)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@dataclass
class Browser:
    """A browser behind the TLS proxy: it says https (X-Forwarded-Proto), keeps its cookies
    (secure ones too: the proxy speaks https to it) and sends the Referer that Django's CSRF
    check wants over https."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{self.base.rsplit(':', 1)[1]}{path}",
            **kwargs.pop("headers", {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False,
            timeout=kwargs.pop("timeout", 30), **kwargs,
        )  # fmt: skip
        for cookie in response.cookies:
            if cookie.value:
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        """GET the form (for the CSRF cookie), then POST it."""
        self.get(path)
        return self.request(
            "POST", path, data={**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        )
