"""Bench data, and what the benches count in-process: the one bench module that imports the portal.

Every import of the portal's models and services by a bench is here (the rest of bench/ talks
HTTP or SQL-free process control), so a move of the portal's apps changes this file only.

Run with the environment of the server it prepares (bench/common.py `bench_environment`: the
same DATABASE_URL, CACHE_URL and DJANGO_SECRET_KEY, which signs nothing here but the sessions
are stored where the server reads them). Each command prints progress notes, then one line of
JSON:

    data.py pages --size N [--probe PATH USER ...]   # bench/run.py
    data.py rush-prepare --size N --applicants 100 --reviewers 10   # bench/rush.py
    data.py rush-check --wait 60                                    # bench/rush.py
    data.py profile --size N --path PATH --user applicant --header Cookie   # by hand

bench/routing.py imports it in-process (after configuring Django) for the routing bench's data.

The data (all under BENCH_DOMAIN, nothing else is touched or deleted):

- the measured people, the same at every size, at lumi-aif: an applicant with 60 applications
  (so a first page of 25 is full), a technical reviewer with 60 open assignments, and an
  approver whose site list shows the 110 non-draft applications at lumi-aif;
- bulk applicants (5 applications each, an organisation each) at four other sites, with their
  sites' reviewers, open assignments, decisions and events, up to `--size` applications in the
  database. Statuses never include "submitted": a routing worker on the same database (the
  rush) would otherwise route the whole backlog.

Idempotent: a second run at the same size adds nothing but fresh sessions; at a larger size it
adds the difference (bulk_create in batches of 5,000; about a minute for 100,000) and ANALYZEs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
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
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Min  # noqa: E402
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from applications.models import (  # noqa: E402
    AccessMode,
    AIDomain,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Attachment,
    TeamMember,
)
from factories.models import AIFactory, System  # noqa: E402
from notifications.models import Notification  # noqa: E402
from organisations.models import Membership, Organisation  # noqa: E402
from portal.workdays import add_working_days  # noqa: E402
from reviews.models import Assignment, Decision, Review, RoutingRecord, SiteRole  # noqa: E402

User = get_user_model()

BENCH_DOMAIN = "pages.bench.example.org"
BACKEND = settings.AUTHENTICATION_BACKENDS[0]
BATCH = 5_000

# --- The measured people (lumi-aif) ---------------------------------------------------------------

SITE, SYSTEM, MODE = "lumi-aif", "lumi", "fast-lane"
APPLICANT_EMAIL = f"applicant@applicant.{BENCH_DOMAIN}"
REVIEWER_EMAIL = f"reviewer@reviewer.{BENCH_DOMAIN}"
APPROVER_EMAIL = f"approver@approver.{BENCH_DOMAIN}"
APPLICANT_APPLICATIONS = 60
REVIEWER_ASSIGNMENTS = 60
ASSIGNED_OWNERS = 20  # other applicants whose applications the reviewer reviews
S = ApplicationStatus
# The applicant's applications cycle through these (no decided ones; none "submitted", which a
# routing worker would pick up).
APPLICANT_STATUSES = [S.DRAFT, S.UNDER_REVIEW, S.UNDER_REVIEW, S.NEEDS_ATTENTION, S.WITHDRAWN,
                      S.UNDER_REVIEW]  # fmt: skip

# --- The bulk (other sites) -----------------------------------------------------------------------

BULK_DOMAIN = f"bulk.{BENCH_DOMAIN}"
BULK_SITES = ("bsc-aif", "it4lia", "mimer", "pharos")
BULK_REVIEWERS_PER_SITE = 20
BULK_APPLICATIONS_EACH = 5
BULK_COUNTRIES = ("DE", "FR", "IT", "ES", "FI", "SE", "NL", "PL", "AT", "BE")
# 20 applications: 4 drafts, 6 under review, 1 needs attention, 5 approved, 2 rejected,
# 2 withdrawn.
BULK_STATUSES = [S.DRAFT, S.UNDER_REVIEW, S.APPROVED, S.DRAFT, S.UNDER_REVIEW, S.REJECTED,
                 S.UNDER_REVIEW, S.APPROVED, S.WITHDRAWN, S.DRAFT, S.UNDER_REVIEW, S.APPROVED,
                 S.NEEDS_ATTENTION, S.UNDER_REVIEW, S.APPROVED, S.DRAFT, S.REJECTED,
                 S.UNDER_REVIEW, S.APPROVED, S.WITHDRAWN]  # fmt: skip
MIN_SIZE = APPLICANT_APPLICATIONS + REVIEWER_ASSIGNMENTS

# --- The cut-off rush (l-aif: no other reviewer there) --------------------------------------------

RUSH_DOMAIN = "rush.bench.example.org"
RUSH_APPLICANT_DOMAIN = f"applicants.{RUSH_DOMAIN}"
RUSH_REVIEWER_DOMAIN = f"reviewers.{RUSH_DOMAIN}"
RUSH_SITE, RUSH_SYSTEM, RUSH_MODE = "l-aif", "meluxina", "fast-lane"
RUSH_CAPACITY = 100_000_000  # GPU-hours a year: more than a rush's submissions ask for


def note(text: str) -> None:
    print(text, flush=True)


# --- People ---------------------------------------------------------------------------------------


def person(email: str, first: str, last: str):
    """A user with a verified address and no usable password (sessions are made here)."""
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def represented_organisation(owner, name: str, org_type: str = "startup") -> Organisation:
    membership = Membership.objects.filter(user=owner).select_related("organisation").first()
    if membership:
        return membership.organisation
    org = Organisation.objects.create(
        legal_name=name, country="DE", org_type=org_type,
        sme_declared_on=timezone.localdate() if org_type in ("startup", "sme") else None,
    )  # fmt: skip
    Membership.objects.create(user=owner, organisation=org, role=Membership.Role.REPRESENTATIVE)
    return org


def with_totp(user) -> None:
    """Reviewers and approvers must have a second factor (accounts.middleware)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


def session_key_for(user) -> str:
    """A signed-in session of the configured engine (cached_db: the database and the cache)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = BACKEND
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def credentials(user) -> dict[str, str]:
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key_for(user)}",
        "Authorization": f"Token {token_for(user)}",
    }


# --- Applications ---------------------------------------------------------------------------------


def _application(owner_id, org_id, *, mode, system, status, index: int, label: str, now):
    submitted = status != S.DRAFT
    return Application(
        applicant_id=owner_id, organisation_id=org_id, access_mode=mode, system=system,
        status=status, title=f"{label} {index + 1}: fine-tuning a domain model",
        abstract="Bench data.", ai_domain=AIDomain.values[index % len(AIDomain.values)],
        workload="fine_tuning", gpu_hours=1_000 + 10 * (index % 4_000),
        start_date=(now + timedelta(days=30)).date(), duration_months=3, personal_data=False,
        ai_act_risk="minimal", data_sources="Public corpora.",
        submitted_at=now - timedelta(hours=index % 2_000) if submitted else None,
        expected_decision_by=(now + timedelta(days=10 - index % 20)).date() if submitted else None,
        decided_at=now if status in (S.APPROVED, S.REJECTED) else None,
    )  # fmt: skip


def _events(applications: list[Application]) -> list[ApplicationEvent]:
    """What the services would have written: created, and submitted for all but drafts."""
    rows = []
    for a in applications:
        rows.append(
            ApplicationEvent(
                application=a, actor_id=a.applicant_id, kind="created", from_status="",
                to_status=S.DRAFT, message="Draft created.",
            )
        )  # fmt: skip
        if a.status != S.DRAFT:
            rows.append(
                ApplicationEvent(
                    application=a, actor_id=a.applicant_id, kind="submitted",
                    from_status=S.DRAFT, to_status=S.SUBMITTED, message="Application submitted.",
                )
            )  # fmt: skip
    return rows


def _measured_people() -> dict:
    """The applicant, the reviewer and the approver of the signed-in pages, with their data."""
    now = timezone.now()
    today = timezone.localdate()
    site = AIFactory.objects.get(slug=SITE)
    system = System.objects.get(slug=SYSTEM)
    mode = AccessMode.objects.get(slug=MODE)
    made = 0

    applicant = person(APPLICANT_EMAIL, "Bench", "Applicant")
    org = represented_organisation(applicant, "Bench Applicant GmbH")
    have = Application.objects.filter(applicant=applicant).count()
    if have < APPLICANT_APPLICATIONS:
        apps = Application.objects.bulk_create(
            _application(applicant.pk, org.pk, mode=mode, system=system, index=i, now=now,
                         status=APPLICANT_STATUSES[i % len(APPLICANT_STATUSES)],
                         label="Bench application")
            for i in range(have, APPLICANT_APPLICATIONS)
        )  # fmt: skip
        ApplicationEvent.objects.bulk_create(_events(apps))
        made += len(apps)

    reviewer = person(REVIEWER_EMAIL, "Bench", "Reviewer")
    # At capacity: a routing worker on the same database never routes to them.
    SiteRole.objects.update_or_create(
        user=reviewer, factory=site, role=SiteRole.Role.TECHNICAL,
        defaults={"max_open_assignments": REVIEWER_ASSIGNMENTS, "expertise": ["health"],
                  "is_active": True},
    )  # fmt: skip
    with_totp(reviewer)
    owners = []
    for n in range(1, ASSIGNED_OWNERS + 1):
        owner = person(
            f"applicant{n:02d}@other{n:02d}.{BENCH_DOMAIN}", "Other", f"Applicant {n:02d}"
        )
        owners.append((owner, represented_organisation(owner, f"Other Applicant {n:02d} Oy")))
    have = Assignment.objects.filter(reviewer=reviewer).count()
    if have < REVIEWER_ASSIGNMENTS:
        apps = Application.objects.bulk_create(
            _application(owners[i % ASSIGNED_OWNERS][0].pk, owners[i % ASSIGNED_OWNERS][1].pk,
                         mode=mode, system=system, status=S.UNDER_REVIEW, index=i, now=now,
                         label="Bench assigned")
            for i in range(have, REVIEWER_ASSIGNMENTS)
        )  # fmt: skip
        ApplicationEvent.objects.bulk_create(_events(apps))
        Assignment.objects.bulk_create(
            Assignment(
                application=a, reviewer=reviewer, kind=Assignment.Kind.TECHNICAL,
                status=Assignment.Status.ACCEPTED if i % 2 else Assignment.Status.PENDING,
                due_by=today + timedelta(days=3 + i % 20),
            )
            for i, a in enumerate(apps, start=have)
        )  # fmt: skip
        made += len(apps)

    approver = person(APPROVER_EMAIL, "Bench", "Approver")
    SiteRole.objects.update_or_create(
        user=approver, factory=site, role=SiteRole.Role.APPROVER, defaults={"is_active": True}
    )
    with_totp(approver)
    return {"applicant": applicant, "reviewer": reviewer, "approver": approver, "made": made}


def _bulk_staff(site: AIFactory) -> tuple[list[int], int]:
    """The bulk site's technical reviewers (ids) and its approver (id)."""
    reviewers = []
    for n in range(1, BULK_REVIEWERS_PER_SITE + 1):
        user = person(f"reviewer{n:02d}@{site.slug}.reviewers.{BULK_DOMAIN}", "Bulk",
                      f"Reviewer {n:02d}")  # fmt: skip
        SiteRole.objects.get_or_create(
            user=user, factory=site, role=SiteRole.Role.TECHNICAL,
            defaults={"max_open_assignments": 32_767, "expertise": ["health"]},
        )  # fmt: skip
        reviewers.append(user.pk)
    approver = person(f"approver@{site.slug}.approvers.{BULK_DOMAIN}", "Bulk", "Approver")
    SiteRole.objects.get_or_create(user=approver, factory=site, role=SiteRole.Role.APPROVER)
    return reviewers, approver.pk


def _bulk_email(n: int) -> str:
    return f"a{n:06d}@applicants.{BULK_DOMAIN}"


def _bulk_applicants(upto: int) -> dict[int, tuple[int, int]]:
    """Bulk applicants 1..upto (created when missing, in order) → (user id, organisation id)."""
    suffix = f"@applicants.{BULK_DOMAIN}"
    have = User.objects.filter(email__endswith=suffix).count()
    for start in range(have + 1, upto + 1, BATCH):
        numbers = range(start, min(start + BATCH, upto + 1))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(email=_bulk_email(n), first_name="Bulk", last_name=f"Applicant {n:06d}",
                     password="!")  # unusable
                for n in numbers
            )  # fmt: skip
            EmailAddress.objects.bulk_create(
                EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
            )
            orgs = Organisation.objects.bulk_create(
                Organisation(legal_name=f"Bulk Applicant {n:06d} Ltd",
                             country=BULK_COUNTRIES[n % len(BULK_COUNTRIES)],
                             org_type="large_industry")
                for n in numbers
            )  # fmt: skip
            Membership.objects.bulk_create(
                Membership(user=u, organisation=o, role=Membership.Role.REPRESENTATIVE)
                for u, o in zip(users, orgs, strict=True)
            )
    rows = Membership.objects.filter(user__email__endswith=suffix).values_list(
        "user__email", "user_id", "organisation_id"
    )
    return {int(email[1:7]): (user_id, org_id) for email, user_id, org_id in rows}


def _bulk_fill(missing: int) -> int:
    """`missing` more bulk applications, with events, assignments and decisions."""
    now = timezone.now()
    today = timezone.localdate()
    sites = list(AIFactory.objects.filter(slug__in=BULK_SITES).order_by("slug"))
    systems = [(s, site) for site in sites for s in System.objects.filter(factory=site)]
    staff = {site.pk: _bulk_staff(site) for site in sites}
    modes = [AccessMode.objects.get(slug="fast-lane"), AccessMode.objects.get(slug="large-scale")]
    start = Application.objects.filter(applicant__email__endswith=f"@applicants.{BULK_DOMAIN}")
    start = start.count()
    end = start + missing
    owners = _bulk_applicants((end - 1) // BULK_APPLICATIONS_EACH + 1)
    clock = time.monotonic()
    for first in range(start, end, BATCH):
        indexes = range(first, min(first + BATCH, end))
        with transaction.atomic():
            apps = []
            for i in indexes:
                user_id, org_id = owners[i // BULK_APPLICATIONS_EACH + 1]
                system, _ = systems[i % len(systems)]
                apps.append(
                    _application(
                        user_id, org_id, mode=modes[1 if i % 7 == 0 else 0], system=system,
                        index=i, now=now, status=BULK_STATUSES[i % len(BULK_STATUSES)],
                        label="Bulk application",
                    )
                )  # fmt: skip
            apps = Application.objects.bulk_create(apps, batch_size=BATCH)
            ApplicationEvent.objects.bulk_create(_events(apps), batch_size=BATCH)
            assignments, decisions = [], []
            for i, a in zip(indexes, apps, strict=True):
                reviewers, approver = staff[a.system.factory_id]
                if a.status in (S.UNDER_REVIEW, S.APPROVED, S.REJECTED):
                    assignments.append(Assignment(
                        application=a, reviewer_id=reviewers[i % len(reviewers)],
                        kind=Assignment.Kind.TECHNICAL,
                        status=(Assignment.Status.DONE if a.status != S.UNDER_REVIEW
                                else Assignment.Status.ACCEPTED if i % 2
                                else Assignment.Status.PENDING),
                        due_by=today + timedelta(days=i % 30 - 10),
                    ))  # fmt: skip
                if a.status in (S.APPROVED, S.REJECTED):
                    approve = a.status == S.APPROVED
                    decisions.append(Decision(
                        application=a, approver_id=approver,
                        outcome=Decision.Outcome.APPROVE if approve else Decision.Outcome.REJECT,
                        gpu_hours=a.gpu_hours if approve else None, comment="Bench decision.",
                    ))  # fmt: skip
            Assignment.objects.bulk_create(assignments, batch_size=BATCH)
            Decision.objects.bulk_create(decisions, batch_size=BATCH)
        done = indexes[-1] + 1 - start
        if done % 25_000 < BATCH or done == missing:
            note(
                f"{done:,}/{missing:,} bulk applications written ({time.monotonic() - clock:.0f} s)"
            )
    return missing


def analyze() -> None:
    """Fresh planner statistics after a fill (autovacuum would come later, or not at all)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def fill(size: int) -> dict:
    """The measured people and bulk applications up to `size` in the database (top-up only)."""
    if size < MIN_SIZE:
        raise SystemExit(f"--size must be at least {MIN_SIZE}")
    clock = time.monotonic()
    with transaction.atomic():
        people = _measured_people()
    total = Application.objects.count()
    added = _bulk_fill(size - total) if total < size else 0
    if added or people["made"]:
        analyze()
    total = Application.objects.count()
    if total > size:
        note(f"Note: the database holds {total:,} applications, more than --size {size:,}.")
    return {
        **people,
        "added": added + people["made"],
        "seconds": round(time.monotonic() - clock, 1),
    }


# --- Queries per page (in-process) ----------------------------------------------------------------


def count_queries(path: str, headers: dict[str, str]) -> dict:
    """SQL queries of one GET through the whole stack (django.test.Client, the server's
    settings), the last of three: the first may fill a cache the next ones then find."""
    client = Client(HTTP_HOST="127.0.0.1")
    for part in filter(None, (p.strip() for p in headers.get("Cookie", "").split(";"))):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if "Authorization" in headers else {}
    runs = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            clock = time.perf_counter()
            response = client.get(path, **extra)
            elapsed = time.perf_counter() - clock
        runs.append((response.status_code, queries.captured_queries, elapsed))
    status, captured, elapsed = runs[-1]
    return {
        "status": status,
        "queries": len(captured),
        "queries_first": len(runs[0][1]),
        # In this process, one request: where the time goes (SQL as the database driver saw it).
        "request_ms": round(1000 * min(r[2] for r in runs[1:]), 2),
        "sql_ms": round(sum(float(q["time"]) for q in captured) * 1000, 2),
        "sql": [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:600]} for q in captured],
    }


def pages(args: argparse.Namespace) -> dict:
    filled = fill(args.size)
    users = {name: credentials(filled[name]) for name in ("applicant", "reviewer", "approver")}
    users["anonymous"] = {}
    probes = {}
    for path, user, header in args.probe or []:
        headers = {header: users[user][header]} if header in users[user] else {}
        probes[path] = count_queries(path, headers)
    applicant, reviewer = filled["applicant"], filled["reviewer"]
    return {
        "users": {k: v for k, v in users.items() if v},
        "probes": probes,
        "fill": {"added": filled["added"], "seconds": filled["seconds"]},
        "counts": {
            "applications_in_database": Application.objects.count(),
            "applicant_applications": Application.objects.filter(applicant=applicant).count(),
            "reviewer_open_assignments": Assignment.objects.filter(
                reviewer=reviewer, status__in=Assignment.OPEN
            ).count(),
            "approver_site_applications": Application.objects.filter(system__factory__slug=SITE)
            .exclude(status=S.DRAFT)
            .count(),
            "assignments_in_database": Assignment.objects.count(),
            "events_in_database": ApplicationEvent.objects.count(),
            "users_in_database": User.objects.count(),
        },
    }


def profile(args: argparse.Namespace) -> dict:
    """`--repeat` GETs of one page under cProfile, in-process: where the time of a request goes.
    Prints the functions with the most time of their own and the most cumulative time."""
    import cProfile
    import io
    import pstats

    filled = fill(args.size)
    headers = {}
    if args.user != "anonymous":
        headers = {args.header: credentials(filled[args.user])[args.header]}
    count_queries(args.path, headers)  # warm: templates, URL resolvers, the cache
    client = Client(HTTP_HOST="127.0.0.1")
    for part in filter(None, (p.strip() for p in headers.get("Cookie", "").split(";"))):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if "Authorization" in headers else {}
    client.get(args.path, **extra)  # this client's handler loads the middleware on its first
    profiler = cProfile.Profile()
    clock = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        client.get(args.path, **extra)
    profiler.disable()
    per_request_ms = 1000 * (time.perf_counter() - clock) / args.repeat
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        note(out.getvalue())
    return {"path": args.path, "repeat": args.repeat, "per_request_ms": round(per_request_ms, 2)}


# --- The cut-off rush -----------------------------------------------------------------------------


def _rush_applications():
    return Application.objects.filter(applicant__email__endswith=f"@{RUSH_APPLICANT_DOMAIN}")


def rush_delete() -> int:
    """Delete the applications of an earlier rush, with everything about them."""
    ids = list(_rush_applications().values_list("pk", flat=True))
    for start in range(0, len(ids), 1_000):
        chunk = ids[start : start + 1_000]
        with transaction.atomic():
            Review.objects.filter(assignment__application_id__in=chunk).delete()
            Assignment.objects.filter(application_id__in=chunk).delete()
            for model in (Notification, RoutingRecord, ApplicationEvent, TeamMember, Attachment):
                model.objects.filter(application_id__in=chunk).delete()
            Application.objects.filter(pk__in=chunk).delete()
    return len(ids)


def rush_prepare(args: argparse.Namespace) -> dict:
    filled = fill(args.size)
    deleted = rush_delete()
    site = AIFactory.objects.get(slug=RUSH_SITE)
    system = System.objects.get(slug=RUSH_SYSTEM)
    mode = AccessMode.objects.get(slug=RUSH_MODE)
    if system.status != System.Status.OPERATIONAL or not mode.systems.filter(pk=system.pk).exists():
        raise SystemExit(f"{RUSH_SYSTEM} must be operational and offer {RUSH_MODE} for the rush")
    applicants, reviewers = [], []
    with transaction.atomic():
        # No system publishes what it can award (shared/reference): its site's admin enters it,
        # and the portal refuses submissions to a system without one.
        if system.allocatable_gpu_hours_per_year is None:
            system.allocatable_gpu_hours_per_year = RUSH_CAPACITY
            system.save(update_fields=["allocatable_gpu_hours_per_year"])
        for n in range(1, args.applicants + 1):
            user = person(f"applicant{n:03d}@{RUSH_APPLICANT_DOMAIN}", "Rush", f"Applicant {n:03d}")
            org = represented_organisation(user, f"Rush Applicant {n:03d} AG", "large_industry")
            applicants.append({
                "email": user.email, "organisation": org.pk, **credentials(user),
                "csrf": get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS),
            })  # fmt: skip
        staff = []
        for n in range(1, args.reviewers + 1):
            user = person(f"reviewer{n:02d}@{RUSH_REVIEWER_DOMAIN}", "Rush", f"Reviewer {n:02d}")
            SiteRole.objects.update_or_create(
                user=user, factory=site, role=SiteRole.Role.TECHNICAL,
                defaults={"is_active": True, "max_open_assignments": 32_767,
                          "expertise": [AIDomain.values[n % len(AIDomain.values)]]},
            )  # fmt: skip
            with_totp(user)
            staff.append(user.pk)
            reviewers.append({"email": user.email, **credentials(user)})
        # The site's approver: without an active one, the portal refuses a submission there
        # (nobody could decide it).
        approver = person(f"approver@{RUSH_REVIEWER_DOMAIN}", "Rush", "Approver")
        SiteRole.objects.update_or_create(
            user=approver, factory=site, role=SiteRole.Role.APPROVER, defaults={"is_active": True}
        )
        # Only the rush's reviewers review at the rush's site (earlier runs with more stay, off).
        SiteRole.objects.filter(
            factory=site, role__in=[SiteRole.Role.TECHNICAL, SiteRole.Role.SCIENTIFIC]
        ).exclude(user_id__in=staff).update(is_active=False)
    return {
        "applicants": applicants,
        "reviewers": reviewers,
        "system": RUSH_SYSTEM,
        "access_mode": RUSH_MODE,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "deleted_applications": deleted,
        "applications_in_database": Application.objects.count(),
        "fill": {"added": filled["added"], "seconds": filled["seconds"]},
    }


def percentiles(values: list[float]) -> dict[str, float | None]:
    """Nearest-rank p50, p95, p99 and the maximum."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1]}


def rush_check(args: argparse.Namespace) -> dict:
    """After the rush: wait (at most `--wait` s) until nothing the rush submitted waits for
    routing, then check every submitted application was routed exactly once."""
    apps = _rush_applications()
    deadline = time.monotonic() + args.wait
    while apps.filter(status=S.SUBMITTED).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    submitted = apps.filter(submitted_at__isnull=False)
    rows = list(
        submitted.annotate(
            records=Count("routing_records", distinct=True),
            routed_at=Min("routing_records__created_at"),
        ).values_list("pk", "submitted_at", "records", "routed_at")
    )
    latencies_ms = [
        (routed_at - submitted_at).total_seconds() * 1000
        for _, submitted_at, records, routed_at in rows
        if routed_at is not None
    ]
    routed_events = dict(
        ApplicationEvent.objects.filter(application__in=submitted, kind="routed")
        .values_list("application_id")
        .annotate(n=Count("pk"))
    )
    assignments = Assignment.objects.filter(application__in=submitted)
    per_app = dict(
        assignments.exclude(status=Assignment.Status.DECLINED)
        .values_list("application_id")
        .annotate(n=Count("pk"))
    )
    duplicates = (
        assignments.values("application_id", "reviewer_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    by_status = dict(apps.values_list("status").annotate(n=Count("pk")))
    notifications = Notification.objects.filter(application__in=submitted)
    return {
        "applications": apps.count(),
        "by_status": by_status,
        "submitted": len(rows),
        "routed_once": sum(1 for _, _, records, _ in rows if records == 1),
        "not_routed": sum(1 for _, _, records, _ in rows if records == 0),
        "routed_more_than_once": sum(1 for _, _, records, _ in rows if records > 1),
        "routed_events_not_one": sum(1 for pk, *_ in rows if routed_events.get(pk, 0) != 1),
        "needs_attention": by_status.get(S.NEEDS_ATTENTION, 0),
        "duplicate_assignments": duplicates.count(),
        "applications_without_one_assignment": sum(1 for pk, *_ in rows if per_app.get(pk) != 1),
        "submit_to_routed_ms": {
            k: round(v, 1) if v is not None else None for k, v in percentiles(latencies_ms).items()
        },
        "assignments": assignments.count(),
        "assignments_by_status": dict(assignments.values_list("status").annotate(n=Count("pk"))),
        "reviews": Review.objects.filter(assignment__application__in=submitted).count(),
        "attachments": Attachment.objects.filter(application__in=apps).count(),
        "emails": notifications.count(),
        "emails_sent": notifications.filter(sent_at__isnull=False).count(),
    }


# --- The routing bench (bench/routing.py, in-process) ---------------------------------------------

ROUTING_DOMAIN = "routing.bench.example.org"
ROUTING_APPLICANT_DOMAIN = f"applicants.{ROUTING_DOMAIN}"
ROUTING_REVIEWER_DOMAIN = f"reviewers.{ROUTING_DOMAIN}"
ROUTING_APPLICANTS = 100
# A PostgreSQL advisory lock: two routing benches on one database would delete each other's data.
ROUTING_LOCK_KEY = 0x524F555445  # "ROUTE"


def routing_lock() -> bool:
    """Hold the routing bench's advisory lock for as long as this process runs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ROUTING_LOCK_KEY])
        (locked,) = cursor.fetchone()
    return bool(locked)


def routing_prepare(count: int, reviewers: int) -> tuple[int, int]:
    """Reviewers, applicants and `count` submitted applications; returns their id range."""
    site = AIFactory.objects.get(slug=SITE)
    system = System.objects.get(slug=SYSTEM)
    mode = AccessMode.objects.get(slug=MODE)
    with transaction.atomic():
        staff = []
        for n in range(1, reviewers + 1):
            user = person(
                f"reviewer{n:03d}@{ROUTING_REVIEWER_DOMAIN}", "Bench", f"Reviewer {n:03d}"
            )
            SiteRole.objects.update_or_create(
                user=user, factory=site, role=SiteRole.Role.TECHNICAL,
                defaults={
                    "is_active": True, "max_open_assignments": 32_767,
                    "expertise": [AIDomain.values[n % len(AIDomain.values)]],
                },
            )  # fmt: skip
            staff.append(user.pk)
        # Reviewers of an earlier run with a larger --reviewers stay, inactive.
        SiteRole.objects.filter(user__email__endswith=f"@{ROUTING_REVIEWER_DOMAIN}").exclude(
            user_id__in=staff
        ).update(is_active=False)
        applicants = []
        for n in range(1, ROUTING_APPLICANTS + 1):
            user = person(f"applicant{n:03d}@{ROUTING_APPLICANT_DOMAIN}", "Bench",
                          f"Applicant {n:03d}")  # fmt: skip
            org = represented_organisation(user, f"Routing Bench {n:03d} GmbH")
            applicants.append((user.pk, org.pk))
    now = timezone.now()
    due = add_working_days(timezone.localdate(now), mode.decision_target_working_days)
    domains = AIDomain.values
    backlog = [
        Application(
            applicant_id=applicants[i % ROUTING_APPLICANTS][0],
            organisation_id=applicants[i % ROUTING_APPLICANTS][1], access_mode=mode,
            system=system, status=S.SUBMITTED,
            title=f"Routing bench {i + 1}: fine-tuning a model", abstract="Bench data.",
            ai_domain=domains[i % len(domains)], workload="fine_tuning",
            gpu_hours=1_000 + i % 40_000, start_date=(now + timedelta(days=30)).date(),
            duration_months=3, personal_data=False, ai_act_risk="minimal",
            submitted_at=now, expected_decision_by=due,
        )
        for i in range(count)
    ]  # fmt: skip
    with transaction.atomic():
        created = Application.objects.bulk_create(backlog, batch_size=1_000)
    ids = [a.pk for a in created]
    return min(ids), max(ids)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def routing_delete_backlog() -> int:
    """Delete the routing bench's applications (with their assignments, emails, events)."""
    in_backlog = "application_id IN (SELECT id FROM bench_apps)"
    tables = [
        # (table, condition) in dependency order
        (Review, f"assignment_id IN (SELECT id FROM {_table(Assignment)} WHERE {in_backlog})"),
        (Assignment, in_backlog),
        (Notification, in_backlog),
        (RoutingRecord, in_backlog),
        (ApplicationEvent, in_backlog),
        (TeamMember, in_backlog),
        (Attachment, in_backlog),
        (Application, "id IN (SELECT id FROM bench_apps)"),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_apps ON COMMIT DROP AS SELECT a.id FROM {_table(Application)}"
            f" a JOIN {_table(User)} u ON u.id = a.applicant_id WHERE u.email LIKE %s",
            [f"%@{ROUTING_APPLICANT_DOMAIN}"],
        )
        cursor.execute("SELECT count(*) FROM bench_apps")
        (deleted,) = cursor.fetchone()
        for model, condition in tables:
            cursor.execute(f"DELETE FROM {_table(model)} WHERE {condition}")
    return deleted


def routing_enqueue(first_id: int, last_id: int) -> int:
    """route_application for each application of the backlog, as application_submit does."""
    from portal.celery import app
    from reviews.tasks import route_application

    sent = 0
    with app.producer_or_acquire() as producer:
        for pk in range(first_id, last_id + 1):
            route_application.apply_async((pk,), producer=producer)
            sent += 1
    return sent


def routing_progress(first_id: int, last_id: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'submitted'), "
            "count(*) FILTER (WHERE status = 'under_review'), "
            "count(*) FILTER (WHERE status = 'needs_attention') "
            f"FROM {_table(Application)} WHERE id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        submitted, under_review, needs_attention = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*), count(sent_at) FROM {_table(Notification)} "
            "WHERE application_id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        emails, sent = cursor.fetchone()
    return {
        "submitted": submitted,
        "under_review": under_review,
        "needs_attention": needs_attention,
        "emails": emails,
        "emails_sent": sent,
    }


def routing_checks(first_id: int, last_id: int) -> dict:
    """What must hold after routing, over the whole database (the backlog and anything else)."""
    assignment, application = _table(Assignment), _table(Application)
    records = _table(RoutingRecord)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT application_id, reviewer_id FROM {assignment} "
            "GROUP BY application_id, reviewer_id HAVING count(*) > 1) AS d"
        )
        (duplicates,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(DISTINCT s.application_id) FROM (SELECT a.application_id "
            f"FROM {assignment} a JOIN {application} ap ON ap.id = a.application_id "
            f"JOIN {_table(AccessMode)} m ON m.id = ap.access_mode_id "
            "WHERE a.status IN ('pending', 'accepted') "
            "GROUP BY a.application_id, a.kind, m.technical_reviews, m.scientific_reviews "
            "HAVING count(*) > CASE a.kind WHEN 'technical' THEN m.technical_reviews "
            "ELSE m.scientific_reviews END) AS s"
        )
        (over_staffed,) = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM (SELECT application_id FROM {records} "
            "WHERE application_id BETWEEN %s AND %s GROUP BY application_id "
            "HAVING count(*) > 1) AS r",
            [first_id, last_id],
        )
        (routed_twice,) = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*), min(created_at), max(created_at) FROM {records} "
            "WHERE application_id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        count, first_record, last_record = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM {assignment} WHERE application_id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        (assignments,) = cursor.fetchone()
        cursor.execute(
            f"SELECT u.email, count(*) FROM {assignment} a JOIN {_table(User)} u "
            "ON u.id = a.reviewer_id WHERE a.application_id BETWEEN %s AND %s GROUP BY u.email",
            [first_id, last_id],
        )
        per_reviewer = sorted(n for _, n in cursor.fetchall())
    span = (last_record - first_record).total_seconds() if count > 1 else None
    return {
        "duplicate_assignments": duplicates,
        "over_staffed_applications": over_staffed,
        "applications_routed_twice": routed_twice,
        "routing_records": count,
        "routing_records_span_s": round(span, 2) if span else None,
        "assignments": assignments,
        "assignments_per_reviewer_min_max": [per_reviewer[0], per_reviewer[-1]]
        if per_reviewer
        else None,
    }


# --- Command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    page = commands.add_parser("pages", help="data and sessions for bench/run.py")
    page.add_argument("--size", type=int, required=True, help="applications in the database")
    page.add_argument(
        "--probe", nargs=3, action="append", metavar=("PATH", "USER", "HEADER"),
        help="count the SQL queries of a GET of PATH as USER (applicant, reviewer, approver, "
        "anonymous) sending HEADER (Cookie or Authorization)",
    )  # fmt: skip
    rush = commands.add_parser("rush-prepare", help="people for bench/rush.py")
    rush.add_argument("--size", type=int, required=True)
    rush.add_argument("--applicants", type=int, required=True)
    rush.add_argument("--reviewers", type=int, required=True)
    prof = commands.add_parser("profile", help="one page under cProfile, in-process")
    prof.add_argument("--size", type=int, required=True)
    prof.add_argument("--path", required=True)
    prof.add_argument("--user", default="anonymous", help="applicant, reviewer, approver")
    prof.add_argument("--header", default="Cookie", help="Cookie or Authorization")
    prof.add_argument("--repeat", type=int, default=50)
    prof.add_argument("--top", type=int, default=30)
    check = commands.add_parser("rush-check", help="after bench/rush.py's rush")
    check.add_argument("--wait", type=float, default=60, help="seconds to wait for routing")
    args = parser.parse_args(argv)
    command = {
        "pages": pages, "profile": profile, "rush-prepare": rush_prepare, "rush-check": rush_check,
    }  # fmt: skip
    return command[args.command](args)


if __name__ == "__main__":
    print(json.dumps(main(), default=str))
