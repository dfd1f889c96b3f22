from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from factories.services import (
    DEFAULT_CATALOGUE_PATH,
    CatalogueDataError,
    catalogue_load,
    catalogue_read,
)


class Command(BaseCommand):
    help = (
        "Load the AI Factory catalogue (factories, systems, sources) from the portal's seed file. "
        "Idempotent and atomic: a second run changes nothing; a malformed file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, default=DEFAULT_CATALOGUE_PATH)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            report = catalogue_load(data=catalogue_read(file))
        except CatalogueDataError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Catalogue loaded from {file}: {report.summary()}."))
