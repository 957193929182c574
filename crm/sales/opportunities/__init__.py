"""Import of the public "CRM Sales Opportunities" data set (Maven Analytics; issue 3, "Real data").

Four CSV files go into the CRM: `sales_teams.csv` into users and teams, `products.csv` into product
groups, products and a USD price list, `accounts.csv` into clients and `sales_pipeline.csv` into
deals of the pipeline «CRM Sales Opportunities», with their line, stage history and history events.

The rules, decided once and reported on every run:
- Everything is read and checked before anything is written. A row that cannot be interpreted (an
  unknown agent, account, product or stage, a bad date or amount, a duplicate id) is an error: the
  import then writes nothing at all, and the report lists every such row with its line number.
- A product spelled differently from products.csv ("GTXPro" for "GTX Pro") is matched by its name
  without spaces, punctuation and case, and every row matched so is reported as a warning.
- An opportunity with an empty account is a prospect without a client; a deal needs a client, so
  the row is not imported and is reported as skipped (1,425 open rows of the real file).
- Running it again matches users by username, teams, groups, price lists and the pipeline by name,
  products by article number, clients by name (case-insensitive) and deals by opportunity id:
  nothing is duplicated; changed values are updated and counted.
Row numbers are the lines of the file; the header is line 1.
"""

from pathlib import Path

from django.db import transaction

from crm.sales.models import Deal, Pipeline
from crm.sales.opportunities.loading import Loader
from crm.sales.opportunities.reading import (
    CURRENCY,
    PIPELINE_NAME,
    FileFigures,
    ImportResult,
    Problem,
    Tally,
    read_files,
)
from crm.sales.reports import SummaryFilters, sales_summary_of

__all__ = ["CURRENCY", "PIPELINE_NAME", "FileFigures", "ImportResult", "Problem", "Tally", "opportunities_import"]


def opportunities_import(*, directory: Path, dry_run: bool = False) -> ImportResult:
    """Load the data set from `directory`; with `dry_run` (or on any error) the database is left as it was."""
    result = ImportResult()
    data = read_files(directory, result)
    if result.errors:
        return result
    with transaction.atomic():
        Loader(data, result).load()
        # Read back through the report, over every live deal of the pipeline (no reader's visibility applies).
        pipeline = Pipeline.objects.get(name=PIPELINE_NAME)
        result.crm = sales_summary_of(Deal.objects.filter(is_deleted=False), SummaryFilters(pipeline=pipeline))
        result.applied = not dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result
