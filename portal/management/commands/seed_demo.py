"""Demo accounts for `make run`. Never run against a production database."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_PASSWORD = "demo-portal-2026"
DEMO_ADMIN = "admin@example.org"


class Command(BaseCommand):
    help = "Create the demo accounts (idempotent) and print their credentials."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            email=DEMO_ADMIN,
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "first_name": "Ada",
                "last_name": "Admin",
            },
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  admin      {DEMO_ADMIN}  -> http://127.0.0.1:8000/admin/")
