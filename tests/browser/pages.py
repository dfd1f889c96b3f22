"""Every HTML page of the portal, by the role that sees it, with the people and records that make
each one show what it can (tests/browser/test_accessibility.py runs axe-core on each, and
tests/browser/test_phone.py checks each on a 390 px screen).

`PAGES` names each page by its URL name; `NOT_PAGES` gives, for every other URL name of
`portal.urls` outside the admin and the API, the reason it is not a page of its own (a POST
that answers with another page, a file, a redirect). test_accessibility checks that the two
cover every URL name, so a new page cannot be added without being checked.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext

from allocations import services as allocation_services
from allocations.models import Allocation
from allocations.services import changes, reclaim
from applications import services
from applications.models import Application, ApplicationStatus
from notifications.selectors import unsubscribe_token
from reviews.services import decisions as review_services
from tests.accounts.conftest import provider_env, use_providers
from tests.fixtures.reviews import review
from tests.model_factories import UserFactory


@dataclass
class World:
    """Everybody and every kind of page, at LUMI AI Factory."""

    alice: Any
    tess: Any  # technical reviewer
    paula: Any  # site approver
    sam: Any  # staff
    draft: Application
    decided: Application
    ready: Application  # under review, reviews complete: the approver's decision form
    open_assignment: Any  # Tess's pending assignment
    allocation: Allocation  # the decided application's: live, used, a change asked, a notice


@pytest.fixture
def world(alice, alice_org, complete_values, site_x, submit_application, celery_eager, settings):
    draft = services.application_create(applicant=alice, **complete_values)
    services.team_members_set(
        application=draft,
        actor=alice,
        members=[{"name": "Alice Applicant", "email": "alice@example.org", "role": "PI"}],
    )
    tess = site_x.technical[0]
    # Routing runs at submit (Celery is eager here): Fast Lane needs one technical review, and
    # Tess (health expertise, fewest open assignments) gets it.
    decided = submit_application(title="Clinical language model")
    review(decided.assignments.get())
    review_services.application_decide(
        application=decided,
        approver=site_x.approver,
        outcome="approve",
        gpu_hours=800,
        comment="A clear plan; fewer GPU-hours suffice for the first phase.",
    )
    ready = submit_application(title="Protein structure search")
    review(ready.assignments.get())
    waiting = submit_application(title="Radiology report summarisation")
    sam = UserFactory(email="sam@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(sam, generate_totp_secret())
    RecoveryCodes.activate(sam)
    for application in (decided, ready, waiting):
        application.refresh_from_db()
    assert decided.status == ApplicationStatus.APPROVED
    assert ready.status == waiting.status == ApplicationStatus.UNDER_REVIEW
    allocation = Allocation.objects.get(application=decided)
    allocation_services.allocation_activate(allocation, actor=None, reason="Hand-off completed")
    allocation = allocation_services.allocation_record_usage(allocation, Decimal("120.5"))
    changes.change_request_create(
        allocation,
        user=alice,
        kind="extension",
        reason="The data arrive a month late.",
        new_end=allocation.end + datetime.timedelta(days=30),
    )
    reclaim.reclaim_notice_create(
        allocation, approver=site_x.approver, gpu_hours=300, reason="Idle for three weeks."
    )
    # A sign-in provider, so that the login page shows its button and its own sign-in page
    # exists (nothing is asked of the provider before somebody presses that button).
    use_providers(
        settings,
        provider_env("myaccessid", "https://proxy.myaccessid.org", "portal", "not-a-secret"),
    )
    return World(
        alice=alice,
        tess=tess,
        paula=site_x.approver,
        sam=sam,
        draft=draft,
        decided=decided,
        ready=ready,
        open_assignment=waiting.assignments.get(reviewer=tess),
        allocation=allocation,
    )


def sign_in(context: BrowserContext, base_url: str, user) -> None:
    """The browser gets the session of a user signed in with the test client (as if they had
    passed the login form and, for staff and reviewers, the second factor)."""
    client = sign_in_client(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def sign_in_client(client: Client, user) -> Client:
    client.force_login(user)
    # Signed in a moment ago: the pages that ask to confirm access first (two-factor set-up,
    # recovery codes) show themselves.
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session[AUTHENTICATION_METHODS_SESSION_KEY + "_user"] = str(user.pk)
    session.save()
    return client


@dataclass(frozen=True)
class PortalPage:
    url_name: str  # as `reverse` takes it; several pages may show one URL in different states
    label: str
    path: Callable[[World], str]
    status: int = 200
    ready: str = ""  # a selector to wait for, on a page its scripts build after loading


def _allocation(w: World) -> str:
    return f"/applications/{w.decided.pk}/allocation/"


def _report(w: World) -> str:
    return f"{_allocation(w)}reports/{w.allocation.reports.order_by('pk').first().pk}/"


def _unsubscribe(w: World) -> str:
    return f"/notifications/unsubscribe/?t={unsubscribe_token(w.alice.email, 'receipt')}"


# The roles, in the order they are checked; None is a visitor who is not signed in.
ROLES = ("anonymous", "applicant", "reviewer", "approver", "staff")

PAGES: dict[str, list[PortalPage]] = {
    "anonymous": [
        PortalPage("factories:home", "home", lambda w: "/"),
        PortalPage("factories:factory-list", "factory list", lambda w: "/factories/"),
        PortalPage(
            "factories:factory-list",
            "factory list, filtered",
            lambda w: "/factories/?country=FI&kind=supercomputer",
        ),
        PortalPage("factories:factory-detail", "factory detail", lambda w: "/factories/lumi-aif/"),
        PortalPage(
            "factories:factory-detail",
            "not found",
            lambda w: "/factories/no-such-factory/",
            status=404,
        ),
        PortalPage("factories:system-detail", "system detail", lambda w: "/systems/lumi/"),
        PortalPage("factories:antenna-list", "antennas", lambda w: "/antennas/"),
        PortalPage("factories:antenna-detail", "antenna detail", lambda w: "/antennas/antenna-be/"),
        PortalPage("factories:access-mode-list", "access modes", lambda w: "/access-modes/"),
        PortalPage(
            "factories:access-mode-detail",
            "access mode detail",
            lambda w: "/access-modes/fast-lane/",
        ),
        PortalPage("finder:finder", "finder", lambda w: "/finder/"),
        PortalPage(
            "finder:finder",
            "finder with results",
            lambda w: "/finder/?gpu_hours=5000&ai_domain=health",
        ),
        PortalPage(
            "finder:finder",
            "finder refusing a bad input",
            lambda w: "/finder/?org_type=startup&gpu_hours=-1",
        ),
        PortalPage("stats:statistics", "statistics", lambda w: "/statistics/"),
        PortalPage(
            "api-docs",
            "API documentation",
            lambda w: "/api/docs/",
            ready=".swagger-ui .opblock-tag",
        ),
        PortalPage("account_login", "sign-in", lambda w: "/accounts/login/"),
        PortalPage("account_signup", "sign-up", lambda w: "/accounts/signup/"),
        PortalPage(
            "account_reset_password", "password reset", lambda w: "/accounts/password/reset/"
        ),
        PortalPage(
            "account_reset_password_done",
            "password reset sent",
            lambda w: "/accounts/password/reset/done/",
        ),
        PortalPage(
            "account_reset_password_from_key",
            "password reset, bad link",
            lambda w: "/accounts/password/reset/key/1-bad-key/",
        ),
        PortalPage(
            "account_reset_password_from_key_done",
            "password reset done",
            lambda w: "/accounts/password/reset/key/done/",
        ),
        PortalPage(
            "account_email_verification_sent",
            "verification sent",
            lambda w: "/accounts/confirm-email/",
        ),
        PortalPage(
            "account_confirm_email",
            "email confirmation, bad link",
            lambda w: "/accounts/confirm-email/bad-key/",
        ),
        PortalPage("account_inactive", "inactive account", lambda w: "/accounts/inactive/"),
        PortalPage(
            "openid_connect_login",
            "OpenID Connect sign-in",
            lambda w: "/accounts/oidc/myaccessid/login/",
        ),
        PortalPage(
            "openid_connect_callback",
            "OpenID Connect sign-in failed",
            lambda w: "/accounts/oidc/myaccessid/login/callback/",
            status=401,
        ),
        PortalPage(
            "socialaccount_login_cancelled",
            "sign-in cancelled",
            lambda w: "/accounts/3rdparty/login/cancelled/",
        ),
        PortalPage(
            "socialaccount_login_error",
            "sign-in error",
            lambda w: "/accounts/3rdparty/login/error/",
            status=401,
        ),
        PortalPage("notifications:unsubscribe", "unsubscribe", _unsubscribe),
        PortalPage(
            "notifications:unsubscribe",
            "unsubscribe, bad link",
            lambda w: "/notifications/unsubscribe/?t=forged",
            status=400,
        ),
    ],
    "applicant": [
        PortalPage("applications:dashboard", "dashboard", lambda w: "/applications/"),
        PortalPage(
            "applications:application-new", "new application", lambda w: "/applications/new/"
        ),
        PortalPage(
            "organisations:organisation-create",
            "organisation form",
            lambda w: "/applications/organisations/new/",
        ),
        *(
            PortalPage(
                "applications:application-edit",
                f"step {n}, {step}",
                lambda w, step=step: f"/applications/{w.draft.pk}/edit/{step}/",
            )
            for n, step in enumerate(["organisation", "project", "resources", "data", "review"], 1)
        ),
        PortalPage(
            "applications:application-detail",
            "application detail",
            lambda w: f"/applications/{w.decided.pk}/",
        ),
        PortalPage(
            "applications:decision-letter",
            "decision letter",
            lambda w: f"/applications/{w.decided.pk}/letter/",
        ),
        PortalPage("allocations:detail", "allocation, holder", _allocation),
        PortalPage("allocations:report", "report form", _report),
        PortalPage("accounts:profile", "profile", lambda w: "/me/profile/"),
        PortalPage("accounts:api-token", "API token", lambda w: "/me/api-token/"),
        PortalPage(
            "notifications:preferences",
            "notification preferences",
            lambda w: "/notifications/preferences/",
        ),
        PortalPage("mfa_index", "two-factor authentication", lambda w: "/accounts/2fa/"),
        PortalPage(
            "mfa_activate_totp", "two-factor set-up", lambda w: "/accounts/2fa/totp/activate/"
        ),
        PortalPage("account_email", "email addresses", lambda w: "/accounts/email/"),
        PortalPage(
            "account_change_password", "password change", lambda w: "/accounts/password/change/"
        ),
        PortalPage(
            "account_reauthenticate", "confirm access", lambda w: "/accounts/reauthenticate/"
        ),
        PortalPage(
            "socialaccount_connections", "sign-in providers", lambda w: "/accounts/3rdparty/"
        ),
        PortalPage("account_logout", "sign-out", lambda w: "/accounts/logout/"),
    ],
    "reviewer": [
        PortalPage("review:desk", "review desk", lambda w: "/review/"),
        PortalPage("review:desk", "review desk, all", lambda w: "/review/?status="),
        PortalPage(
            "review:assignment-detail",
            "assignment",
            lambda w: f"/review/assignments/{w.open_assignment.pk}/",
        ),
    ],
    "approver": [
        PortalPage("review:desk", "desk with site applications", lambda w: "/review/"),
        PortalPage("review:site-applications", "site applications", lambda w: "/review/site/"),
        PortalPage(
            "review:site-application",
            "site application with decision form",
            lambda w: f"/review/applications/{w.ready.pk}/",
        ),
        PortalPage(
            "review:site-application",
            "decided site application",
            lambda w: f"/review/applications/{w.decided.pk}/",
        ),
        PortalPage("allocations:detail", "allocation, site", _allocation),
        PortalPage("review:capacity", "capacity", lambda w: "/review/capacity/"),
        PortalPage("allocations:reports", "missing reports", lambda w: "/review/reports/"),
        PortalPage("allocations:usage", "usage per system", lambda w: "/review/usage/"),
    ],
    "staff": [
        PortalPage("review:staff-stats", "deadlines per factory", lambda w: "/review/stats/"),
        PortalPage("periodic-jobs", "periodic jobs", lambda w: "/staff/jobs/"),
        PortalPage(
            "finder:application-propose",
            "propose another system",
            lambda w: f"/finder/applications/{w.ready.pk}/propose/",
        ),
        PortalPage(
            "mfa_view_recovery_codes", "recovery codes", lambda w: "/accounts/2fa/recovery-codes/"
        ),
        PortalPage(
            "mfa_generate_recovery_codes",
            "new recovery codes",
            lambda w: "/accounts/2fa/recovery-codes/generate/",
        ),
        PortalPage(
            "mfa_deactivate_totp", "two-factor removal", lambda w: "/accounts/2fa/totp/deactivate/"
        ),
        PortalPage(
            "mfa_reauthenticate",
            "confirm access with a code",
            lambda w: "/accounts/2fa/reauthenticate/",
        ),
    ],
}

# Every other URL name outside the admin and the API, and why it is no page of its own.
POST_ONLY = "a POST only: it redirects, or shows the page it came from with the errors"
NOT_PAGES: dict[str, str] = {
    "healthz": "JSON for the load balancer",
    "start": "a redirect to the user's own page by role",
    "set_language": "a POST only: the language switcher's form, then a redirect",
    "applications:application-submit": POST_ONLY,
    "applications:application-withdraw": POST_ONLY,
    "applications:attachment-download": "a file download",
    "applications:attachment-delete": POST_ONLY,
    "review:assignment-accept": POST_ONLY,
    "review:assignment-decline": POST_ONLY,
    "review:site-attachment-download": "a file download",
    "allocations:letter": "a PDF file",
    "allocations:move": POST_ONLY,
    "allocations:change-request-new": POST_ONLY + " (the allocation page)",
    "allocations:change-request-decide": POST_ONLY + " (the allocation page)",
    "allocations:reclaim-new": POST_ONLY + " (the allocation page)",
    "allocations:reclaim-answer": POST_ONLY + " (the allocation page)",
    "allocations:reclaim-decide": POST_ONLY + " (the allocation page)",
    "finder:application-move": POST_ONLY + " (the application page, or move_refused)",
    "mfa_download_recovery_codes": "a text file",
    "mfa_authenticate": "only between the password and the second factor of a sign-in",
    "account_set_password": "a redirect to the password change for users with a password",
    "account_request_reauthentication_code": "sign-in by emailed code is off",
    "account_confirm_reauthentication_code": "sign-in by emailed code is off",
    "account_confirm_login_code": "sign-in by emailed code is off",
    "socialaccount_signup": "only during a provider's first sign-in (tested in test_oidc_sign_in)",
}
