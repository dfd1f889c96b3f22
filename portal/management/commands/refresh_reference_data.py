from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from applications.reference import DEFAULT_ACCESS_MODES_PATH, access_mode_entries, access_modes_read
from factories.reference import (
    FieldChange,
    ReferenceDataError,
    ReferenceReport,
    reference_data_refresh,
    show,
)
from factories.services import DEFAULT_CATALOGUE_PATH, catalogue_entries, catalogue_read


class Command(BaseCommand):
    help = (
        "Bring changes of the reference files (catalogue, access modes) into the database, field "
        "by field. Without --apply it only shows what it would do. It changes a field only when "
        "nobody edited it since it was loaded, never empties a value the file has not, creates "
        "the rows the files add, and lists the conflicts it leaves alone. One transaction: a "
        "malformed file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=DEFAULT_CATALOGUE_PATH, help="The catalogue file."
        )
        parser.add_argument("--access-modes-file", type=Path, default=DEFAULT_ACCESS_MODES_PATH)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--apply", action="store_true", help="Write the changes shown.")
        mode.add_argument(
            "--dry-run", action="store_true", help="Only show the changes (the default)."
        )
        parser.add_argument(
            "--take-file",
            action="append",
            default=[],
            metavar="ENTITY:KEY.FIELD",
            help="Take the file's value for this field even though it was edited (or would be "
            "emptied); as the report names it, e.g. system:lumi.allocatable_gpu_hours_per_year. "
            "Repeatable.",
        )
        parser.add_argument(
            "--keep-current",
            action="append",
            default=[],
            metavar="ENTITY:KEY.FIELD",
            help="Keep this field's current value and record the file's as seen, so that it is "
            "listed again only when the file changes it again. Repeatable.",
        )

    def handle(
        self,
        *args,
        file: Path,
        access_modes_file: Path,
        apply: bool,
        take_file: list[str],
        keep_current: list[str],
        **options,
    ) -> None:
        try:
            entries = catalogue_entries(data=catalogue_read(file))
            entries += access_mode_entries(data=access_modes_read(access_modes_file))
            report = reference_data_refresh(
                entries=entries, apply=apply, take_file=take_file, keep_current=keep_current
            )
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was changed: {exc}") from exc
        self.stdout.write(f"Reference data from {file} and {access_modes_file}.")
        if not apply:
            self.stdout.write(self.style.WARNING("Preview: nothing was written (--apply writes)."))
        for line in report_lines(report):
            self.stdout.write(line)


def report_lines(report: ReferenceReport) -> list[str]:
    """The report, field by field: `entity key field: current -> file`."""
    done = report.fields_applied
    lines: list[str] = []
    if report.created:
        verb = "Created" if report.written else "Would create"
        lines.append(f"{verb} ({len(report.created)}):")
        lines += [f"  {entity} {key}" for entity, key in report.created]
    sections = [
        (report.applied, f"{'Applied' if done else 'Would apply'}, not edited since loaded", False),
        (report.taken, f"{'Taken' if done else 'Would take'} from the file (--take-file)", False),
        (report.kept, f"{'Kept' if done else 'Would keep'}, file's value recorded as seen", False),
        (report.conflicts, "Conflicts, left alone: edited since loaded, changed in the file", True),
        (report.not_emptied, "Not emptied: the file has no value where the portal has one", True),
    ]
    for changes, title, left_alone in sections:
        if changes:
            lines.append(f"{title} ({len(changes)}):")
            lines += [line for c in changes for line in _change_lines(c, left_alone=left_alone)]
    if report.conflicts or report.not_emptied:
        lines.append(
            "Left alone until resolved: --take-file REF takes the file's value, --keep-current "
            "REF keeps the portal's; an admin setting the file's value resolves it too."
        )
    if report.recorded:
        verb = "Recorded" if report.written else "Would record"
        lines.append(f"{verb} {report.recorded} values as loaded (they equal the file).")
    lines.append(
        f"Summary: created {len(report.created)}, applied {len(report.applied)}, "
        f"taken {len(report.taken)}, kept {len(report.kept)}, conflicts {len(report.conflicts)}, "
        f"not emptied {len(report.not_emptied)}" + ("." if report.written else " (preview).")
    )
    return lines


def _change_lines(change: FieldChange, *, left_alone: bool) -> list[str]:
    """The change; under a field left alone, what was loaded and how to name the field."""
    lines = [f"  {change.line()}"]
    if left_alone:
        lines.append(f"      loaded: {show(change.loaded)}; REF {change.ref}")
    return lines
