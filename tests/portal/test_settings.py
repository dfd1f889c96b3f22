"""Production settings refuse to start when misconfigured. Each case runs Django in a fresh
subprocess with a controlled environment, the way the server would be started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GOOD_KEY = "k" * 20 + "-a-long-random-production-secret-key-0123456789"
HOSTS = "portal.example.eu"

# Prints the settings the tests look at, as JSON, or fails with Django's ImproperlyConfigured.
SHOW_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": db["ENGINE"],
    "POOL": db.get("OPTIONS", {}).get("pool"),
    "SERVER_SIDE_BINDING": db.get("OPTIONS", {}).get("server_side_binding"),
    "PREPARE_THRESHOLD": db.get("OPTIONS", {}).get("prepare_threshold"),
    "CONN_MAX_AGE": db.get("CONN_MAX_AGE"),
    "CONN_HEALTH_CHECKS": db.get("CONN_HEALTH_CHECKS"),
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_ENGINE": settings.SESSION_ENGINE,
}, default=lambda value: f"{value.__module__}.{value.__qualname__}"))
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python in the project with only PATH, HOME and `env` in its environment."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    environ |= {"DJANGO_SETTINGS_MODULE": "portal.settings", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def _settings(**env: str) -> dict:
    result = _run(["-c", SHOW_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _refused(**env: str) -> str:
    """The ImproperlyConfigured message Django stops with."""
    result = _run(["-c", SHOW_SETTINGS], **env)
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last_line.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


def test_it_works_with_no_environment_at_all():
    values = _settings()

    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    # Without a shared cache, each process would keep lists the others' writes do not reach.
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert values["EAGER"] is True
    assert "localhost" in values["ALLOWED_HOSTS"]


@pytest.mark.parametrize(
    "key",
    [None, "dev-only-insecure-key-do-not-use-in-production", "short-key"],
    ids=["missing", "development default", "too short"],
)
def test_it_refuses_production_without_a_real_secret_key(key):
    env = {"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": HOSTS}
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key

    message = _refused(**env)

    assert "DJANGO_SECRET_KEY" in message
    assert "DJANGO_SECRET_KEY_FILE" in message


@pytest.mark.parametrize("hosts", [None, " , "], ids=["missing", "blank items"])
def test_it_refuses_production_without_allowed_hosts(hosts):
    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": GOOD_KEY}
    if hosts is not None:
        env["DJANGO_ALLOWED_HOSTS"] = hosts

    message = _refused(**env)

    assert "DJANGO_ALLOWED_HOSTS is empty" in message


@pytest.mark.parametrize("hosts", ["*", "portal.example.eu,*", "*.example.eu"])
def test_it_refuses_production_with_a_wildcard_in_allowed_hosts(hosts):
    message = _refused(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS=hosts)

    assert "DJANGO_ALLOWED_HOSTS" in message
    assert "contains a wildcard" in message


def test_it_keeps_a_wildcard_for_development():
    assert _settings(DJANGO_ALLOWED_HOSTS="*")["ALLOWED_HOSTS"] == ["*"]


def test_it_refuses_a_debug_flag_that_is_not_a_boolean():
    message = _refused(DJANGO_DEBUG="junk")

    assert message == "DJANGO_DEBUG='junk' is not a boolean: use true or false."


def test_it_refuses_a_number_that_is_not_a_number():
    assert _refused(EMAIL_PORT="twenty-five") == "EMAIL_PORT='twenty-five' is not a whole number."


def test_it_reads_secrets_from_files(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY + "\n")
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("portal.example.eu, admin.example.eu\n")

    values = _settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="ignored-when-a-file-is-given",
        DJANGO_SECRET_KEY_FILE=str(key_file),
        DJANGO_ALLOWED_HOSTS_FILE=str(hosts_file),
    )

    assert values["SECRET_KEY"] == GOOD_KEY
    assert values["ALLOWED_HOSTS"] == ["portal.example.eu", "admin.example.eu"]
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True


def test_it_refuses_a_secret_file_that_cannot_be_read(tmp_path):
    missing = tmp_path / "no-such-file"

    message = _refused(DJANGO_SECRET_KEY_FILE=str(missing))

    assert message.startswith(f"DJANGO_SECRET_KEY_FILE={str(missing)!r} cannot be read")


def test_it_switches_to_postgresql_with_a_pool_and_redis_from_urls():
    values = _settings(
        DATABASE_URL="postgres://portal:secret@db.example.eu:5432/portal",
        CACHE_URL="redis://cache.example.eu:6379/1",
        CELERY_BROKER_URL="redis://cache.example.eu:6379/0",
        DATABASE_POOL_MAX_SIZE="4",
    )

    assert values["ENGINE"] == "django.db.backends.postgresql"
    # Short waits, checked connections and reconnection within seconds (issue 9: outages).
    assert values["POOL"] == {
        "min_size": 1,
        "max_size": 4,
        "timeout": 1.5,
        "reconnect_timeout": 4.0,
    }
    assert values["CONN_MAX_AGE"] == 0  # the pool and persistent connections exclude each other
    assert values["CONN_HEALTH_CHECKS"] is True  # the pool checks a connection before handing it
    assert values["CACHE"] == "portal.cache.RedisCache"  # django-redis, failing open on add
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert values["EAGER"] is False


def test_it_passes_the_deployment_checks_when_configured_for_production():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS=HOSTS,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CACHE_URL": "redis://127.0.0.1:6379/1", "CACHE_SOCKET_TIMEOUT": "soon"},
            "CACHE_SOCKET_TIMEOUT='soon' is not a number.",
        ),
        ({"ROUTING_BATCH_SIZE": "many"}, "ROUTING_BATCH_SIZE='many' is not a whole number."),
        ({"HEARTBEAT_SECONDS": "soon"}, "HEARTBEAT_SECONDS='soon' is not a whole number."),
        ({"SWEEP_GRACE_SECONDS": "1.5"}, "SWEEP_GRACE_SECONDS='1.5' is not a whole number."),
    ],
    ids=["cache timeout", "batch size", "heartbeat seconds", "sweep grace seconds"],
)
def test_it_refuses_cache_and_routing_settings_that_are_not_numbers(env, message):
    assert _refused(**env) == message
