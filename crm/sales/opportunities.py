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

import csv
import datetime
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.accounts import roles
from crm.accounts.models import Team, User
from crm.catalog.choices import VatRate
from crm.catalog.models import Currency, PriceList, PriceListItem, Product, ProductGroup
from crm.catalog.money import round_money
from crm.parties.choices import CompanySize, PartyKind, Relationship
from crm.parties.models import Party, PartyEvent
from crm.parties.services import parties_rebuild_node_ids
from crm.sales.choices import StageKind
from crm.sales.models import Deal, DealEvent, DealLine, DealStageChange, Pipeline, Stage
from crm.sales.reports import SalesSummary, SummaryFilters, sales_summary_of, win_rate

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


def username_for(name: str) -> str:
    """ "Mei-Mei Johns" -> "mei-mei.johns": stable, so a second run finds the same user."""
    return ".".join(slugify(part) for part in name.split())[:150]


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = name.strip().partition(" ")
    return first, last.strip()


def _size(employees: int | None) -> str:
    if employees is None:
        return ""
    if employees <= 15:
        return CompanySize.MICRO
    if employees <= 100:
        return CompanySize.SMALL
    if employees <= 250:
        return CompanySize.MEDIUM
    return CompanySize.LARGE


def _moment(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the CRM's time zone: dates of the file become the times of the history."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


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


def opportunities_import(*, directory: Path, dry_run: bool = False) -> ImportResult:
    """Load the data set from `directory`; with `dry_run` (or on any error) the database is left as it was."""
    result = ImportResult()
    data = read_files(directory, result)
    if result.errors:
        return result
    with transaction.atomic():
        _Loader(data, result).load()
        # Read back through the report, over every live deal of the pipeline (no reader's visibility applies).
        pipeline = Pipeline.objects.get(name=PIPELINE_NAME)
        result.crm = sales_summary_of(Deal.objects.filter(is_deleted=False), SummaryFilters(pipeline=pipeline))
        result.applied = not dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result


class _Loader:
    """Writes the parsed data with batched inserts: a handful of statements per table, never one save() per row."""

    def __init__(self, data: Data, result: ImportResult) -> None:
        self.data = data
        self.result = result
        self.now = timezone.now()
        self.users: dict[str, User] = {}
        self.products: dict[str, Product] = {}
        self.parties: dict[str, Party] = {}
        self.stages: dict[str, Stage] = {}

    def tally(self, entity: str) -> Tally:
        return self.result.tallies[entity]

    def load(self) -> None:
        self.currency = self.load_currency()
        self.load_people()
        self.load_products()
        self.load_pipeline()
        self.load_parties()
        self.load_deals()

    def load_currency(self) -> Currency:
        currency, created = Currency.objects.get_or_create(
            code=CURRENCY, defaults={"name": _("US dollar"), "symbol": "$"}
        )
        if created:
            self.tally("currencies").created += 1
        return currency

    def load_people(self) -> None:
        """Agents and managers as users with no usable password, in one team per (office, manager)."""
        groups = roles.ensure_roles()
        people: dict[str, str] = {}  # name -> role
        for agent, (manager, _office) in self.data.agents.items():
            people.setdefault(manager, roles.TEAM_LEAD)
            people.setdefault(agent, roles.SALES_MANAGER)
        names = {username_for(name): name for name in people}
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        unusable = make_password(None)
        fresh = []
        for username, name in names.items():
            if username in existing:
                self.users[name] = existing[username]
                continue
            first, last = _split_name(name)
            fresh.append(User(username=username, first_name=first, last_name=last, password=unusable))
        for user in User.objects.bulk_create(fresh, batch_size=BATCH):
            self.users[names[user.username]] = user
        self.tally("users").created += len(fresh)

        wanted = {(office, manager) for manager, office in self.data.agents.values()}
        team_names = {f"{office} / {manager}": (office, manager) for office, manager in sorted(wanted)}
        teams = {t.name: t for t in Team.objects.filter(name__in=team_names)}
        changed_teams = []
        for name, (_office, manager) in team_names.items():
            head = self.users[manager]
            team = teams.get(name)
            if team is None:
                teams[name] = Team.objects.create(name=name, head=head)
                self.tally("teams").created += 1
            elif team.head_id != head.pk:
                team.head = head
                changed_teams.append(team)
            else:
                self.tally("teams").unchanged += 1
        Team.objects.bulk_update(changed_teams, ["head"])
        self.tally("teams").updated += len(changed_teams)

        team_of: dict[str, Team] = {}
        for agent, (manager, office) in self.data.agents.items():
            team_of[agent] = team_of.setdefault(manager, teams[f"{office} / {manager}"])
        moved = []
        for name, user in self.users.items():
            if user.team_id != team_of[name].pk:
                user.team = team_of[name]
                moved.append(user)
        User.objects.bulk_update(moved, ["team"])
        for username in existing:
            if existing[username] in moved:
                self.tally("users").updated += 1
            else:
                self.tally("users").unchanged += 1
        membership = User.groups.through
        membership.objects.bulk_create(
            [membership(user_id=self.users[name].pk, group_id=groups[role].pk) for name, role in people.items()],
            ignore_conflicts=True,
        )

    def load_products(self) -> None:
        """Series as product groups, products by article number, their list prices in one USD price list."""
        rows = list(self.data.products.values())
        groups = {g.name: g for g in ProductGroup.objects.filter(parent=None, name__in={r.series for r in rows})}
        for series in sorted({r.series for r in rows} - set(groups)):
            group = ProductGroup.objects.create(name=series)
            group.path = f"{group.pk}/"
            group.save(update_fields=["path"])
            groups[series] = group
            self.tally("product groups").created += 1
        existing = {p.sku: p for p in Product.objects.filter(sku__in=[r.sku for r in rows])}
        fresh, changed = [], []
        for row in rows:
            product = existing.get(row.sku)
            group = groups[row.series]
            if product is None:
                fresh.append(
                    Product(sku=row.sku, name=row.name, group=group, vat_rate=VatRate.NONE, cost_currency=self.currency)
                )
            elif (product.name, product.group_id, product.is_deleted) != (row.name, group.pk, False):
                product.name, product.group, product.is_deleted = row.name, group, False
                changed.append(product)
            else:
                self.tally("products").unchanged += 1
        Product.objects.bulk_create(fresh, batch_size=BATCH)
        Product.objects.bulk_update(changed, ["name", "group", "is_deleted"])
        self.tally("products").created += len(fresh)
        self.tally("products").updated += len(changed)
        self.products = {p.name: p for p in [*existing.values(), *fresh]}

        price_list, created = PriceList.objects.get_or_create(
            name=PRICE_LIST_NAME, defaults={"currency": self.currency, "vat_included": True}
        )
        self.tally("price lists").created += int(created)
        self.tally("price lists").unchanged += int(not created)
        self.price_list = price_list
        items = {i.product_id: i for i in PriceListItem.objects.filter(price_list=price_list)}
        fresh_items, changed_items = [], []
        for row in rows:
            product = self.products[row.name]
            item = items.get(product.pk)
            if item is None:
                fresh_items.append(PriceListItem(price_list=price_list, product=product, price=row.price))
            elif item.price != row.price:
                item.price = row.price
                changed_items.append(item)
            else:
                self.tally("prices").unchanged += 1
        PriceListItem.objects.bulk_create(fresh_items)
        PriceListItem.objects.bulk_update(changed_items, ["price"])
        self.tally("prices").created += len(fresh_items)
        self.tally("prices").updated += len(changed_items)

    def load_pipeline(self) -> None:
        pipeline, created = Pipeline.objects.get_or_create(name=PIPELINE_NAME)
        self.tally("pipelines").created += int(created)
        self.tally("pipelines").unchanged += int(not created)
        self.pipeline = pipeline
        existing = {s.name: s for s in pipeline.stages.all()}
        for position, (name, kind, probability) in enumerate(STAGES):
            stage = existing.get(name)
            if stage is None:
                stage = Stage.objects.create(
                    pipeline=pipeline, name=name, position=position, kind=kind, probability=probability
                )
                self.tally("stages").created += 1
            elif stage.kind != kind:
                # Reports count won and lost deals by the stage type: the file's meaning must hold.
                stage.kind = kind
                stage.save(update_fields=["kind", "updated_at"])
                self.tally("stages").updated += 1
            else:
                self.tally("stages").unchanged += 1
            self.stages[name] = stage

    def _responsible(self) -> dict[str, User]:
        """Each account's manager: the agent with most of its opportunities (ties: the first in name order)."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for o in self.data.opportunities:
            counts[o.account][o.agent] += 1
        fallback = sorted(self.data.agents)[0]
        chosen = {}
        for account in self.data.accounts:
            ranked = sorted(counts[account].items(), key=lambda item: (-item[1], item[0]))
            chosen[account] = self.users[ranked[0][0] if ranked else fallback]
        return chosen

    def _notes(self, account: Account) -> str:
        lines = []
        if account.year_established is not None:
            lines.append(_("Established in %(year)s.") % {"year": account.year_established})
        if account.revenue is not None:
            lines.append(_("Annual revenue: %(amount)s million USD.") % {"amount": account.revenue})
        if account.employees is not None:
            lines.append(_("Employees: %(count)s.") % {"count": account.employees})
        if account.subsidiary_of:
            lines.append(_("Subsidiary of %(name)s.") % {"name": account.subsidiary_of})
        return "\n".join(lines)

    def load_parties(self) -> None:
        """Accounts as organisations, written in batches with the derived columns Party.save() would set."""
        responsible = self._responsible()
        won = {o.account for o in self.data.opportunities if o.stage == "Won"}
        folded = {name.casefold(): name for name in self.data.accounts}
        existing = Party.objects.filter(
            kind=PartyKind.ORGANIZATION, is_deleted=False, search_name__in=list(folded)
        ).order_by("pk")
        for party in existing:
            self.parties.setdefault(folded[party.search_name], party)
        fresh: list[Party] = []
        changed: list[Party] = []
        for name, account in self.data.accounts.items():
            values: dict[str, Any] = {
                "industry": account.industry,
                "region": account.region,
                "size": _size(account.employees),
                "relationship": Relationship.CLIENT if name in won else Relationship.PROSPECT,
                "notes": self._notes(account),
            }
            found = self.parties.get(name)
            if found is None:
                party = Party(
                    kind=PartyKind.ORGANIZATION, name=name, search_name=name.casefold(),
                    responsible=responsible[name], created_by=None, created_at=self.now,
                    custom_data={}, **values,
                )  # fmt: skip
                fresh.append(party)
                self.parties[name] = party
            elif any(getattr(found, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(found, key, value)
                found.updated_at = self.now  # bulk_update does not touch auto_now fields
                changed.append(found)
            else:
                self.tally("clients").unchanged += 1
        Party.objects.bulk_create(fresh, batch_size=BATCH)
        Party.objects.bulk_update(changed, [*values, "updated_at"])
        PartyEvent.objects.bulk_create(
            [
                PartyEvent(party=p, kind=PartyEvent.Kind.CREATED, at=self.now, data={"name": p.name, "source": SOURCE})
                for p in fresh
            ],
            batch_size=BATCH,
        )
        # The denormalised classifier node ids, as after any bulk load (none yet: the accounts are unclassified).
        parties_rebuild_node_ids([p.pk for p in fresh])
        self.tally("clients").created += len(fresh)
        self.tally("clients").updated += len(changed)

    def _history(self, o: Opportunity) -> list[tuple[Stage, datetime.datetime]]:
        """The stages the opportunity entered, with when: the file knows the engage and close dates only.

        No date says when a prospect was first met, so Prospecting is recorded only for current prospects
        (as of the import when the file has no date); an engaged deal starts in Engaging at its engage date.
        """
        stage = self.stages[o.stage]
        start = self.now if o.engaged is None else _moment(o.engaged)
        if stage.is_open:
            return [(stage, start)]
        assert o.closed is not None  # read_files refuses a closed opportunity without a close date
        closed = _moment(o.closed)
        return [(self.stages["Engaging"], start if o.engaged else closed), (stage, closed)]

    def _amount(self, o: Opportunity) -> tuple[Decimal, Decimal]:
        """The line's list price (products.csv) and its price: the close value, or the list price while open."""
        list_price = self.data.products[normalised(o.product)].price
        return list_price, list_price if o.value is None else o.value

    def load_deals(self) -> None:
        # The whole pipeline rather than an IN list of 8,800 ids (SQLite caps the parameters of a query).
        existing = {
            d.external_id: d
            for d in Deal.objects.filter(pipeline=self.pipeline).exclude(external_id="").select_related("stage")
        }
        fresh: list[tuple[Opportunity, Deal, list[tuple[Stage, datetime.datetime]]]] = []
        changed: list[Deal] = []
        moves: list[tuple[Deal, Stage, Stage, datetime.datetime]] = []
        events: list[DealEvent] = []
        for o in self.data.opportunities:
            history = self._history(o)
            _list_price, amount = self._amount(o)
            values: dict[str, Any] = {
                "owner_id": self.users[o.agent].pk,
                "party_id": self.parties[o.account].pk,
                "stage_id": history[-1][0].pk,
                "amount": amount,
                "closed_at": None if self.stages[o.stage].is_open else history[-1][1],
            }
            deal = existing.get(o.external_id)
            if deal is None:
                deal = Deal(
                    title=f"{o.product}: {o.account}", pipeline=self.pipeline, currency=self.currency,
                    stage_entered_at=history[-1][1], probability=history[-1][0].probability,
                    price_list=self.price_list, external_id=o.external_id, created_at=history[0][1],
                    source_detail=SOURCE, **values,
                )  # fmt: skip
                fresh.append((o, deal, history))
                continue
            before = {k: getattr(deal, k) for k in values}
            if before == values:
                self.tally("deals").unchanged += 1
                continue
            if before["stage_id"] != values["stage_id"]:
                moves.append((deal, deal.stage, history[-1][0], history[-1][1]))
                deal.stage_entered_at = history[-1][1]
                deal.probability = history[-1][0].probability
            for key, value in values.items():
                setattr(deal, key, value)
            deal.version += 1
            deal.updated_at = self.now  # bulk_update does not touch auto_now fields
            changed.append(deal)
            diff = [
                {"field": k, "old": str(before[k]), "new": str(values[k])} for k in values if before[k] != values[k]
            ]
            events.append(
                DealEvent(deal=deal, kind=DealEvent.Kind.CHANGED, at=self.now, data={"source": SOURCE, "changes": diff})
            )
        DealEvent.objects.bulk_create(events, batch_size=BATCH)
        self._write_new_deals(fresh)
        self._write_changed_deals(changed, moves)

    def _write_new_deals(self, fresh: list[tuple[Opportunity, Deal, list[tuple[Stage, datetime.datetime]]]]) -> None:
        Deal.objects.bulk_create([deal for _o, deal, _h in fresh], batch_size=BATCH)
        lines, changes, events = [], [], []
        source = _("Close value of the CRM Sales Opportunities data set; list price from its products.csv.")
        for o, deal, history in fresh:
            product = self.products[o.product]
            list_price, price = self._amount(o)
            lines.append(
                DealLine(
                    deal=deal, position=1, product=product, quantity=Decimal(1), unit=product.unit,
                    list_price=list_price, price=price, vat_rate=product.vat_rate, vat_included=True,
                    price_list=self.price_list, price_source=source,
                )
            )  # fmt: skip
            previous: Stage | None = None
            for stage, at in history:
                changes.append(DealStageChange(deal=deal, from_stage=previous, stage=stage, at=at))
                if previous is None:
                    data = {"title": deal.title, "stage": stage.name, "stage_id": stage.pk, "source": SOURCE,
                            "product": o.product, "price": str(price)}  # fmt: skip
                    events.append(DealEvent(deal=deal, kind=DealEvent.Kind.CREATED, at=at, data=data))
                else:
                    data = {"from": previous.pk, "to": stage.pk, "from_name": previous.name, "to_name": stage.name}
                    events.append(DealEvent(deal=deal, kind=DealEvent.Kind.STAGE_CHANGED, at=at, data=data))
                previous = stage
        DealLine.objects.bulk_create(lines, batch_size=BATCH)
        DealStageChange.objects.bulk_create(changes, batch_size=BATCH)
        DealEvent.objects.bulk_create(events, batch_size=BATCH)
        self.tally("deals").created += len(fresh)

    def _write_changed_deals(
        self, changed: list[Deal], moves: list[tuple[Deal, Stage, Stage, datetime.datetime]]
    ) -> None:
        fields = ["owner", "party", "stage", "amount", "closed_at", "stage_entered_at", "probability", "version"]
        Deal.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=BATCH)
        DealStageChange.objects.bulk_create(
            [DealStageChange(deal=d, from_stage=old, stage=new, at=at) for d, old, new, at in moves], batch_size=BATCH
        )
        DealEvent.objects.bulk_create(
            [
                DealEvent(deal=d, kind=DealEvent.Kind.STAGE_CHANGED, at=at,
                          data={"from": old.pk, "to": new.pk, "from_name": old.name, "to_name": new.name})
                for d, old, new, at in moves
            ],
            batch_size=BATCH,
        )  # fmt: skip
        lines = {line.deal_id: line for line in DealLine.objects.filter(deal__in=changed, position=1)}
        repriced = []
        for deal in changed:
            line = lines.get(deal.pk)
            if line is not None and line.price != deal.amount:
                line.price = deal.amount
                repriced.append(line)
        DealLine.objects.bulk_update(repriced, ["price"])
        self.tally("deals").updated += len(changed)
