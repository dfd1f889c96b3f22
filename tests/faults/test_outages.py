"""Outages degrade, never lock out, measured against real processes: the portal under gunicorn
with production settings (DEBUG off, the psycopg pool, the Redis cache and cached_db
sessions), on a PostgreSQL cluster and a Redis of this test only, which the tests stop and start.

- The cache Redis stopped: sign-in, sign-up and password reset still work (allauth's rate
  limits fail open, with a warning in the log), in well under a second each.
- PostgreSQL stopped: a signed-in page, the API and /healthz answer 503 within 2 s (/healthz
  with the components' states and no exception text); PostgreSQL started again: every worker
  serves again within 10 s, without a restart.

Numbers are printed (`pytest -s` shows them). Skipped, with the reason, where PostgreSQL's or
Redis's programs are not installed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.faults.processes import (
    Browser,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    manage,
    missing_binaries,
    production_environment,
)

pytestmark = [pytest.mark.timeout(600)]

PASSWORD = "a-long-pass-phrase-2026"
USER = "outage@example.org"
MAKE_USER = f"""
from accounts.models import User
from allauth.account.models import EmailAddress
user = User.objects.create_user(email="{USER}", password="{PASSWORD}", first_name="Olga",
                                last_name="Outage")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
"""


def report(what: str, **numbers: object) -> None:
    print(f"\n[faults] {what}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Gunicorn, PrivatePostgres, PrivateRedis]]:
    reason = missing_binaries()
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("outages")
    postgres = PrivatePostgres()
    redis = PrivateRedis(workdir)
    web = None
    try:
        postgres.start()
        redis.start()
        env = production_environment(
            database_url=postgres.url, cache_url=redis.url, static_root=workdir / "static"
        )
        manage(env, "ensure_database")
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", MAKE_USER)
        web = Gunicorn(env, workdir)
        web.start()
        yield web, postgres, redis
    finally:
        if web is not None:
            web.stop()
        redis.stop()
        postgres.remove()


def sign_in(browser: Browser) -> None:
    response = browser.post_form("/accounts/login/", {"login": USER, "password": PASSWORD})
    assert response.status_code == 302, response.text[-2000:]
    assert "sessionid" in browser.cookies


def warm_up(web: Gunicorn) -> None:
    """Every page the test measures, served once by each worker with every service up: a
    worker's first page loads templates and code, seconds on a busy machine."""
    for _ in range(4):
        sign_in(Browser(web.base))
        for path in ("/accounts/signup/", "/accounts/password/reset/", "/applications/"):
            Browser(web.base).get(path)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_it_signs_in_signs_up_and_resets_passwords_while_the_cache_is_down(portal):
    web, _postgres, redis = portal
    warm_up(web)
    redis.stop()
    try:
        browser = Browser(web.base)
        login, login_s = timed(
            lambda: browser.post_form("/accounts/login/", {"login": USER, "password": PASSWORD})
        )
        page = browser.get("/applications/")
        newcomer = {
            "email": "newcomer@example.org",
            "first_name": "Nina",
            "last_name": "New",
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
        signup, signup_s = timed(lambda: Browser(web.base).post_form("/accounts/signup/", newcomer))
        reset, reset_s = timed(
            lambda: Browser(web.base).post_form("/accounts/password/reset/", {"email": USER})
        )
        # Ten wrong passwords do not lock the right one out for good either: with the limits
        # off, the eleventh attempt is judged on its password.
        for _ in range(3):
            Browser(web.base).post_form("/accounts/login/", {"login": USER, "password": "nope"})
        again = Browser(web.base).post_form(
            "/accounts/login/", {"login": USER, "password": PASSWORD}
        )
    finally:
        redis.start()

    report(
        "cache down",
        sign_in_s=round(login_s, 3),
        sign_up_s=round(signup_s, 3),
        password_reset_s=round(reset_s, 3),
    )
    assert login.status_code == 302, login.text[-2000:]
    assert page.status_code == 200  # the session lives in the database too
    assert signup.status_code == 302, signup.text[-2000:]
    assert reset.status_code == 302, reset.text[-2000:]
    assert again.status_code == 302
    assert max(login_s, signup_s, reset_s) < 2
    assert "rate limits (login, sign-up, password reset) are not enforced" in web.log.read_text()


def test_it_answers_503_quickly_while_the_database_is_down_and_recovers_without_a_restart(
    portal,
):
    web, postgres, _redis = portal
    warm_up(web)
    browser = Browser(web.base)
    sign_in(browser)
    assert browser.get("/applications/").status_code == 200
    anonymous = Browser(web.base)

    postgres.stop()
    try:
        answers = []
        for _ in range(4):  # both workers, each more than once
            answers.append(timed(lambda: browser.get("/applications/")))
            answers.append(timed(lambda: browser.get("/api/v1/applications/")))
        health, health_s = timed(lambda: anonymous.get("/healthz"))
        public, public_s = timed(lambda: anonymous.get("/accounts/login/"))
    finally:
        postgres.start()
    back_at = time.monotonic()
    recovered_s = None
    while time.monotonic() - back_at < 30:
        if browser.get("/applications/", timeout=10).status_code == 200:
            recovered_s = time.monotonic() - back_at
            break
        time.sleep(0.1)
    after = [browser.get("/applications/").status_code for _ in range(10)]

    slowest = max(seconds for _, seconds in answers)
    report(
        "database down",
        slowest_503_s=round(slowest, 3),
        healthz_s=round(health_s, 3),
        sign_in_page_s=round(public_s, 3),
        recovered_after_s=None if recovered_s is None else round(recovered_s, 2),
    )
    for response, _seconds in answers:
        assert response.status_code == 503, response.text[-500:]
        assert response.headers["Retry-After"] == "60"
    api = [r for r, _ in answers if r.url.endswith("/api/v1/applications/")]
    assert all(r.json()["code"] == "database_unavailable" for r in api)
    assert slowest < 2
    assert public.status_code == 503 and public_s < 2
    assert health.status_code == 503 and health_s < 2
    body = health.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False}
    assert not re.search(r"Error|Exception|connect|127\.0\.0\.1", health.text)
    assert recovered_s is not None and recovered_s < 10
    assert after == [200] * 10  # every worker again
