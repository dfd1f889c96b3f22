"""Bench data for the authenticated pages of `bench/run.py`; prints their request headers as JSON.

Run by run.py with the bench environment (the same DATABASE_URL and DJANGO_SECRET_KEY as the
server, which signs the session). Idempotent: it tops the data up to the sizes below and creates
nothing on a second run except two fresh sessions.

- an applicant with 50 applications of their own (all statuses but decided ones) and an
  organisation they represent;
- a technical reviewer at lumi-aif (a SiteRole, hence a TOTP authenticator) with 50 open
  assignments, on applications of other applicants;
- other applicants' applications up to BENCH_APPLICATIONS in all, so that the lists filter a
  realistically filled table.

Only rows of the bench users (emails under BENCH_DOMAIN) are created; nothing is deleted.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from access_requests.models import (  # noqa: E402
    AccessMode,
    Application,
    ApplicationStatus,
    Assignment,
    Membership,
    Organisation,
    SiteRole,
)
from factories.models import AIFactory, System  # noqa: E402

User = get_user_model()

BENCH_DOMAIN = "pages.bench.example.org"
APPLICANT_EMAIL = f"applicant@applicant.{BENCH_DOMAIN}"
REVIEWER_EMAIL = f"reviewer@reviewer.{BENCH_DOMAIN}"
OTHER_APPLICANTS = 20
APPLICANT_APPLICATIONS = 50
REVIEWER_ASSIGNMENTS = 50
BENCH_APPLICATIONS = 1_000  # all applications of the bench users together
SITE, SYSTEM, MODE = "lumi-aif", "lumi", "fast-lane"
BACKEND = "accounts.backends.ModelBackend"
# The applicant's applications cycle through these (no decided ones: those need a Decision).
STATUSES = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.NEEDS_ATTENTION,
    ApplicationStatus.WITHDRAWN,
]


def user(email: str, first: str, last: str):
    found, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last}
    )
    if created:
        found.set_unusable_password()  # sessions are made below; nobody signs in
        found.save()
        EmailAddress.objects.create(user=found, email=email, verified=True, primary=True)
    return found


def organisation(owner, name: str) -> Organisation:
    membership = Membership.objects.filter(user=owner).select_related("organisation").first()
    if membership:
        return membership.organisation
    org = Organisation.objects.create(legal_name=name, country="DE", org_type="startup")
    Membership.objects.create(user=owner, organisation=org, role=Membership.Role.REPRESENTATIVE)
    return org


def applications(owner, org, count: int, *, status=None, label: str) -> list[Application]:
    """`count` applications of `owner` (fast lane on lumi), all of them saved."""
    mode = AccessMode.objects.get(slug=MODE)
    system = System.objects.get(slug=SYSTEM)
    now = timezone.now()
    made = []
    for index in range(count):
        state = status or STATUSES[index % len(STATUSES)]
        submitted = state != ApplicationStatus.DRAFT
        made.append(
            Application(
                applicant=owner, organisation=org, access_mode=mode, system=system, status=state,
                title=f"{label} {index + 1}: fine-tuning a domain model",
                abstract="Bench data.", ai_domain="health", workload="fine_tuning",
                gpu_hours=1_000 + 10 * index, start_date=(now + timedelta(days=30)).date(),
                duration_months=3, personal_data=False, ai_act_risk="minimal",
                submitted_at=now - timedelta(hours=index) if submitted else None,
                expected_decision_by=(now + timedelta(days=10)).date() if submitted else None,
            )
        )  # fmt: skip
    return Application.objects.bulk_create(made)


def cookies_for(person) -> str:
    """The cookies of a signed-in browser: its session (of the configured engine) and the CSRF
    secret a browser keeps after its first page."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(person.pk)
    session["_auth_user_backend"] = BACKEND
    session["_auth_user_hash"] = person.get_session_auth_hash()
    session.create()
    csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )


@transaction.atomic
def main() -> dict:
    site = AIFactory.objects.get(slug=SITE)
    applicant = user(APPLICANT_EMAIL, "Bench", "Applicant")
    applicant_org = organisation(applicant, "Bench Applicant GmbH")
    missing = APPLICANT_APPLICATIONS - Application.objects.filter(applicant=applicant).count()
    if missing > 0:
        applications(applicant, applicant_org, missing, label="Bench application")

    reviewer = user(REVIEWER_EMAIL, "Bench", "Reviewer")
    # At capacity (50 of 50): bench/routing.py, on the same database, never routes to them.
    SiteRole.objects.update_or_create(
        user=reviewer, factory=site, role=SiteRole.Role.TECHNICAL,
        defaults={"max_open_assignments": REVIEWER_ASSIGNMENTS, "expertise": ["health"]},
    )  # fmt: skip
    if not Authenticator.objects.filter(user=reviewer, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(reviewer, generate_totp_secret())

    others = [
        user(f"applicant{n:02d}@other{n:02d}.{BENCH_DOMAIN}", "Other", f"Applicant {n:02d}")
        for n in range(1, OTHER_APPLICANTS + 1)
    ]
    other_orgs = [organisation(o, f"Other Applicant {n:02d} Oy") for n, o in enumerate(others, 1)]
    today = timezone.localdate()
    missing = (
        REVIEWER_ASSIGNMENTS
        - Assignment.objects.filter(reviewer=reviewer, status__in=Assignment.OPEN).count()
    )
    for index in range(max(missing, 0)):
        owner = index % OTHER_APPLICANTS
        (app,) = applications(
            others[owner], other_orgs[owner], 1,
            status=ApplicationStatus.UNDER_REVIEW, label=f"Bench assigned {index + 1}",
        )  # fmt: skip
        Assignment.objects.create(
            application=app, reviewer=reviewer, kind=Assignment.Kind.TECHNICAL,
            due_by=today + timedelta(days=3 + index % 20),
        )  # fmt: skip

    bench_users = [applicant, *others]
    missing = BENCH_APPLICATIONS - Application.objects.filter(applicant__in=bench_users).count()
    per_owner = -(-max(missing, 0) // OTHER_APPLICANTS)
    for owner, org in zip(others, other_orgs, strict=True):
        if missing <= 0:
            break
        made = applications(owner, org, min(per_owner, missing), label="Bench other")
        missing -= len(made)

    return {
        "applicant": {
            "Cookie": cookies_for(applicant),
            "Authorization": f"Token {Token.objects.get_or_create(user=applicant)[0].key}",
        },
        "reviewer": {
            "Cookie": cookies_for(reviewer),
            "Authorization": f"Token {Token.objects.get_or_create(user=reviewer)[0].key}",
        },
        "counts": {
            "applicant_applications": Application.objects.filter(applicant=applicant).count(),
            "reviewer_open_assignments": Assignment.objects.filter(
                reviewer=reviewer, status__in=Assignment.OPEN
            ).count(),
            "bench_applications": Application.objects.filter(applicant__in=bench_users).count(),
            "applications_in_database": Application.objects.count(),
        },
    }


if __name__ == "__main__":
    print(json.dumps(main()))
