from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from applications.reference import DEFAULT_ACCESS_MODES_PATH, access_mode_entries, access_modes_read
from factories.reference import ReferenceDataError, ReferenceReport, reference_data_load
from factories.services import DEFAULT_CATALOGUE_PATH, catalogue_entries, catalogue_read

ENTITIES = (
    ("factory", "factories"),
    ("system", "systems"),
    ("antenna", "antennas"),
    ("antenna_link", "antenna links"),
    ("source", "sources"),
    ("access_mode", "access modes"),
    ("cutoff", "cut-offs"),
)


class Command(BaseCommand):
    help = (
        "Create the portal's reference data that the database lacks: the AI Factory catalogue "
        "(factories, systems, antennas, sources) and the access modes with their cut-offs. Rows "
        "that exist are never changed, so an admin's edit survives every start "
        "(`refresh_reference_data` brings in the files' changes). Idempotent and atomic: a "
        "malformed file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=DEFAULT_CATALOGUE_PATH, help="The catalogue file."
        )
        parser.add_argument("--access-modes-file", type=Path, default=DEFAULT_ACCESS_MODES_PATH)

    def handle(self, *args, file: Path, access_modes_file: Path, **options) -> None:
        try:
            entries = catalogue_entries(data=catalogue_read(file))
            entries += access_mode_entries(data=access_modes_read(access_modes_file))
            report = reference_data_load(entries=entries)
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference data from {file} and {access_modes_file}: {_counts(report)}."
            )
        )
        if report.pending:
            self.stdout.write(
                f"Rows that exist were left as they are; the files would change or dispute "
                f"{report.pending} of their fields: preview with "
                "`manage.py refresh_reference_data`."
            )


def _counts(report: ReferenceReport) -> str:
    return "; ".join(
        f"{label}: {report.created_count(entity)} created, {report.present[entity]} already there"
        for entity, label in ENTITIES
    )
