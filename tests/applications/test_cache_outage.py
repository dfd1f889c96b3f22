"""The cache is an optimisation: when Redis cannot be reached (django-redis with
IGNORE_EXCEPTIONS), pages are rendered and writes go through."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import caches

from applications import services
from applications.models import ApplicationStatus


def dead_redis_location() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": dead_redis_location(),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },
        },
        "fragments": settings.CACHES["fragments"],  # in each process's memory: no outage
    }
    # Changing CACHES makes Django drop its cache connections (a setting_changed receiver).
    yield caches["default"]


def test_every_operation_answers_a_miss(dead_cache):
    assert dead_cache.get("k", "default") == "default"
    assert dead_cache.get_many(["a", "b"]) == {}
    dead_cache.set("k", 1)
    assert dead_cache.delete("k") in (False, None, 0)


@pytest.mark.django_db
def test_catalogue_pages_and_writes_go_on_when_the_cache_is_down(
    dead_cache, client, alice, submit_application, catalogue
):
    application = submit_application(title="Written during a cache outage")

    services.application_withdraw(application=application, actor=alice)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert client.get("/factories/lumi-aif/").status_code == 200
    client.force_login(alice)
    page = client.get("/applications/")
    assert page.status_code == 200
    assert "Written during a cache outage" in page.content.decode()
