"""Shared fixtures. The suite runs on PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL
are set (as .ci/run does) and on SQLite with eager Celery otherwise; the header says which."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the main thread; Django would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or (
    "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else None
)


def _services() -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        database = f"PostgreSQL at {db.get('HOST')}:{db.get('PORT')} (psycopg 3, pooled)"
    else:
        database = "SQLite (embedded default; set DATABASE_URL for PostgreSQL)"
    broker = (
        f"Redis at {settings.CELERY_BROKER_URL} (real Celery workers)"
        if settings.CELERY_BROKER_URL
        else "none: Celery tasks run eagerly in-process (set CELERY_BROKER_URL for Redis)"
    )
    browser = f"chromium at {CHROMIUM}" if CHROMIUM else "none (browser tests are skipped)"
    return [f"database: {database}", f"broker: {broker}", f"browser: {browser}"]


def pytest_report_header(config) -> list[str]:
    return _services()


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_sep("-", "services used")
    for line in _services():
        terminalreporter.write_line(line)


def pytest_collection_modifyitems(config, items) -> None:
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Cached catalogue pages must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def catalogue(db):
    """The real seed catalogue: seven factories, thirteen systems, their sources."""
    from factories.services import DEFAULT_CATALOGUE_PATH, catalogue_load, catalogue_read

    catalogue_load(data=catalogue_read(DEFAULT_CATALOGUE_PATH))


@pytest.fixture
def admin_user(db):
    from accounts.models import User

    return User.objects.create_superuser(email="admin@example.org", password="admin-pass-123")
