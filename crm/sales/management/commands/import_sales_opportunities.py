"""`manage.py import_sales_opportunities`: load the public CRM Sales Opportunities data set (see crm.sales.opportunities)."""

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.sales.opportunities import CURRENCY, ImportResult, Problem, opportunities_import

DEFAULT_PATH = Path(settings.BASE_DIR).parent / "shared" / "data" / "crm_sales_opportunities"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


class Command(BaseCommand):
    help = (
        "Import the CRM Sales Opportunities data set (accounts, products, sales teams, sales pipeline CSV files) "
        "into clients, products, managers, a pipeline and deals. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="Folder holding the four CSV files.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, then write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = opportunities_import(directory=options["path"], dry_run=options["dry_run"])
        self.report_problems(result.problems)
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} rows could not be read; nothing was imported. Fix the rows above and run again."
            )
        self.report_counts(result)
        self.report_figures(result)
        mode = "Dry run: nothing was written." if options["dry_run"] else "Imported."
        self.stdout.write(self.style.SUCCESS(f"{mode} ({time.monotonic() - started:.1f} s)"))

    def report_problems(self, problems: list[Problem]) -> None:
        """Every problem row: grouped by level, file and reason, each group with all its row numbers."""
        grouped: dict[tuple[str, str, str], list[int]] = {}
        for problem in problems:
            grouped.setdefault((problem.level, problem.file, problem.message), []).append(problem.row)
        for (level, file, message), rows in sorted(grouped.items()):
            style = self.style.ERROR if level == "error" else self.style.WARNING
            numbers = ", ".join(str(r) for r in rows)
            counted = f"{len(rows)} row" if len(rows) == 1 else f"{len(rows)} rows"
            self.stdout.write(style(f"{level.upper()} {file}, {counted}: {message} Rows: {numbers}."))

    def report_counts(self, result: ImportResult) -> None:
        self.stdout.write("Entity            created  updated  unchanged  skipped")
        for entity, tally in sorted(result.tallies.items()):
            self.stdout.write(
                f"{entity:<16} {tally.created:>8} {tally.updated:>8} {tally.unchanged:>10} {tally.skipped:>8}"
            )

    def report_figures(self, result: ImportResult) -> None:
        files, crm = result.files, result.crm
        assert crm is not None
        shown = crm.in_currency(CURRENCY)
        self.stdout.write(f"{'':<24}{'files':>16}{'CRM report':>16}")
        self.stdout.write(f"{'won deals':<24}{files.won_count:>16}{crm.won_count:>16}")
        self.stdout.write(f"{'lost deals':<24}{files.lost_count:>16}{crm.lost_count:>16}")
        self.stdout.write(f"{'won total, ' + CURRENCY:<24}{files.won_total:>16}{shown.won_amount:>16}")
        self.stdout.write(f"{'win rate':<24}{_percent(files.win_rate):>16}{_percent(crm.win_rate):>16}")
        same = (files.won_count, files.lost_count, files.won_total) == (crm.won_count, crm.lost_count, shown.won_amount)
        if same and len(crm.currencies) <= 1:
            self.stdout.write(self.style.SUCCESS("The CRM's report equals the figures computed from the files."))
        else:
            self.stdout.write(
                self.style.WARNING(
                    "The CRM's report differs from the files: the pipeline holds other deals, or rows were skipped."
                )
            )
