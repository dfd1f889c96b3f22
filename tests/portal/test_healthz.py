from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.db.utils import load_backend

from portal.middleware import UNAVAILABLE_MESSAGE

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@contextmanager
def database_outage() -> Iterator[None]:
    """The default database swapped for one that really cannot be reached.

    SQLite: a file in a directory that does not exist. PostgreSQL: a port nobody listens on, and
    no pool (a pool would wait for its timeout). The test database itself is left untouched.
    """
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-directory/portal.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
        settings_dict["OPTIONS"].pop("pool", None)
    connections["default"] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, "default"
    )
    try:
        yield
    finally:
        connections["default"] = original


def test_it_reports_healthy_when_database_and_broker_answer(client, settings):
    settings.CELERY_BROKER_URL = ""  # eager: no worker and no beat to report

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"] == {
        "database": {"ok": True},
        "broker": {"ok": True, "mode": "eager (in-process)"},
    }
    assert "no-store" in response["Cache-Control"]


def test_it_shows_staff_the_details(client, settings, admin_user):
    settings.CELERY_BROKER_URL = ""
    client.force_login(admin_user)

    body = client.get("/healthz").json()

    assert body["checks"]["database"] == {"ok": True, "vendor": connection.vendor}


def test_it_answers_503_naming_the_broker_when_it_cannot_be_reached(client, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    started = time.monotonic()

    response = client.get("/healthz")

    # Quicker than the retry interval: a probe gets its answer instead of timing out.
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    # Anonymous callers learn which component fails, never the exception text.
    assert body["checks"]["broker"] == {"ok": False, "mode": "redis"}
    assert "127.0.0.1:1" not in response.content.decode()


def test_it_gives_staff_the_broker_error(client, settings, admin_user):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    client.force_login(admin_user)

    broker = client.get("/healthz").json()["checks"]["broker"]

    assert broker["ok"] is False
    assert "127.0.0.1:1" in broker["error"]


def test_it_answers_503_naming_the_database_when_it_cannot_be_reached(client, settings):
    settings.CELERY_BROKER_URL = ""
    with database_outage():
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False}
    assert "OperationalError" not in response.content.decode()
    assert body["checks"]["broker"]["ok"] is True


def test_it_names_both_when_database_and_broker_are_down(client, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER

    with database_outage():
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "broker"]


@pytest.mark.parametrize("url", ["/", "/factories/", "/factories/lumi-aif/", "/systems/lumi/"])
def test_it_answers_a_page_with_a_clear_503_when_the_database_is_down(client, catalogue, url):
    with database_outage():
        response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "Temporarily unavailable" in html
    assert UNAVAILABLE_MESSAGE.replace("'", "&#x27;") in html


@pytest.mark.parametrize("url", ["/api/v1/factories/", "/api/v1/systems/lumi/"])
def test_it_answers_the_api_with_a_503_json_error_when_the_database_is_down(client, catalogue, url):
    with database_outage():
        response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {"detail": UNAVAILABLE_MESSAGE, "code": "database_unavailable"}


def test_it_still_serves_a_page_cached_before_the_outage(client, catalogue):
    assert client.get("/factories/lumi-aif/").status_code == 200

    with database_outage():
        cached = client.get("/factories/lumi-aif/")
        not_cached = client.get("/factories/mimer/")

    assert cached.status_code == 200
    assert "Kajaani" in cached.content.decode()
    assert not_cached.status_code == 503
