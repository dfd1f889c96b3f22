"""Demo accounts and a demo site for `make run`. Never run against a production database."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from factories.models import AIFactory, System
from organisations.models import Membership
from reviews.models import SiteRole

DEMO_PASSWORD = "demo-portal-2026"
# A fixed TOTP secret for the demo staff accounts: add it to an authenticator app, or print the
# current code with `manage.py demo_totp EMAIL`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_SITE = "lumi-aif"
DEMO_SYSTEM = "lumi"
DEMO_CAPACITY = 1_000_000

ACCOUNTS = [
    # email, first, last, staff, site role, expertise
    ("admin@example.org", "Ada", "Admin", True, None, []),
    ("applicant@example.org", "Alex", "Applicant", False, None, []),
    ("reviewer@lumi.example.org", "Riley", "Reviewer", False, SiteRole.Role.TECHNICAL, ["health"]),
    ("scientist1@lumi.example.org", "Sam", "Scientist", False, SiteRole.Role.SCIENTIFIC, []),
    ("scientist2@lumi.example.org", "Sasha", "Scientist", False, SiteRole.Role.SCIENTIFIC, []),
    ("approver@lumi.example.org", "Avery", "Approver", False, SiteRole.Role.APPROVER, []),
]


class Command(BaseCommand):
    help = "Create the demo accounts and demo site staff (idempotent) and print credentials."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        factory = AIFactory.objects.filter(slug=DEMO_SITE).first()
        for email, first, last, staff, role, expertise in ACCOUNTS:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "is_staff": staff,
                          "is_superuser": staff},
            )  # fmt: skip
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            elif not (user.first_name and user.last_name):  # made before names were asked for
                user.first_name, user.last_name = first, last
                user.save(update_fields=["first_name", "last_name"])
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if role and factory:
                SiteRole.objects.get_or_create(
                    user=user, factory=factory, role=role, defaults={"expertise": expertise}
                )
            if (staff or role) and not Authenticator.objects.filter(
                user=user, type=Authenticator.Type.TOTP
            ).exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)
                RecoveryCodes.activate(user)
        applicant = User.objects.get(email="applicant@example.org")
        if not Membership.objects.filter(user=applicant).exists():
            from organisations.services import organisation_create

            organisation_create(
                user=applicant, legal_name="Demo AI Startup GmbH", country="DE",
                org_type="startup", registration_number="DE136695976", sme_declared=True,
            )  # fmt: skip
        system = System.objects.filter(slug=DEMO_SYSTEM).first()
        if system and system.allocatable_gpu_hours_per_year is None:
            system.allocatable_gpu_hours_per_year = DEMO_CAPACITY
            system._change_reason = "seed_demo: demo capacity"  # type: ignore[attr-defined]  # simple_history
            system.save()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, *_rest in ACCOUNTS:
            self.stdout.write(f"  {email}")
        self.stdout.write(
            f"Staff and reviewers use two-factor authentication: TOTP secret {DEMO_TOTP_SECRET} "
            "(or print the current code with `.venv/bin/python manage.py demo_totp EMAIL`)."
        )
        self.stdout.write(
            f"Demo site: {DEMO_SITE}; {DEMO_SYSTEM} has a demo capacity of "
            f"{DEMO_CAPACITY:,} GPU-hours per year."
        )
