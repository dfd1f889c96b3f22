"""Shared fixtures. The suite runs on PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL
are set (as .ci/run does) and on SQLite with eager Celery otherwise; the header says which."""

from __future__ import annotations

import os
import shutil

import pytest

# The people, organisations and sites most tests share (fixtures of every test directory).
pytest_plugins = [
    "tests.fixtures.applicants",
    "tests.fixtures.reviews",
    "tests.fixtures.handoffs",
]

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


@pytest.hookimpl(trylast=True)  # after pytest-django has ordered the tests
def pytest_collection_modifyitems(config, items) -> None:
    # Browser tests run last. Once Playwright's sync API has started, its event loop runs in the
    # main thread, so Django gives the main thread a second set of connections; a database test
    # after a browser test would keep one of them checked out of the PostgreSQL pool, and the
    # test database could not be dropped at the end.
    items.sort(key=lambda item: "browser" in item.keywords)  # stable: keeps the other order
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


@pytest.fixture(scope="session")
def _catalogue_rows(django_db_setup, django_db_blocker):
    """The seed catalogue's rows as the real loader writes them: loaded once, then rolled back."""
    from django.db import transaction

    from factories.models import AIFactory, Antenna, AntennaLink, Source, System
    from factories.services import DEFAULT_CATALOGUE_PATH, catalogue_load, catalogue_read

    models = (AIFactory, System, Antenna, AntennaLink, Source)  # parents first
    with django_db_blocker.unblock(), transaction.atomic():
        catalogue_load(data=catalogue_read(DEFAULT_CATALOGUE_PATH))
        rows = [(m, list(m.objects.order_by("pk").values())) for m in models]
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def catalogue(db, _catalogue_rows):
    """The real seed catalogue: 19 factories, 29 systems, 13 antennas and their links, sources.

    Restored with bulk inserts (no signals) instead of running the loader in every test, with
    the first history records of factories and systems (sources get none, to stay fast). Tests
    of the loader itself call `load_reference_data`.
    """
    from factories.models import Source

    for model, rows in _catalogue_rows:
        objs = model.objects.bulk_create(model(**row) for row in rows)
        if model is not Source:
            model.history.bulk_history_create(objs, default_change_reason="load_reference_data")


@pytest.fixture
def admin_user(db):
    """A superuser with two-factor authentication set up (staff must have it)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    user = User.objects.create_superuser(email="admin@example.org", password="admin-pass-123")
    TOTP.activate(user, generate_totp_secret())
    return user
