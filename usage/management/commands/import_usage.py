"""manage.py import_usage --factory SLUG FILE: the GPU-hours of finished Slurm jobs, read from
`sacct --parsable2` output, counted against the factory's allocations by their Slurm accounts."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from factories.models import AIFactory
from usage.sacct import SacctFormatError
from usage.services import usage_import_sacct


class Command(BaseCommand):
    help = (
        "Import usage from `sacct --parsable2 --allocations --starttime ... "
        "--format=JobID,Account,Start,End,ElapsedRaw,AllocTRES,State` output (FILE, or - for "
        "stdin). Idempotent: a job already imported is counted once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="sacct output, or - for standard input")
        parser.add_argument("--factory", required=True, help="the AI Factory's slug")
        parser.add_argument(
            "--cluster", default="", help="the cluster's name (default: the factory's setting)"
        )

    def handle(self, *args, **options) -> None:
        factory = AIFactory.objects.filter(slug=options["factory"]).first()
        if factory is None:
            raise CommandError(f"No AI Factory with the slug {options['factory']!r}.")
        began = time.perf_counter()
        try:
            if options["file"] == "-":
                result = usage_import_sacct(
                    factory=factory, lines=sys.stdin, cluster=options["cluster"]
                )
            else:
                with open(options["file"], encoding="utf-8") as handle:
                    result = usage_import_sacct(
                        factory=factory, lines=handle, cluster=options["cluster"]
                    )
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        except SacctFormatError as error:
            raise CommandError(str(error)) from error
        read = result.read
        self.stdout.write(
            f"{factory.slug} ({result.cluster}): {read.lines} lines, {len(read.jobs)} finished GPU "
            f"jobs; {result.created} new, {result.updated} updated, {result.unchanged} unchanged; "
            f"skipped {read.steps} steps, {read.unfinished} unfinished, {read.without_gpus} "
            f"without GPUs; {result.allocations} allocations updated "
            f"in {time.perf_counter() - began:.2f} s."
        )
        if result.unknown_accounts:
            unknown = ", ".join(f"{a} ({n})" for a, n in sorted(result.unknown_accounts.items()))
            self.stderr.write(f"Jobs of accounts with no allocation here, not counted: {unknown}")
