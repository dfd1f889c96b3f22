"""The real client address behind a reverse proxy: login throttling counts each client, not the
proxy, and only when the portal is told how many proxies of its own stand in front of it
(PORTAL_TRUSTED_PROXY_COUNT → ALLAUTH_TRUSTED_PROXY_COUNT). Without that setting a client's
X-Forwarded-For, which anybody can write, is never believed."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PROXY = "192.0.2.10"  # the TLS proxy's address, as gunicorn sees the connection
ALICE = "203.0.113.5"
BOB = "198.51.100.7"
FAILURES_PER_MINUTE = 10  # allauth's default `login_failed` rate: 10/m per address
THROTTLED = "Too many failed login attempts"


def sign_in(client: Client, n: int, *, remote: str, forwarded: str | None = None) -> str:
    """One sign-in with a wrong password (a new email address each time: only the limit per
    client address applies): "wrong" for the form's error, "throttled" when refused."""
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    response = client.post(
        "/accounts/login/",
        {"login": f"nobody{n}@example.org", "password": "wrong-password"},
        REMOTE_ADDR=remote,
        **headers,
    )
    assert response.status_code in (200, 429)
    throttled = response.status_code == 429 or THROTTLED in response.content.decode()
    return "throttled" if throttled else "wrong"


def fail_until_limited(client: Client, **where: str) -> list[str]:
    return [sign_in(client, n, **where) for n in range(FAILURES_PER_MINUTE + 1)]


def test_it_throttles_two_clients_behind_one_proxy_separately(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    alice = fail_until_limited(client, remote=PROXY, forwarded=ALICE)

    assert alice == ["wrong"] * FAILURES_PER_MINUTE + ["throttled"]
    # Bob, through the same proxy, may still try: his wrong password is only wrong.
    assert sign_in(client, 100, remote=PROXY, forwarded=BOB) == "wrong"


def test_it_does_not_let_a_client_escape_the_limit_with_a_forged_header(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # Alice writes a new X-Forwarded-For each time; the proxy appends her real address.
    statuses = [
        sign_in(client, n, remote=PROXY, forwarded=f"10.9.9.{n}, {ALICE}")
        for n in range(FAILURES_PER_MINUTE + 1)
    ]

    assert statuses[-1] == "throttled"


def test_it_ignores_x_forwarded_for_without_the_setting(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0  # the default
    # A client connecting directly forges a new address each time: it is counted by its own.
    statuses = [
        sign_in(client, n, remote=ALICE, forwarded=f"10.9.9.{n}")
        for n in range(FAILURES_PER_MINUTE + 1)
    ]

    assert statuses[-1] == "throttled"
    # Somebody else, connecting from elsewhere, is not affected.
    assert sign_in(client, 100, remote=BOB) == "wrong"


def test_it_counts_a_request_with_too_short_a_header_by_its_connection(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2  # two proxies, but this request names one address

    assert sign_in(client, 1, remote=PROXY, forwarded=ALICE) == "wrong"  # not a 500
