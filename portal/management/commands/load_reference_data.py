from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from access_requests.services import (
    DEFAULT_ACCESS_MODES_PATH,
    AccessModeDataError,
    access_modes_load,
    access_modes_read,
)
from factories.services import (
    DEFAULT_CATALOGUE_PATH,
    CatalogueDataError,
    catalogue_load,
    catalogue_read,
)


class Command(BaseCommand):
    help = (
        "Load the portal's reference data: the AI Factory catalogue (factories, systems, sources) "
        "and the access modes with their cut-offs. Idempotent and atomic: a second run changes "
        "nothing; a malformed file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=DEFAULT_CATALOGUE_PATH, help="The catalogue file."
        )
        parser.add_argument("--access-modes-file", type=Path, default=DEFAULT_ACCESS_MODES_PATH)

    def handle(self, *args, file: Path, access_modes_file: Path, **options) -> None:
        try:
            with transaction.atomic():
                report = catalogue_load(data=catalogue_read(file))
                modes = access_modes_load(data=access_modes_read(access_modes_file))
        except (CatalogueDataError, AccessModeDataError) as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Catalogue loaded from {file}: {report.summary()}."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Access modes: {modes.created} created, {modes.updated} updated, "
                f"{modes.unchanged} unchanged; {modes.cutoffs_created} cut-offs added."
            )
        )
