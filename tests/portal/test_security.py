"""Security settings and their effect: headers, cookies, escaping, CSRF, rate limits, MFA for the
admin, uploads.

Covered elsewhere, not repeated here:
- `manage.py check --deploy --fail-level WARNING` with production settings is clean:
  `tests/portal/test_settings.py::test_it_passes_the_deployment_checks_when_configured_for_production`
  (and the settings refuse to start without a real secret key or allowed hosts).
- Staff and reviewers without TOTP are sent to the MFA set-up, in pages, the admin and the API;
  `/admin/login/` redirects to the portal's login: `tests/accounts/test_mfa.py`.
- Uploads refused by content (not by the declared type or the name) and by size, with the
  message in the form and nothing stored: `tests/test_attachments.py`.
"""

# The applicant and review fixtures of tests/ are imported by name (pytest then
# finds them here); each test that takes one as an argument "redefines" it for ruff.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings as django_settings
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token

from applications import services as applications_services
from applications.models import AccessMode, Application, Attachment
from applications.uploads import safe_name
from notifications import services as notifications_services
from notifications.models import Notification
from organisations import services as organisations_services
from reviews.models import Assignment, ConflictOfInterest
from reviews.services import assignments as assignment_services
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.applicants import _mode_rows, alice, alice_org, modes  # noqa: F401
from tests.fixtures.reviews import REVIEW_VALUES, site_x  # noqa: F401
from tests.helpers import pdf
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(django_settings.BASE_DIR)
HOST = "portal.example.eu"
GOOD_KEY = "k" * 20 + "-a-long-random-production-secret-key-0123456789"


# --- Production security settings ----------------------------------------------------------------

SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL",
]

SHOW_SECURITY_SETTINGS = f"""
import json
from django.conf import settings
print(json.dumps({{name: getattr(settings, name, None) for name in {SECURITY_SETTINGS!r}}}))
"""


@pytest.fixture(scope="module")
def production_security() -> dict[str, Any]:
    """The security settings exactly as `portal/settings.py` computes them for production
    (DJANGO_DEBUG=false), read in a fresh process with a clean environment."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": GOOD_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SECURITY_SETTINGS],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production(settings, production_security) -> dict[str, Any]:
    """This test process runs with the production security settings (DEBUG is already False
    under pytest-django) and serves the production host name."""
    for name, value in production_security.items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = [HOST]
    return production_security


def secure_client(**kwargs: Any) -> Client:
    """A client speaking HTTPS to the production host."""
    return Client(HTTP_HOST=HOST, **kwargs)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_production_settings_turn_every_transport_protection_on(production_security):
    assert production_security["SECURE_SSL_REDIRECT"] is True
    assert production_security["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production_security["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production_security["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_security["SESSION_COOKIE_SECURE"] is True
    assert production_security["SESSION_COOKIE_HTTPONLY"] is True
    assert production_security["CSRF_COOKIE_SECURE"] is True
    assert production_security["X_FRAME_OPTIONS"] == "DENY"
    assert production_security["ACCOUNT_DEFAULT_HTTP_PROTOCOL"] == "https"


@pytest.fixture
def header_pages(alice, staff_user) -> dict[str, tuple[Any, str]]:
    return {
        "home": (None, "/"),
        "catalogue": (None, "/factories/"),
        "login": (None, "/accounts/login/"),
        "sign-up": (None, "/accounts/signup/"),
        "not found": (None, "/no-such-page/"),
        "API (JSON)": (None, "/api/v1/factories/"),
        "API (browsable)": (None, "/api/v1/factories/?format=api"),
        "API docs": (None, "/api/docs/"),
        "dashboard": (alice, "/applications/"),
        "API token": (alice, "/me/api-token/"),
        "admin": (staff_user, "/admin/"),
        "admin change list": (staff_user, "/admin/applications/application/"),
    }


@pytest.fixture
def staff_user(db):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(email="sam@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def test_every_page_sends_the_security_headers_in_production(production, header_pages):
    for name, (user, path) in header_pages.items():
        client = secure_client()
        if user is not None:
            client.force_login(user)

        response = client.get(path, secure=True)

        assert response.status_code in (200, 404), (name, response.status_code)
        csp = csp_directives(response)
        for directive, sources in csp.items():
            assert "'unsafe-inline'" not in sources, (name, directive)
            assert "'unsafe-eval'" not in sources, (name, directive)
            assert "*" not in sources, (name, directive)
        assert csp["script-src"] == ["'self'"], name
        assert csp["style-src"] == ["'self'"], name
        assert csp["object-src"] == ["'none'"], name
        assert csp["frame-ancestors"] == ["'none'"], name
        assert csp["base-uri"] == ["'self'"], name
        assert csp["form-action"] == ["'self'"], name
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert response.headers["Strict-Transport-Security"] == (
            f"max-age={production['SECURE_HSTS_SECONDS']}; includeSubDomains; preload"
        ), name


def test_it_redirects_plain_http_to_https_except_the_health_check(production):
    client = secure_client()

    response = client.get("/factories/?country=FI")

    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}/factories/?country=FI"
    assert "Strict-Transport-Security" not in response.headers  # HSTS only over HTTPS
    assert client.get("/healthz").status_code in (200, 503)  # load balancers probe over HTTP


def test_it_trusts_the_proxy_header_for_https(production):
    response = secure_client().get("/factories/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers


def test_its_cookies_are_secure_and_the_session_cookie_http_only_in_production(production):
    user = UserFactory(email="cookie@example.org")
    client = secure_client()

    login_page = client.get("/accounts/login/", secure=True)
    signed_in = client.post(
        "/accounts/login/",
        {"login": user.email, "password": "a-long-test-password"},
        secure=True,
    )

    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_its_session_cookie_is_http_only_in_development_too(client):
    user = UserFactory(email="dev@example.org")

    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "a-long-test-password"}
    )

    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"] is True


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_needs_unsafe_inline(path):
    """The CSP forbids inline script, inline styles and event-handler attributes: a template
    that used them would silently break in the browser."""
    html = path.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"\sstyle\s*=", html), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "event-handler attribute"
    assert "javascript:" not in html


# --- Escaping of user text -----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = [SCRIPT, "<img src=x onerror=alert(1)>", "<script>"]
ESCAPED = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"]


def payload(field: str) -> str:
    """A distinct hostile value per field, so each page can be checked for the fields it shows.
    (A file name loses everything up to its last slash on upload: no `</script>` there.)"""
    if field == "F":
        return f"[F]{IMG}.pdf"
    return f"[{field}]{SCRIPT}{IMG}"


def escaped(field: str) -> str:
    if field == "F":  # an uploaded file's name is stored as a safe base name: nothing to escape
        return safe_name(payload("F"))
    return f"[{field}]{ESCAPED[0]}{ESCAPED[1]}"


FIELDS = {
    "T": "title",
    "A": "abstract",
    "D": "data sources",
    "M": "team member name",
    "O": "organisation legal name",
    "N": "applicant's first name",
    "F": "attachment name",
    "J": "review justification",
    "C": "review comment for the applicant",
    "I": "review internal note",
    "X": "decline reason",
    "R": "decision comment",
}


class Hostile:
    """An application full of hostile text, taken from draft to decision at LUMI, and a second
    draft (the review step and the form pages show drafts only)."""

    def __init__(self, site) -> None:
        self.site = site
        self.applicant = UserFactory(
            email="mallory@example.org", first_name=payload("N"), last_name="Applicant"
        )
        self.organisation = organisations_services.organisation_create(
            user=self.applicant,
            legal_name=payload("O"),
            country="DE",
            org_type="startup",
            sme_declared=True,
        )
        self.decided = self._draft()
        applications_services.application_submit(application=self.decided, actor=self.applicant)
        routing_services.application_route(application_id=self.decided.pk)
        first = self.decided.assignments.get()
        self.declined = assignment_services.assignment_decline(
            assignment=first,
            reviewer=first.reviewer,
            reason=payload("X"),
            conflict_of_interest=True,
        )
        routing_services.application_route(application_id=self.decided.pk, trigger="decline")
        self.assignment = self.decided.assignments.exclude(pk=first.pk).get()
        assignment_services.review_record(
            assignment=self.assignment,
            reviewer=self.assignment.reviewer,
            **{
                **REVIEW_VALUES,
                "technical_feasibility_note": payload("J"),
                "comment_for_applicant": payload("C"),
                "internal_note": payload("I"),
            },
        )
        decision_services.application_decide(
            application=self.decided,
            approver=site.approver,
            outcome="approve",
            gpu_hours=800,
            comment=payload("R"),
        )
        self.decided.refresh_from_db()
        self.draft = self._draft()

    def _draft(self) -> Application:
        application = applications_services.application_create(
            applicant=self.applicant,
            organisation=self.organisation,
            access_mode=AccessMode.objects.get(slug="fast-lane"),
            system=self.site.system,
            title=payload("T"),
            abstract=payload("A"),
            ai_domain="health",
            workload="fine_tuning",
            gpu_hours=1000,
            start_date=timezone.localdate() + timedelta(days=7),
            duration_months=2,
            data_sources=payload("D"),
            personal_data=False,
            ai_act_risk="minimal",
        )
        applications_services.team_members_set(
            application=application,
            actor=self.applicant,
            members=[{"name": payload("M"), "email": "mia@example.org"}],
        )
        applications_services.attachment_add(
            application=application, actor=self.applicant, upload=pdf(payload("F"))
        )
        return application


@pytest.fixture
def hostile(modes, site_x, media) -> Hostile:
    return Hostile(site_x)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def hostile_pages(h: Hostile, staff) -> Iterator[tuple[str, Any, str, str]]:
    """(page, user, path, fields that must appear on it, escaped)."""
    d, a = h.decided.pk, h.draft.pk
    applicant, reviewer, approver = h.applicant, h.assignment.reviewer, h.site.approver
    yield "applicant dashboard", applicant, "/applications/", "TO"
    yield "application detail", applicant, f"/applications/{d}/", "TADMOFJCR"
    yield "decision letter", applicant, f"/applications/{d}/letter/", "TONR"
    for step in ("organisation", "project", "resources", "data"):
        fields = {"organisation": "TO", "project": "TAM", "resources": "T", "data": "TDF"}[step]
        yield f"form step {step}", applicant, f"/applications/{a}/edit/{step}/", fields
    yield "review step", applicant, f"/applications/{a}/edit/review/", "TADMOF"
    # JSON in HTML: the quote shows as a backslash and &quot;, hence "json".
    yield "API (browsable)", applicant, f"/api/v1/applications/{d}/?format=api", "json"
    yield "reviewer desk", reviewer, "/review/?status=", "TO"
    yield "assignment page", reviewer, f"/review/assignments/{h.assignment.pk}/", "TADMOF"
    yield "approver desk", approver, "/review/site/?status=", "TO"
    yield "site application page", approver, f"/review/applications/{d}/", "TADMOFJCIX"
    yield "decision letter (approver)", approver, f"/applications/{d}/letter/", "TONR"
    yield "admin application list", staff, "/admin/applications/application/", "TO"
    yield (
        "admin application search",
        staff,
        "/admin/applications/application/?q=" + SCRIPT,
        "",
    )
    change = f"/admin/applications/application/{d}/change/"
    yield "admin application page", staff, change, "TADMOFX"
    yield "admin organisation list", staff, "/admin/organisations/organisation/", "O"
    org_change = f"/admin/organisations/organisation/{h.organisation.pk}/change/"
    yield "admin organisation page", staff, org_change, "O"
    yield "admin user list", staff, "/admin/accounts/user/", "N"
    for model in (ConflictOfInterest, Notification, Assignment):
        if model in admin.site._registry:
            opts = model._meta
            yield (
                f"admin {opts.model_name} list",
                staff,
                f"/admin/{opts.app_label}/{opts.model_name}/",
                "",
            )
            pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
            yield (
                f"admin {opts.model_name} page",
                staff,
                f"/admin/{opts.app_label}/{opts.model_name}/{pk}/change/",
                "",
            )


def test_it_escapes_hostile_user_text_on_every_page(hostile, staff_user):
    checked = []
    for page, user, path, fields in hostile_pages(hostile, staff_user):
        client = Client()
        client.force_login(user)

        response = client.get(path)

        assert response.status_code == 200, (page, path, response.status_code)
        html = response.content.decode()
        for raw in RAW:
            assert raw not in html, f"{page}: unescaped {raw!r} at {path}"
        if fields == "json":
            assert f"[T]{ESCAPED[0]}" in html, f"{page}: no escaped title at {path}"
            fields = ""
        for field in fields:
            assert escaped(field) in html, f"{page}: no escaped {FIELDS[field]} at {path}"
        checked.append(page)
    assert len(checked) >= 20


def test_it_never_shows_the_internal_note_nor_the_decline_reason_to_the_applicant(hostile):
    client = Client()
    client.force_login(hostile.applicant)

    for path in (
        f"/applications/{hostile.decided.pk}/",
        f"/applications/{hostile.decided.pk}/letter/",
    ):
        html = client.get(path).content.decode()
        assert "[I]" not in html
        assert "[X]" not in html


def test_a_line_break_in_a_title_cannot_add_email_headers(modes, site_x):
    """Django refuses newlines in headers; the portal keeps subjects on one line, so that such
    a title neither injects a header nor stops the application's emails."""
    applicant = UserFactory(email="crlf@example.org")
    organisation = organisations_services.organisation_create(
        user=applicant, legal_name="CRLF GmbH", country="DE", org_type="startup", sme_declared=True
    )
    application = applications_services.application_create(
        applicant=applicant,
        organisation=organisation,
        access_mode=modes["fast-lane"],
        system=site_x.system,
        title="Line one\r\nBcc: evil@example.org",
        abstract="x",
        ai_domain="health",
        workload="fine_tuning",
        gpu_hours=1000,
        start_date=timezone.localdate() + timedelta(days=7),
        duration_months=2,
        data_sources="x",
        personal_data=False,
        ai_act_risk="minimal",
    )
    applications_services.application_submit(application=application, actor=applicant)
    routing_services.application_route(application_id=application.pk)
    notifications = list(Notification.objects.filter(application=application))
    assert notifications

    for notification in notifications:
        assert notifications_services.notification_send(notification_id=notification.pk)

    assert len(mail.outbox) == len(notifications)
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "Line one Bcc: evil@example.org" in message.subject
        assert message.bcc == []
        assert "evil@example.org" not in message.recipients()


def test_it_serves_a_hostile_attachment_name_as_a_quoted_download(hostile):
    attachment = Attachment.objects.filter(application=hostile.draft).get()
    client = Client()
    client.force_login(hostile.applicant)

    response = client.get(f"/applications/{hostile.draft.pk}/attachments/{attachment.pk}/")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "<script>" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


# --- CSRF -----------------------------------------------------------------------------------------


def _sample(pattern) -> str:
    """A path segment that matches one URL pattern piece, with sample values for parameters."""
    text = str(pattern)
    if type(pattern).__name__ == "RoutePattern":
        return re.sub(
            r"<(?:(\w+):)?\w+>",
            lambda m: "1" if m.group(1) in ("int", "path", None) else "x1",
            text,
        )
    # Regular expressions: drop the anchors, pick the first alternative of a group of names,
    # and "1" for any other group.
    text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")

    def group(m: re.Match) -> str:
        body = m.group(2)
        if re.fullmatch(r"[\w|]+", body):
            return body.split("|")[0]
        return "1"

    return re.sub(r"\((\?P<\w+>)?((?:[^()]|\([^()]*\))*)\)", group, text)


def url_patterns(patterns=None, prefix: str = "/") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the portal with a concrete path that resolves to it."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + _sample(p.pattern))
        else:
            yield prefix + _sample(p.pattern), p


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def test_it_finds_a_concrete_path_for_every_url_pattern():
    paths = list(url_patterns())

    shadowed = [path for path, pattern in paths if resolve(path).func != pattern.callback]
    # The admin's own login view is never reached: the portal's redirect comes first.
    assert shadowed == ["/admin/login/"]
    assert resolve("/admin/login/").url_name == "admin-login-redirect"
    assert len(paths) > 100  # the admin's, allauth's and ours


def test_no_view_outside_the_api_is_exempt_from_csrf():
    exempt = [
        path
        for path, p in url_patterns()
        if getattr(p.callback, "csrf_exempt", False) and not is_api(path)
    ]

    # The one exception: the language switcher, whose anonymous post (a cookie, nothing stored)
    # needs no token, so that public pages stay cacheable; a signed-in user's post is checked
    # (tests/portal/test_languages.py).
    assert exempt == ["/i18n/setlang/"]


POST_VIEWS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/logout/",
    "/accounts/password/reset/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/authenticate/",
    "/me/api-token/",
    "/applications/new/",
    "/applications/organisations/new/",
    "/applications/1/edit/x1/",
    "/applications/1/submit/",
    "/applications/1/withdraw/",
    "/applications/1/attachments/1/delete/",
    "/review/assignments/1/",
    "/review/assignments/1/accept/",
    "/review/assignments/1/decline/",
    "/review/applications/1/",
    "/admin/applications/application/",
    "/admin/applications/application/1/change/",
    "/admin/factories/system/1/change/",
    "/admin/logout/",
]


@pytest.mark.parametrize("who", ["anonymous", "applicant", "staff"])
def test_every_view_refuses_a_post_without_a_csrf_token(who, alice, staff_user):
    """Walks every URL pattern: a POST without the token never reaches a view. (Signed in as
    staff with TOTP, the admin's views are reachable too.)"""
    user = {"anonymous": None, "applicant": alice, "staff": staff_user}[who]
    client = csrf_client(user)
    paths = [path for path, _ in url_patterns() if not is_api(path)]
    assert set(POST_VIEWS) <= set(paths)

    refused = {}
    for path in paths:
        response = client.post(path, {"title": "forged"})
        refused[path] = (response.status_code, b"CSRF verification failed" in response.content)

    accepted = {path: got for path, got in refused.items() if got != (403, True)}
    # An anonymous visitor's language switch needs no token (it sets a cookie, stores nothing:
    # public pages stay cacheable); here it is refused for its missing language, not for CSRF.
    expected = {"/i18n/setlang/": (400, False)} if user is None else {}
    assert accepted == expected
    assert not Application.objects.filter(title="forged").exists()


def test_a_post_with_the_token_gets_through(alice):
    client = csrf_client(alice)
    client.get("/applications/")  # the dashboard's form sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post("/applications/new/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Application.objects.filter(applicant=alice).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/applications/1/submit/",
        "/applications/1/withdraw/",
        "/applications/1/attachments/1/delete/",
        "/review/assignments/1/accept/",
        "/review/assignments/1/decline/",
    ],
)
def test_actions_refuse_get(path, alice):
    """A GET is not checked for CSRF, so no GET may change anything."""
    client = Client()
    client.force_login(alice)

    assert client.get(path).status_code == 405
    assert not Application.objects.exists()


def test_starting_an_application_needs_a_post(alice):
    """GET /applications/new/ (the Apply links) shows a page with a button; only its POST
    creates the draft."""
    client = Client()
    client.force_login(alice)

    assert client.get("/applications/new/?system=lumi&mode=fast-lane").status_code == 200
    assert not Application.objects.exists()


def test_signing_out_needs_a_post(alice):
    client = Client()
    client.force_login(alice)

    response = client.get("/accounts/logout/")

    assert response.status_code == 200  # a page with a button, not a sign-out
    assert client.session.get("_auth_user_id") == str(alice.pk)


def api_unsafe_operations(ids: dict[str, int]) -> Iterator[tuple[str, str]]:
    """(method, path) of every API operation that changes something."""
    for path, pattern in url_patterns():
        if not path.startswith("/api/v1/"):
            continue
        view = pattern.callback.cls
        path = re.sub(r"/1/", f"/{ids['application']}/", path)
        if "/assignments/" in path:
            path = path.replace(f"/{ids['application']}/", f"/{ids['assignment']}/")
        for method in ("post", "put", "patch", "delete"):
            if hasattr(view, method):
                yield method, path


@pytest.fixture
def api_objects(alice, alice_org, modes):
    draft = applications_services.application_create(
        applicant=alice, organisation=alice_org, title="Draft via the API"
    )
    return {"application": draft.pk, "assignment": 1}


def test_the_api_with_a_session_needs_the_csrf_token(alice, api_objects):
    client = csrf_client(alice)
    operations = list(api_unsafe_operations(api_objects))
    assert ("post", "/api/v1/applications/") in operations
    assert ("patch", f"/api/v1/applications/{api_objects['application']}/") in operations
    assert len(operations) >= 9

    for method, path in operations:
        response = getattr(client, method)(
            path, {"title": "forged"}, content_type="application/json"
        )

        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["detail"].startswith("CSRF Failed"), (method, path)
    assert not Application.objects.filter(title="forged").exists()


def test_the_api_with_a_session_and_the_token_works(alice, api_objects):
    client = csrf_client(alice)
    client.get("/applications/")
    token = client.cookies["csrftoken"].value

    response = client.patch(
        f"/api/v1/applications/{api_objects['application']}/",
        {"title": "Renamed"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"


def test_the_api_with_a_token_needs_no_csrf_token(alice, api_objects):
    key = Token.objects.create(user=alice).key
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")

    response = client.patch(
        f"/api/v1/applications/{api_objects['application']}/",
        {"title": "Renamed by a script"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed by a script"


def test_the_api_refuses_a_post_without_credentials_with_401(api_objects):
    response = csrf_client().post(
        "/api/v1/applications/", {"title": "x"}, content_type="application/json"
    )

    assert response.status_code == 401


# --- Rate limits (allauth) ------------------------------------------------------------------------


@pytest.fixture
def limits():
    """allauth's rate limits, counted from an empty cache (where allauth keeps its counters)."""
    from allauth.account import app_settings
    from django.core.cache import cache

    cache.clear()
    return app_settings.RATE_LIMITS


def test_it_keeps_allauths_rate_limits_on(limits):
    assert limits["login_failed"] == "10/m/ip,5/300s/key"
    assert limits["login"] == "30/m/ip"
    assert limits["signup"] == "20/m/ip"
    assert limits["reset_password"] == "20/m/ip,5/m/key"


def test_it_stops_password_guessing_for_an_account_after_five_failures(client, limits):
    user = UserFactory(email="victim@example.org")
    wrong = {"login": user.email, "password": "not-the-password"}

    failures = [client.post("/accounts/login/", wrong) for _ in range(5)]
    blocked = client.post("/accounts/login/", wrong)
    even_right = client.post(
        "/accounts/login/", {"login": user.email, "password": "a-long-test-password"}
    )

    for response in failures:
        assert response.status_code == 200
        assert "The email address and/or password you specified are not correct." in (
            response.content.decode()
        )
    for response in (blocked, even_right):
        assert response.status_code in (200, 429)
        assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_stops_password_guessing_from_one_address_across_accounts(client, limits):
    for i in range(10):
        client.post("/accounts/login/", {"login": f"user{i}@example.org", "password": "guess"})

    response = client.post("/accounts/login/", {"login": "user10@example.org", "password": "x"})

    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_it_limits_login_attempts_per_address(client, limits):
    statuses = [
        client.post("/accounts/login/", {"login": "", "password": ""}).status_code
        for _ in range(31)
    ]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    page = client.post("/accounts/login/", {"login": "", "password": ""})
    assert page.status_code == 429
    assert '<h1 class="h3">Too many attempts</h1>' in page.content.decode()  # the portal's page


def test_it_limits_sign_ups_per_address(client, limits):
    statuses = [
        client.post(
            "/accounts/signup/",
            {"email": f"new{i}@example.org", "password1": "short", "password2": "short"},
        ).status_code
        for i in range(21)
    ]

    assert statuses[:20] == [200] * 20  # refused for the short password, but counted
    assert statuses[20] == 429


def test_it_limits_password_reset_requests_per_account(client, limits):
    user = UserFactory(email="forgetful@example.org")

    statuses = [
        client.post("/accounts/password/reset/", {"email": user.email}).status_code
        for _ in range(6)
    ]

    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429


# --- The admin requires the second factor ---------------------------------------------------------


def current_code(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def test_the_admins_own_login_form_cannot_sign_anybody_in(client, staff_user):
    staff_user.set_password("staff-password-123")
    staff_user.save()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff_user.email, "password": "staff-password-123"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_password_alone_does_not_open_the_admin(client, staff_user):
    staff_user.set_password("staff-password-123")
    staff_user.save()

    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": staff_user.email, "password": "staff-password-123"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 302
    assert admin_page["Location"].startswith("/admin/login/")

    second_factor = client.post("/accounts/2fa/authenticate/", {"code": current_code(staff_user)})

    assert second_factor.status_code == 302
    assert second_factor["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_second_factor_is_rate_limited_too(client, staff_user):
    staff_user.set_password("staff-password-123")
    staff_user.save()
    client.post("/accounts/login/", {"login": staff_user.email, "password": "staff-password-123"})
    wrong = "000000" if current_code(staff_user) != "000000" else "111111"

    failures = [client.post("/accounts/2fa/authenticate/", {"code": wrong}) for _ in range(5)]
    blocked = client.post("/accounts/2fa/authenticate/", {"code": current_code(staff_user)})

    for response in failures:
        assert response.status_code == 200
        assert "Incorrect code." in response.content.decode()
    assert "Too many failed login attempts. Try again later." in blocked.content.decode()
    assert "_auth_user_id" not in client.session


# --- Uploads (what test_attachments.py does not cover) --------------------------------------------


def test_it_refuses_an_html_page_sent_as_a_pdf(alice, alice_org, media):
    draft = applications_services.application_create(applicant=alice, organisation=alice_org)
    client = Client()
    client.force_login(alice)
    page = SimpleUploadedFile(
        "report.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )

    response = client.post(
        f"/applications/{draft.pk}/edit/data/",
        {"data_sources": "x", "personal_data": "no", "attachment": page, "go": "stay"},
    )

    assert response.status_code == 200
    assert "report.pdf is not a PDF file (its content is not PDF, whatever its name)." in (
        response.content.decode()
    )
    assert not Attachment.objects.exists()


def test_it_refuses_a_request_body_beyond_the_upload_limits(alice, alice_org, settings):
    """Django's own limits stop oversized form bodies before any view reads them."""
    draft = applications_services.application_create(applicant=alice, organisation=alice_org)
    client = Client()
    client.force_login(alice)

    response = client.post(
        f"/applications/{draft.pk}/edit/project/",
        {"title": "x", "abstract": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
    )

    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.abstract == ""
