"""Reading the four CSV files of the data set: every cell checked, every problem kept with its line number."""

import csv
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from django.utils.translation import gettext as _

from crm.catalog.money import round_money
from crm.sales.choices import StageKind
from crm.sales.reports import SalesSummary, win_rate

SOURCE = "crm_sales_opportunities"
PIPELINE_NAME = "CRM Sales Opportunities"
PRICE_LIST_NAME = "CRM Sales Opportunities (USD)"
CURRENCY = "USD"
SKU_PREFIX = "CSO-"
# Rows per INSERT: large enough to load 8,800 deals in a handful of statements on both databases.
BATCH = 1000
# The stages of the file, in order, with their type and default win probability.
STAGES: list[tuple[str, str, int]] = [
    ("Prospecting", StageKind.OPEN, 10),
    ("Engaging", StageKind.OPEN, 50),
    ("Won", StageKind.WON, 100),
    ("Lost", StageKind.LOST, 0),
]
# Misspellings of the source (its README names them), read as the intended word and reported.
SPELLING = {"technolgy": "technology", "Philipines": "Philippines"}
FILES = {
    "accounts": ("accounts.csv", ["account", "sector", "year_established", "revenue", "employees", "office_location"]),
    "products": ("products.csv", ["product", "series", "sales_price"]),
    "teams": ("sales_teams.csv", ["sales_agent", "manager", "regional_office"]),
    "pipeline": (
        "sales_pipeline.csv",
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ],
    ),
}

Level = Literal["error", "warning", "skipped"]


@dataclass(frozen=True)
class Problem:
    """A row the import could not take as it is: an error stops the import, a warning or a skip does not."""

    file: str
    row: int
    level: Level
    message: str


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class FileFigures:
    """Won total and win rate computed from sales_pipeline.csv alone, whatever the import did."""

    won_count: int = 0
    lost_count: int = 0
    won_total: Decimal = Decimal("0")

    @property
    def win_rate(self) -> Decimal | None:
        return win_rate(self.won_count, self.lost_count)


@dataclass
class ImportResult:
    tallies: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    problems: list[Problem] = field(default_factory=list)
    files: FileFigures = field(default_factory=FileFigures)
    crm: SalesSummary | None = None
    applied: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    def add(self, file: str, row: int, level: Level, message: str) -> None:
        self.problems.append(Problem(file, row, level, message))


@dataclass
class Account:
    row: int
    name: str
    industry: str
    year_established: int | None
    revenue: Decimal | None
    employees: int | None
    region: str
    subsidiary_of: str


@dataclass
class ProductRow:
    row: int
    name: str
    series: str
    price: Decimal

    @property
    def sku(self) -> str:
        return SKU_PREFIX + re.sub(r"[^A-Z0-9]+", "-", self.name.upper()).strip("-")


@dataclass
class Opportunity:
    row: int
    external_id: str
    agent: str
    product: str
    account: str
    stage: str
    engaged: datetime.date | None
    closed: datetime.date | None
    value: Decimal | None


@dataclass
class Data:
    accounts: dict[str, Account] = field(default_factory=dict)
    products: dict[str, ProductRow] = field(default_factory=dict)
    agents: dict[str, tuple[str, str]] = field(default_factory=dict)  # agent -> (manager, regional office)
    opportunities: list[Opportunity] = field(default_factory=list)


def normalised(name: str) -> str:
    """A product name without case, spaces and punctuation: "GTXPro" and "GTX Pro" meet here."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


class _Reader:
    """Reads one file's rows with their line numbers and turns cells into values, reporting bad ones."""

    def __init__(self, result: ImportResult, directory: Path, key: str) -> None:
        self.result = result
        self.name, self.columns = FILES[key]
        self.path = directory / self.name
        self.row = 0

    def rows(self) -> Iterable[dict[str, str]]:
        if not self.path.is_file():
            self.result.add(self.name, 0, "error", _("The file %(path)s is missing.") % {"path": self.path})
            return
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in self.columns if c not in (reader.fieldnames or [])]
            if missing:
                self.result.add(
                    self.name, 1, "error", _("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)}
                )
                return
            for raw in reader:
                self.row = reader.line_num
                yield {k: (v or "").strip() for k, v in raw.items() if k is not None}

    def error(self, message: str) -> None:
        self.result.add(self.name, self.row, "error", message)

    def warn(self, message: str) -> None:
        self.result.add(self.name, self.row, "warning", message)

    def integer(self, row: dict[str, str], column: str) -> int | None:
        text = row[column]
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            self.error(_("%(column)s is not a whole number: “%(value)s”.") % {"column": column, "value": text})
            return None

    def amount(self, row: dict[str, str], column: str) -> Decimal | None:
        text = row[column]
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0:
            self.error(_("%(column)s is not an amount: “%(value)s”.") % {"column": column, "value": text})
            return None
        return round_money(value)

    def date(self, row: dict[str, str], column: str) -> datetime.date | None:
        text = row[column]
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            self.error(_("%(column)s is not a date (YYYY-MM-DD): “%(value)s”.") % {"column": column, "value": text})
            return None

    def spelling(self, value: str, column: str) -> str:
        fixed = SPELLING.get(value, value)
        if fixed != value:
            self.warn(
                _("%(column)s “%(value)s” read as “%(fixed)s”.") % {"column": column, "value": value, "fixed": fixed}
            )
        return fixed


def read_files(directory: Path, result: ImportResult) -> Data:
    """Parse and check the four files; every problem goes into `result`, nothing touches the database."""
    data = Data()
    reader = _Reader(result, directory, "teams")
    for row in reader.rows():
        agent, manager, office = row["sales_agent"], row["manager"], row["regional_office"]
        if not agent or not manager or not office:
            reader.error(_("The sales agent, manager and regional office are required."))
        elif agent in data.agents:
            reader.error(_("The sales agent %(name)s is listed twice.") % {"name": agent})
        else:
            data.agents[agent] = (manager, office)

    reader = _Reader(result, directory, "products")
    for row in reader.rows():
        price = reader.amount(row, "sales_price")
        if not row["product"] or price is None:
            if not row["product"] or not row["sales_price"]:
                reader.error(_("The product and its sales price are required."))
            continue
        key = normalised(row["product"])
        if key in data.products:
            reader.error(_("The product %(name)s is listed twice.") % {"name": row["product"]})
            continue
        data.products[key] = ProductRow(reader.row, row["product"], row["series"], price)

    reader = _Reader(result, directory, "accounts")
    for row in reader.rows():
        name = row["account"]
        if not name:
            reader.error(_("The account name is required."))
            continue
        if name.casefold() in {a.casefold() for a in data.accounts}:
            reader.error(_("The account %(name)s is listed twice.") % {"name": name})
            continue
        data.accounts[name] = Account(
            row=reader.row,
            name=name,
            industry=reader.spelling(row["sector"], "sector"),
            year_established=reader.integer(row, "year_established"),
            revenue=reader.amount(row, "revenue"),
            employees=reader.integer(row, "employees"),
            region=reader.spelling(row["office_location"], "office_location"),
            subsidiary_of=row.get("subsidiary_of", ""),
        )
    for account in data.accounts.values():
        if account.subsidiary_of and account.subsidiary_of not in data.accounts:
            result.add(
                FILES["accounts"][0],
                account.row,
                "warning",
                _("The parent account %(name)s is not in the file; kept in the notes only.")
                % {"name": account.subsidiary_of},
            )

    stages = {name for name, _kind, _probability in STAGES}
    seen: set[str] = set()
    reader = _Reader(result, directory, "pipeline")
    for row in reader.rows():
        errors_before = len(result.errors)
        opportunity_id, stage, product = row["opportunity_id"], row["deal_stage"], row["product"]
        if not opportunity_id:
            reader.error(_("The opportunity id is required."))
        elif opportunity_id in seen:
            reader.error(_("The opportunity %(id)s is listed twice.") % {"id": opportunity_id})
        seen.add(opportunity_id)
        if row["sales_agent"] not in data.agents:
            reader.error(_("Unknown sales agent “%(name)s” (not in sales_teams.csv).") % {"name": row["sales_agent"]})
        if stage not in stages:
            reader.error(_("Unknown deal stage “%(stage)s”.") % {"stage": stage})
        known = data.products.get(normalised(product))
        if known is None:
            reader.error(_("Unknown product “%(name)s” (not in products.csv).") % {"name": product})
        elif known.name != product:
            reader.warn(
                _("Product “%(name)s” is not in products.csv; mapped to “%(product)s” by its normalised name.")
                % {"name": product, "product": known.name}
            )
        if row["account"] and row["account"] not in data.accounts:
            reader.error(_("Unknown account “%(name)s” (not in accounts.csv).") % {"name": row["account"]})
        engaged, closed = reader.date(row, "engage_date"), reader.date(row, "close_date")
        value = reader.amount(row, "close_value")
        if stage in ("Won", "Lost") and (closed is None or value is None) and len(result.errors) == errors_before:
            reader.error(_("A won or lost opportunity needs a close date and a close value."))
        if engaged and closed and closed < engaged:
            reader.error(_("The close date is before the engage date."))
        if len(result.errors) > errors_before:
            continue
        opportunity = Opportunity(
            reader.row, opportunity_id, row["sales_agent"], known.name if known else product, row["account"], stage,
            engaged, closed, value,
        )  # fmt: skip
        if stage == "Won":
            result.files.won_count += 1
            result.files.won_total += value or Decimal("0")
        elif stage == "Lost":
            result.files.lost_count += 1
        if not opportunity.account:
            reader.result.add(
                reader.name,
                reader.row,
                "skipped",
                _("No account: a prospect without a client is not imported as a deal."),
            )
            result.tallies["deals"].skipped += 1
            continue
        data.opportunities.append(opportunity)
    return data
