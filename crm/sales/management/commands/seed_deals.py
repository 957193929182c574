"""Fill the CRM with deals of the existing clients: lines, stage history, won and lost ones (for demos and bench/).

Rows go in by bulk paths only (COPY on PostgreSQL, batched `executemany` elsewhere, through seed_demo's
Writer), with ids given explicitly under a table lock. Deals belong to the clients' responsible managers,
spread over the pipelines' stages (or all in one pipeline with `--pipeline`), mostly in roubles; won and
lost deals carry their closing dates (and a lost reason), and every deal's history says when it entered
its stages. Amounts and costs are the sums of the lines, as the services compute them.
"""

import datetime
import json
import random
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from crm.activities.management.commands.seed_demo import Writer, lock_next_ids, reset_sequences
from crm.catalog.choices import VatRate
from crm.catalog.models import Currency, ExchangeRate, PriceListItem, Product
from crm.parties.choices import Relationship
from crm.parties.models import ClassifierNode, Party
from crm.sales.choices import DealSource, StageKind
from crm.sales.models import Deal, DealEvent, DealLine, DealStageChange, Pipeline, Stage

CHUNK = 10_000
KOPECK = Decimal("0.01")
TABLES: list[type[models.Model]] = [Deal, DealLine, DealStageChange, DealEvent]
# Share of the deals per currency (the rest of the weight is roubles) and a rate for a fresh database.
CURRENCIES = {"RUB": 90, "USD": 6, "EUR": 4}
DEFAULT_RATES = {"USD": Decimal("92.4500"), "EUR": Decimal("100.1200")}
WORDS = ["Поставка", "Внедрение", "Расширение", "Продление", "Модернизация", "Закупка", "Пилотный проект"]
DEMO_PRODUCTS = [
    ("Сервер стоечный 2U", "шт", "150000.00"), ("Ноутбук 14\"", "шт", "65000.00"), ("Монитор 27\"", "шт", "18000.00"),
    ("Коммутатор 48 портов", "шт", "42000.00"), ("Лицензия CRM, год", "шт", "12000.00"),
    ("Внедрение, час работы", "ч", "3500.00"), ("Обучение пользователей", "ч", "2500.00"),
    ("Техническая поддержка, месяц", "мес", "15000.00"), ("ИБП 3 кВА", "шт", "54000.00"), ("СХД 24 диска", "шт", "480000.00"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Add deals (with lines and stage history) for the existing clients, spread over pipelines and managers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deals", type=int, default=1000, help="How many deals to add.")
        parser.add_argument("--pipeline", help="Put every deal into this pipeline (by name); default: all active.")
        parser.add_argument("--open-share", type=float, default=0.8, help="Share of deals in open stages (0..1).")
        parser.add_argument("--lines-per-deal", type=int, default=3, help="At most this many lines per deal (1..).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same deals.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per executemany batch (not COPY).")

    def handle(self, *args: Any, **options: Any) -> None:
        total = options["deals"]
        if total < 1 or not 0 <= options["open_share"] <= 1 or options["lines_per_deal"] < 1:
            raise CommandError("--deals and --lines-per-deal must be at least 1, --open-share between 0 and 1.")
        started = time.monotonic()
        rng = random.Random(options["seed"])
        pipelines = self.pipelines(options["pipeline"])
        clients = list(
            Party.objects.filter(is_deleted=False)
            .exclude(relationship=Relationship.CONTACT)
            .values_list("pk", "responsible_id", "name")
        )
        if not clients:
            raise CommandError("There are no clients yet: run `manage.py seed_demo --parties N` first.")
        products = self.products()
        reasons = list(ClassifierNode.objects.filter(classifier__name="Причины проигрыша").values_list("pk", "name"))
        self.rates()
        writer = Writer(options["batch_size"])
        generator = Generator(rng, pipelines, clients, products, reasons, options)
        with transaction.atomic():
            generator.ids = lock_next_ids(TABLES)
            progress = tqdm(total=total, unit="deal", disable=options["verbosity"] == 0, smoothing=0.05)
            done = 0
            while done < total:
                size = min(CHUNK, total - done)
                generator.chunk(writer, done, size)
                done += size
                progress.update(size)
                progress.set_postfix(rows=writer.rows_written, refresh=False)
            progress.close()
            reset_sequences(TABLES)
        with connection.cursor() as cursor:
            for model in TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(
            f"Added {total} deals ({generator.open} open) with {generator.lines} lines ({writer.rows_written} rows) "
            f"in {time.monotonic() - started:.1f} s."
        )

    def pipelines(self, name: str | None) -> list[tuple[Pipeline, list[Stage]]]:
        chosen = Pipeline.objects.filter(is_active=True).order_by("position", "pk")
        if name:
            chosen = chosen.filter(name=name)
        found = [(p, list(p.stages.order_by("position", "pk"))) for p in chosen]
        found = [(p, stages) for p, stages in found if any(s.is_open for s in stages)]
        if not found:
            raise CommandError(f"No active pipeline {name or ''} with open stages.".replace("  ", " "))
        return found

    def products(self) -> list[tuple[int, str, str, Decimal, Decimal]]:
        """(id, unit, VAT rate, cost, list price) of products on sale; a small demo catalog on an empty database."""
        if not Product.objects.filter(is_active=True, is_deleted=False).exists():
            rub = Currency.objects.get(code="RUB")
            Product.objects.bulk_create(
                Product(sku=f"DEMO-{n:03d}", name=name, unit=unit, vat_rate=VatRate.TWENTY, cost_currency=rub,
                        cost=(Decimal(price) * Decimal("0.7")).quantize(KOPECK))
                for n, (name, unit, price) in enumerate(DEMO_PRODUCTS, start=1)
            )  # fmt: skip
        prices = dict(PriceListItem.objects.filter(price_list__currency_id="RUB").values_list("product_id", "price"))
        rows = Product.objects.filter(is_active=True, is_deleted=False).values_list("pk", "unit", "vat_rate", "cost")
        return [
            (pk, unit, vat, cost, prices.get(pk) or (cost * Decimal("1.4")).quantize(KOPECK) or Decimal("1000.00"))
            for pk, unit, vat, cost in rows
        ]

    def rates(self) -> None:
        """A rate on the first of this year for the foreign currencies that have none, so totals convert."""
        on = timezone.localdate().replace(month=1, day=1)
        for code, rate in DEFAULT_RATES.items():
            if not ExchangeRate.objects.filter(currency_id=code).exists():
                ExchangeRate.objects.create(currency_id=code, on_date=on, rate=rate)


class Generator:
    """Builds the rows of one chunk of deals and writes them table by table."""

    def __init__(
        self,
        rng: random.Random,
        pipelines: list[tuple[Pipeline, list[Stage]]],
        clients: list[tuple[int, int, str]],
        products: list[tuple[int, str, str, Decimal, Decimal]],
        reasons: list[tuple[int, str]],
        options: dict[str, Any],
    ) -> None:
        self.rng, self.pipelines, self.clients, self.products, self.reasons = rng, pipelines, clients, products, reasons
        self.options = options
        self.ids: dict[type[models.Model], int] = {}
        self.now = timezone.now()
        self.open = 0
        self.lines = 0
        # Earlier pipelines get more deals: new sales outnumber repeat sales and projects.
        self.pipeline_weights = [len(pipelines) - n for n in range(len(pipelines))]
        self.currencies, self.currency_weights = list(CURRENCIES), list(CURRENCIES.values())

    def take(self, model: type[models.Model]) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def moment(self, earliest: datetime.datetime, latest: datetime.datetime) -> datetime.datetime:
        span = max((latest - earliest).total_seconds(), 1.0)
        return earliest + datetime.timedelta(seconds=self.rng.random() * span)

    def chunk(self, writer: Writer, start: int, size: int) -> None:
        deals: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        rng, share = self.rng, self.options["open_share"]
        for index in range(start, start + size):
            pipeline, stages = self.rng.choices(self.pipelines, self.pipeline_weights)[0]
            opened = [s for s in stages if s.is_open]
            # The open share is exact (floor(share * deals) open), so a bench knows how many open deals it gets.
            is_open = int(share * (index + 1)) > int(share * index) or all(s.is_open for s in stages)
            if is_open:
                stage = opened[min(int(rng.expovariate(0.7)), len(opened) - 1)]
                self.open += 1
            else:
                closed = [s for s in stages if not s.is_open]
                won = [s for s in closed if s.kind == StageKind.WON]
                stage = won[0] if won and rng.random() < 0.6 else rng.choice(closed)
            party_id, owner_id, party_name = rng.choice(self.clients)
            currency = rng.choices(self.currencies, self.currency_weights)[0]
            created = self.moment(self.now - datetime.timedelta(days=365), self.now - datetime.timedelta(hours=2))
            updated = self.moment(created, self.now)
            entered = created if stage == stages[0] else self.moment(created, updated)
            deal_id = self.take(Deal)
            amount = cost = Decimal("0")
            for position in range(1, rng.randint(1, self.options["lines_per_deal"]) + 1):
                product_id, unit, vat, unit_cost, list_price = rng.choice(self.products)
                quantity = Decimal(rng.choice([1, 1, 1, 2, 3, 5, 10]))
                discount = Decimal(rng.choice([0, 0, 0, 3, 5, 10]))
                price = (list_price * (100 - discount) / 100).quantize(KOPECK, ROUND_HALF_UP)
                if currency != "RUB":
                    price = (price / DEFAULT_RATES[currency]).quantize(KOPECK, ROUND_HALF_UP) or KOPECK
                amount += (price * quantity).quantize(KOPECK, ROUND_HALF_UP)
                cost += unit_cost * quantity
                lines.append((self.take(DealLine), deal_id, position, product_id, "", quantity, unit, list_price,
                              discount, price, vat, True, unit_cost, None, ""))  # fmt: skip
                self.lines += 1
            reason = rng.choice(self.reasons) if stage.kind == StageKind.LOST and self.reasons else None
            closed_at = None if stage.is_open else updated
            title = f"{rng.choice(WORDS)}: {party_name}"[:300]
            source = rng.choice([DealSource.CHANNEL, DealSource.REFERRAL, DealSource.CAMPAIGN, DealSource.LEAD, ""])
            close_date = (created + datetime.timedelta(days=rng.randint(14, 120))).date()
            deals.append((deal_id, created, updated, 1, False, None, None, title, party_id, None, owner_id,
                          pipeline.pk, stage.pk, entered, currency, amount, False, cost, close_date, stage.probability,
                          False, None, source, "", reason[0] if reason else None, closed_at, "", ""))  # fmt: skip
            changes.append((self.take(DealStageChange), deal_id, None, stages[0].pk, owner_id, created))
            events.append((self.take(DealEvent), deal_id, DealEvent.Kind.CREATED, owner_id, created, {}))
            if stage != stages[0]:
                changes.append((self.take(DealStageChange), deal_id, stages[0].pk, stage.pk, owner_id, entered))
                data = {"from": stages[0].pk, "to": stage.pk, "from_name": stages[0].name, "to_name": stage.name}
                if reason:
                    data["lost_reason"] = reason[1]
                events.append((self.take(DealEvent), deal_id, DealEvent.Kind.STAGE_CHANGED, owner_id, entered, data))
        writer.write(Deal, DEAL_COLUMNS, deals)
        writer.write(DealLine, LINE_COLUMNS, lines)
        writer.write(DealStageChange, ["id", "deal_id", "from_stage_id", "stage_id", "actor_id", "at"], changes)
        writer.write(DealEvent, ["id", "deal_id", "kind", "actor_id", "at", "data"], _json(events))


DEAL_COLUMNS = [
    "id", "created_at", "updated_at", "version", "is_deleted", "deleted_at", "deleted_by_id", "title", "party_id",
    "contact_id", "owner_id", "pipeline_id", "stage_id", "stage_entered_at", "currency_id", "amount",
    "amount_is_manual", "cost", "expected_close_date", "probability", "probability_is_manual", "price_list_id",
    "source", "source_detail", "lost_reason_id", "closed_at", "description", "external_id",
]  # fmt: skip
LINE_COLUMNS = [
    "id", "deal_id", "position", "product_id", "description", "quantity", "unit", "list_price", "discount_percent",
    "price", "vat_rate", "vat_included", "cost", "price_list_id", "price_source",
]  # fmt: skip


def _json(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The event data as JSON text, which both COPY and SQLite's executemany take for a json column."""
    return [(*row[:-1], json.dumps(row[-1], ensure_ascii=False)) for row in rows]
