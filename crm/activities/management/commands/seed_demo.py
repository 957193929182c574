"""Fill the CRM with a realistic Russian company's data: teams, classifiers, clients, contacts, history, tasks.

Rows go in by bulk paths only (COPY on PostgreSQL, batched `executemany` elsewhere), never one ORM
`save()` per row; values are built to pass `Party.full_clean` (requisites carry correct check digits)
and the derived columns (`name` of a person, `birthday_key`, `search_key`) are set here as the
services would set them. Running it again adds more clients and reuses the users and classifiers.
"""

import datetime
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from crm.accounts import roles
from crm.accounts.models import Team, User
from crm.activities.choices import Direction, TaskKind, TaskStatus
from crm.activities.models import Interaction, InteractionType, Task
from crm.parties.choices import CompanySize, ContactKind, ContactLabel, LegalForm, PartyKind, Relationship, Source
from crm.parties.models import (
    Classifier,
    ClassifierNode,
    ContactPoint,
    Party,
    PartyClassification,
    PartyContact,
    PartyEvent,
)
from crm.parties.services import parties_rebuild_co_owner_ids, parties_rebuild_node_ids

UTC = datetime.UTC
DAY = 86400
# Parties per chunk: each chunk is generated, then written table by table, so memory stays flat.
CHUNK = 20_000
# Share of the parties of each form; contact persons hang off organisations of the same chunk.
ORGANIZATION_SHARE = 0.45
INDIVIDUAL_SHARE = 0.15
# Above this many new parties, PostgreSQL loads faster with secondary indexes and foreign keys dropped
# and rebuilt once at the end (inside the same transaction, so an interrupted run leaves nothing behind).
REBUILD_INDEXES_FROM = 100_000

CLASSIFIERS: dict[str, list[Any]] = {
    "Температура": ["Холодный", "Тёплый", "Горячий"],
    "Лояльность": ["Новый", "Разовый", "Постоянный", "Лояльный", "Ушедший"],
    "Размер": ["Микро", "Малый", "Средний", "Крупный"],
    "Отрасль": [
        ("Производство", [("Машиностроение", ["Станкостроение", "Автокомпоненты"]), "Пищевая промышленность",
                          "Химическая промышленность", "Металлургия"]),
        ("Торговля", ["Оптовая торговля", "Розничная торговля", "Электронная коммерция"]),
        ("ИТ и связь", ["Разработка ПО", "Системная интеграция", "Телеком"]),
        ("Строительство", ["Жилищное строительство", "Промышленное строительство", "Дорожное строительство"]),
        ("Услуги", ["Логистика", "Консалтинг", ("Финансы", ["Банки", "Страхование", "Лизинг"])]),
        ("Государственный сектор", ["Образование", "Здравоохранение"]),
    ],
}  # fmt: skip
SIZE_NODES = dict(zip(CompanySize.values, CLASSIFIERS["Размер"], strict=True))
# Banks: name, BIK. Correspondent accounts are derived from the BIK with the Central Bank's key.
BANKS = [
    ("ПАО Сбербанк", "044525225"),
    ("Банк ВТБ (ПАО)", "044525187"),
    ("АО «Альфа-Банк»", "044525593"),
    ("АО «ТБанк»", "044525974"),
    ("Банк ГПБ (АО)", "044525823"),
    ("АО «Райффайзенбанк»", "044525700"),
    ("Северо-Западный банк ПАО Сбербанк", "044030653"),
    ("Уральский банк ПАО Сбербанк", "046577674"),
    ("Сибирский банк ПАО Сбербанк", "045004641"),
    ("ПАО «Банк «Санкт-Петербург»", "044030790"),
]
CITY_CODES = ["495", "499", "812", "343", "383", "846", "863", "843", "831", "861", "473", "342", "351", "391"]
MOBILE_CODES = [f"{p}{d}" for p in ("90", "91", "92", "95", "96", "98", "99") for d in "0123456789"]
FREE_MAIL = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru", "rambler.ru"]
POSITIONS = [
    "Генеральный директор", "Коммерческий директор", "Финансовый директор", "Главный бухгалтер",
    "Руководитель отдела закупок", "Менеджер по закупкам", "Главный инженер", "ИТ-директор",
    "Руководитель службы логистики", "Юрист", "Офис-менеджер", "Начальник производства",
]  # fmt: skip
STEM_ROOTS = [
    "Техно", "Пром", "Строй", "Агро", "Энерго", "Инвест", "Торг", "Транс", "Мед", "Эко", "Урал", "Сиб",
    "Волга", "Нева", "Север", "Юг", "Альфа", "Гранит", "Вектор", "Росс", "Бизнес", "Софт", "Мега", "Нефте",
]  # fmt: skip
STEM_SUFFIXES = [
    "сервис", "строй", "снаб", "торг", "маш", "ресурс", "лайн", "групп", "комплекс", "систем", "логистик",
    "проект", "хим", "пласт", "металл", "трейд", "инвест", "док", "мир", "центр", "тех", "лес", "сталь",
]  # fmt: skip
TRIGGERS = [
    "Запуск нового производства", "Смена поставщика", "Получение финансирования", "Выход на новый рынок",
    "Открытие филиала", "Рост объёма заказов", "Участие в тендере", "Смена руководства",
]  # fmt: skip
SUBJECTS = {
    "call": ["Уточнение потребности", "Обсуждение условий поставки", "Напоминание об оплате", "Первичный звонок",
             "Согласование сроков", "Вопрос по счёту", "Обсуждение скидки"],
    "meeting": ["Встреча с руководством", "Переговоры по договору", "Презентация продукции"],
    "demo": ["Демонстрация системы", "Показ нового оборудования", "Пилотный запуск"],
    "email": ["Коммерческое предложение", "Прайс-лист", "Счёт на оплату", "Проект договора", "Акт сверки"],
    "letter": ["Гарантийное письмо", "Оригиналы документов", "Претензия"],
    "fax": ["Копия доверенности", "Заявка"],
    "sms": ["Напоминание о встрече", "Подтверждение заказа"],
    "chat": ["Вопрос в мессенджере", "Уточнение реквизитов"],
    "visit": ["Выезд на объект", "Визит в офис клиента", "Аудит склада"],
}  # fmt: skip
RESULTS = [
    "Договорились о повторном звонке через неделю.", "Клиент запросил коммерческое предложение.",
    "Отправлены документы, ждём ответа.", "Клиент не готов, вернуться через квартал.",
    "Согласовали объём и сроки поставки.", "Счёт оплачен.", "Назначена встреча с директором.",
    "Нужна скидка 5%, согласовать с руководителем.", "Не дозвонились.", "Клиент доволен, планирует повторный заказ.",
    "Передали техническое задание.", "Ждём подписанный договор.", "",
]  # fmt: skip
# How often each interaction type occurs, with the typical duration range in minutes.
TYPE_WEIGHTS = {"call": (50, 2, 25), "email": (22, 0, 0), "meeting": (8, 30, 120), "demo": (3, 45, 90),
                "letter": (3, 0, 0), "fax": (1, 0, 0), "sms": (5, 0, 0), "chat": (5, 0, 10), "visit": (3, 60, 180)}  # fmt: skip
TASK_TITLES = [
    "Позвонить по коммерческому предложению", "Отправить КП", "Подготовить договор", "Выставить счёт",
    "Назначить встречу", "Уточнить реквизиты", "Согласовать спецификацию", "Проверить оплату",
    "Поздравить с днём рождения", "Пригласить на выставку",
]  # fmt: skip
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", [
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
    "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))  # fmt: skip


def translit(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())


def _mix(index: int, modulus: int, salt: int) -> int:
    """A bijection of 0..modulus-1 (multiplier coprime to 10): unique, random-looking serial numbers."""
    return (index * 7_654_321 + salt) % modulus


def inn10(prefix9: str) -> str:
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return prefix9 + str(sum(int(d) * w for d, w in zip(prefix9, weights, strict=True)) % 11 % 10)


def inn12(prefix10: str) -> str:
    w11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    w12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    first = prefix10 + str(sum(int(d) * w for d, w in zip(prefix10, w11, strict=True)) % 11 % 10)
    return first + str(sum(int(d) * w for d, w in zip(first, w12, strict=True)) % 11 % 10)


def ogrn13(prefix12: str) -> str:
    return prefix12 + str(int(prefix12) % 11 % 10)


def ogrnip15(prefix14: str) -> str:
    # python-stdnum takes the remainder mod 13 without the final mod 10, so 10..12 never validate.
    number = int(prefix14)
    while number % 13 >= 10:
        number += 1
    return f"{number:014d}" + str(number % 13)


def with_account_key(prefix3: str, account: str) -> str:
    """Put the Central Bank key (9th digit) into `account` so it matches the bank's 3-digit prefix."""
    weights = [7, 1, 3] * 7 + [7, 1]
    digits = prefix3 + account[:8] + "0" + account[9:]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    key = (-total * 7) % 10  # the key's weight is 3 and 3 * 7 = 21 = 1 (mod 10)
    return account[:8] + str(key) + account[9:]


@dataclass
class Pools:
    """Names and words drawn once from Faker and combined at random: Faker per row is too slow for millions."""

    male: tuple[list[str], list[str], list[str]]
    female: tuple[list[str], list[str], list[str]]
    regions: list[str]
    streets: list[str]
    cities: list[str]
    stems: list[str]
    latin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, fake: Faker) -> "Pools":
        def many(method: Callable[[], str], count: int) -> list[str]:
            return sorted({method() for _ in range(count)})

        male = (many(fake.last_name_male, 3000), many(fake.first_name_male, 1000), many(fake.middle_name_male, 1000))
        female = (
            many(fake.last_name_female, 3000),
            many(fake.first_name_female, 1000),
            many(fake.middle_name_female, 1000),
        )
        stems = [root + suffix for root in STEM_ROOTS for suffix in STEM_SUFFIXES]
        stems += [f"{name} и партнёры" for name in male[0][:200]]
        pools = cls(male, female, many(fake.region, 500), many(fake.street_name, 800), many(fake.city_name, 500), stems)
        for word in {*male[0], *male[1], *female[0], *female[1], *stems}:
            pools.latin[word] = translit(word.replace(" и партнёры", ""))
        return pools


@dataclass
class Directory:
    """The users, classifier nodes and interaction types the rows refer to."""

    managers: list[User]
    head: User
    types: dict[str, int]
    nodes: dict[tuple[str, str], int]
    industry_leaves: list[tuple[int, str]]


class Writer:
    """Appends rows to a table: COPY on PostgreSQL, batched executemany on other databases."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.is_postgres = connection.vendor == "postgresql"
        self.rows_written = 0

    def columns(self, model: type[models.Model], given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
        """All concrete columns: the `given` ones first, then the rest filled with each field's default."""
        rest = [f for f in model._meta.concrete_fields if f.column not in given]
        defaults = []
        for f in rest:
            value = f.get_default()
            defaults.append(json.dumps(value) if isinstance(f, models.JSONField) else value)
        return [*given, *(f.column for f in rest)], tuple(defaults)

    def write(self, model: type[models.Model], given: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        columns, tail = self.columns(model, given)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if self.is_postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail)
                        self.rows_written += 1
                return
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(_plain(v) for v in row + tail))
                if len(batch) >= self.batch_size:
                    cursor.executemany(sql, batch)
                    self.rows_written += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                self.rows_written += len(batch)


def _plain(value: Any) -> Any:
    """What Django's SQLite backend stores: naive UTC datetimes and ISO dates as text."""
    if isinstance(value, datetime.datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


BIG_TABLES: list[type[models.Model]] = [
    Party, ContactPoint, PartyContact, PartyClassification, PartyEvent, Party.co_owners.through,
    Interaction, Interaction.participants.through, Task, Task.assignees.through,
]  # fmt: skip


class Command(BaseCommand):
    help = "Fill the database with a realistic demo company: teams, classifiers, clients, contacts, history, tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--parties", type=int, required=True, help="How many parties to add (all forms).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--interactions-per-party", type=float, default=5.0, help="Average history length.")
        parser.add_argument("--years", type=int, default=3, help="How many years of history to generate.")
        parser.add_argument("--managers", type=int, default=8, help="Sales managers, split into two teams.")
        parser.add_argument("--password", default="demo12345", help="Password of every demo user.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per executemany batch (not COPY).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["parties"] < 1:
            raise CommandError("--parties must be at least 1.")
        started = time.monotonic()
        rng = random.Random(options["seed"])
        fake = Faker("ru_RU")
        fake.seed_instance(options["seed"])
        pools = Pools.build(fake)
        directory = self.directory(options["managers"], options["password"])
        writer = Writer(options["batch_size"])
        total = options["parties"]
        with transaction.atomic():
            next_ids = lock_next_ids(BIG_TABLES)
            # Rebuilding pays off only when the new rows are many and at least as many as those already there.
            rebuild = writer.is_postgres and total >= max(REBUILD_INDEXES_FROM, next_ids[Party] - 1)
            restore = _drop_secondary_indexes() if rebuild else []
            generator = Generator(rng, pools, directory, options, next_ids)
            progress = tqdm(total=total, unit="party", disable=options["verbosity"] == 0, smoothing=0.05)
            done = 0
            while done < total:
                size = min(CHUNK, total - done)
                generator.chunk(writer, size, first=done == 0)
                done += size
                progress.update(size)
                progress.set_postfix(rows=writer.rows_written, refresh=False)
            progress.close()
            # The denormalised classifier node ids and co-owner ids (parties.services) for the rows just written.
            parties_rebuild_node_ids()
            parties_rebuild_co_owner_ids()
            if restore:
                self.stdout.write(f"Rebuilding {len(restore)} indexes and foreign keys...")
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                    for statement in tqdm(restore, unit="index", disable=options["verbosity"] == 0):
                        cursor.execute(statement)
            reset_sequences(BIG_TABLES)
        if writer.is_postgres:
            # VACUUM sets the visibility map so index-only scans work at once; it cannot run in a transaction.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in BIG_TABLES:
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"Added {total} parties, {generator.counts['interactions']} interactions, {generator.counts['tasks']} "
            f"tasks ({writer.rows_written} rows) in {time.monotonic() - started:.1f} s."
        )

    def directory(self, manager_count: int, password: str) -> Directory:
        """Users in their roles and teams, classifier trees and interaction types: reused when they exist."""
        hashed = make_password(password)
        groups = roles.ensure_roles()
        fake = Faker("ru_RU")
        fake.seed_instance(0)

        def user(username: str, role: str, team: Team | None = None, **extra: Any) -> User:
            female = fake.random.random() < 0.4
            suffix = "female" if female else "male"
            found, _created = User.objects.get_or_create(
                username=username,
                defaults={
                    "password": hashed,
                    "last_name": getattr(fake, f"last_name_{suffix}")(),
                    "first_name": getattr(fake, f"first_name_{suffix}")(),
                    "middle_name": getattr(fake, f"middle_name_{suffix}")(),
                    "email": f"{username}@demo.example",
                    **extra,
                },
            )
            if team is not None and found.team_id != team.pk:
                found.team = team
                found.save(update_fields=["team"])
            found.groups.add(groups[role])
            return found

        head = user("head", roles.HEAD_OF_SALES)
        user("admin", roles.ADMINISTRATOR, is_staff=True, is_superuser=True)
        user("marketer", roles.MARKETER)
        user("operator", roles.OPERATOR)
        teams = []
        for number in (1, 2):
            team, _created = Team.objects.get_or_create(name=f"Отдел продаж {number}")
            lead = user(f"lead{number}", roles.TEAM_LEAD, team)
            if team.head_id != lead.pk:
                team.head = lead
                team.save(update_fields=["head"])
            teams.append(team)
        managers = [
            user(f"manager{n}", roles.SALES_MANAGER, teams[0 if n <= (manager_count + 1) // 2 else 1])
            for n in range(1, manager_count + 1)
        ]
        types = {}
        for position, (code, _weights) in enumerate(TYPE_WEIGHTS.items()):
            found_type, _created = InteractionType.objects.get_or_create(code=code, defaults={"position": position})
            types[code] = found_type.pk
        nodes: dict[tuple[str, str], int] = {}
        leaves: list[tuple[int, str]] = []
        for position, (name, tree) in enumerate(CLASSIFIERS.items()):
            classifier, _created = Classifier.objects.get_or_create(name=name, defaults={"position": position})
            _grow(classifier, None, tree, nodes, leaves)
        return Directory(managers, head, types, nodes, leaves)


def _grow(
    classifier: Classifier,
    parent: ClassifierNode | None,
    tree: list[Any],
    nodes: dict[tuple[str, str], int],
    leaves: list[tuple[int, str]],
) -> None:
    """Create missing nodes of `tree` (names, or (name, subtree) pairs) with their materialised paths."""
    for position, item in enumerate(tree):
        name, subtree = (item, None) if isinstance(item, str) else item
        node = ClassifierNode.objects.filter(classifier=classifier, parent=parent, name=name).first()
        if node is None:
            node = ClassifierNode.objects.create(classifier=classifier, parent=parent, name=name, position=position)
            node.path = f"{parent.path if parent else ''}{node.pk}/"
            node.depth = parent.depth + 1 if parent else 0
            node.save(update_fields=["path", "depth"])
        nodes[(classifier.name, name)] = node.pk
        if subtree:
            _grow(classifier, node, subtree, nodes, leaves)
        elif classifier.name == "Отрасль":
            leaves.append((node.pk, name))


def lock_next_ids(tables: Sequence[type[models.Model]]) -> dict[type[models.Model], int]:
    """The first free id of each table; the tables are locked so nobody else takes ids meanwhile."""
    ids = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            ids[model] = cursor.fetchone()[0] + 1
    return ids


def reset_sequences(tables: Sequence[type[models.Model]]) -> None:
    """Move the id sequences past the ids given explicitly (SQLite's AUTOINCREMENT follows by itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",
                [table],
            )


def _drop_secondary_indexes() -> list[str]:
    """Drop plain indexes and foreign keys of the big tables; return the statements that recreate them."""
    tables = [m._meta.db_table for m in BIG_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.relname, pg_get_indexdef(ix.indexrelid)
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class c ON c.oid = ix.indrelid
            WHERE c.relname = ANY(%s) AND NOT ix.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid)
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE k.contype = 'f' AND c.relname = ANY(%s)
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _table, name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _t, _n, definition in indexes] + [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign_keys
    ]


@dataclass
class PartyInfo:
    """What later tables need to know about a generated client."""

    id: int
    is_organization: bool
    responsible: int
    contacts: list[int]
    industry_node: int = 0
    size: str = ""


class Generator:
    """Builds the rows of one chunk of parties and everything hanging off them."""

    def __init__(
        self,
        rng: random.Random,
        pools: Pools,
        directory: Directory,
        options: dict[str, Any],
        next_ids: dict[type[models.Model], int],
    ) -> None:
        self.rng, self.pools, self.dir = rng, pools, directory
        self.ids = next_ids
        self.now = timezone.now()
        self.now_ts = self.now.timestamp()
        self.years = options["years"]
        self.start_ts = self.now_ts - options["years"] * 365 * DAY
        self.per_client = options["interactions_per_party"] / (ORGANIZATION_SHARE + INDIVIDUAL_SHARE)
        self.manager_ids = [m.pk for m in directory.managers]
        self.counts = {"interactions": 0, "tasks": 0}
        # Party.clean keeps a case-folded copy of the name for search where the model has one.
        self.has_search_name = any(f.name == "search_name" for f in Party._meta.concrete_fields)
        today = timezone.localdate()
        monday = today - datetime.timedelta(days=today.weekday())
        self.this_week = [monday + datetime.timedelta(days=n) for n in range(7)]
        self.today = today
        type_codes = list(TYPE_WEIGHTS)
        self.type_table = [c for c in type_codes for _ in range(TYPE_WEIGHTS[c][0])]

    def take(self, model: type[models.Model], count: int = 1) -> int:
        first = self.ids[model]
        self.ids[model] += count
        return first

    def moment(self, earliest: float | None = None) -> datetime.datetime:
        """A working-hours moment (09:00-19:00 Moscow, Monday to Friday) between `earliest` and now."""
        r = self.rng.random
        lower = max(earliest or self.start_ts, self.start_ts)
        days = int((self.now_ts - lower) / DAY)
        day = int(lower // DAY) + int(r() * (days + 1))
        if (day + 3) % 7 >= 5:  # day 0 of the epoch was a Thursday
            day -= 2
        ts = day * DAY + 6 * 3600 + r() * 36000
        return datetime.datetime.fromtimestamp(min(max(ts, lower), self.now_ts), UTC)

    # Parties -------------------------------------------------------------------------------------------

    def chunk(self, writer: Writer, size: int, *, first: bool) -> None:
        n_org = max(1, round(size * ORGANIZATION_SHARE))
        n_ind = min(size - n_org, round(size * INDIVIDUAL_SHARE))
        n_contact = size - n_org - n_ind
        base = self.take(Party, size)
        parties: list[tuple[Any, ...]] = []
        points: list[tuple[Any, ...]] = []
        links: list[tuple[Any, ...]] = []
        clients: list[PartyInfo] = []
        domains: dict[int, str] = {}
        for i in range(n_org):
            info, row, domain = self.organization(base + i)
            parties.append(row)
            clients.append(info)
            domains[info.id] = domain
            points.extend(self.organization_points(info.id, domain, row[2]))
        for i in range(n_ind):
            pid = base + n_org + i
            row, latin = self.person(pid, Relationship.CLIENT if self.rng.random() < 0.5 else Relationship.PROSPECT)
            parties.append(row)
            clients.append(PartyInfo(pid, False, row[-1], []))
            points.extend(self.person_points(pid, latin, None, row[2]))
        for i in range(n_contact):
            pid = base + n_org + n_ind + i
            employer = clients[self.rng.randrange(n_org)]
            row, latin = self.person(pid, Relationship.CONTACT, responsible=employer.responsible)
            parties.append(row)
            points.extend(self.person_points(pid, latin, domains[employer.id], row[2]))
            links.append((employer.id, pid, POSITIONS[self.rng.randrange(len(POSITIONS))], not employer.contacts))
            employer.contacts.append(pid)
        if self.has_search_name:
            writer.write(Party, [*PARTY_COLUMNS, "search_name"], (row + (row[1].casefold(),) for row in parties))
        else:
            writer.write(Party, PARTY_COLUMNS, parties)
        point_id = self.take(ContactPoint, len(points))
        writer.write(ContactPoint, POINT_COLUMNS, ((point_id + n, *p) for n, p in enumerate(points)))
        link_id = self.take(PartyContact, len(links))
        created = self.now
        writer.write(
            PartyContact,
            ["id", "organization_id", "person_id", "position", "is_primary", "created_at", "updated_at"],
            ((link_id + n, *link, created, created) for n, link in enumerate(links)),
        )
        self.classify(writer, clients, parties[: n_org + n_ind])
        events = [(p[0], "created", p[-1], p[2], json.dumps({"name": p[1]}, ensure_ascii=False)) for p in parties]
        event_id = self.take(PartyEvent, len(events))
        writer.write(
            PartyEvent,
            ["id", "party_id", "kind", "actor_id", "at", "data"],
            ((event_id + n, *e) for n, e in enumerate(events)),
        )
        # A few clients are shared with a colleague (S1 co-owners), never with their own manager.
        candidates = [(c, self.rng.choice(self.manager_ids)) for c in clients if self.rng.random() < 0.03]
        co_owned = [(c.id, u) for c, u in candidates if u != c.responsible]
        co_id = self.take(Party.co_owners.through, len(co_owned))
        writer.write(
            Party.co_owners.through, ["id", "party_id", "user_id"], ((co_id + n, *c) for n, c in enumerate(co_owned))
        )
        created_at = {p[0]: p[2] for p in parties[: n_org + n_ind]}
        self.interactions(writer, clients, created_at)
        self.tasks(writer, clients, first=first)

    def organization(self, pid: int) -> tuple[PartyInfo, tuple[Any, ...], str]:
        r, rng, pools = self.rng.random, self.rng, self.pools
        roll = r()
        form = LegalForm.OOO if roll < 0.62 else LegalForm.IP if roll < 0.75 else LegalForm.AO if roll < 0.9 else (
            LegalForm.PAO if roll < 0.93 else LegalForm.GUP if roll < 0.96 else LegalForm.NKO)  # fmt: skip
        region = f"{1 + _mix(pid, 89, 3):02d}"
        office = f"{1 + _mix(pid, 50, 7):02d}"
        year = f"{2 + _mix(pid, 22, 5):02d}"
        last = first = middle = ""
        bank_name, bik = BANKS[_mix(pid, len(BANKS), 1)]
        if form == LegalForm.IP:
            names = pools.male if r() < 0.6 else pools.female
            last, first, middle = (pick(rng, names[0]), pick(rng, names[1]), pick(rng, names[2]))
            name = f"ИП {last} {first} {middle}"
            full_name = f"Индивидуальный предприниматель {last} {first} {middle}"
            inn = inn12(region + office + f"{_mix(pid, 10**6, 11):06d}")
            kpp = ""
            ogrn = ogrnip15(f"3{year}{region}{_mix(pid, 10**9, 13):09d}")
            account = f"40802810{0}{_mix(pid, 10**4, 17):04d}{_mix(pid, 10**7, 19):07d}"
            domain = f"{pools.latin[last]}-{pid}.ru"
        else:
            stem = pick(rng, pools.stems)
            label = {LegalForm.OOO: "ООО", LegalForm.AO: "АО", LegalForm.PAO: "ПАО", LegalForm.GUP: "ГУП",
                     LegalForm.NKO: "АНО"}[form]  # fmt: skip
            long_label = {
                LegalForm.OOO: "Общество с ограниченной ответственностью", LegalForm.AO: "Акционерное общество",
                LegalForm.PAO: "Публичное акционерное общество",
                LegalForm.GUP: "Государственное унитарное предприятие",
                LegalForm.NKO: "Автономная некоммерческая организация",
            }[form]  # fmt: skip
            name = f"{label} «{stem}»"
            full_name = f"{long_label} «{stem}»"
            inn = inn10(region + office + f"{_mix(pid, 10**5, 11):05d}")
            kpp = inn[:4] + ("43" if form in (LegalForm.PAO, LegalForm.AO) and r() < 0.3 else "01") + "001"
            ogrn = ogrn13(f"1{year}{region}{_mix(pid, 10**7, 13):07d}")
            account = f"40702810{0}{_mix(pid, 10**4, 17):04d}{_mix(pid, 10**7, 19):07d}"
            domain = f"{pools.latin[stem]}{'' if r() < 0.3 else '-' + region}.ru"
        account = with_account_key(bik[-3:], account)
        correspondent = with_account_key("0" + bik[4:6], "301018100000000" + "00" + bik[-3:])
        size = CompanySize.values[min(3, int(r() ** 1.6 * 4))]
        leaf_id, industry = self.dir.industry_leaves[rng.randrange(len(self.dir.industry_leaves))]
        roll = r()
        relationship = (Relationship.CLIENT if roll < 0.4 else Relationship.PROSPECT if roll < 0.85 else
                        Relationship.PARTNER if roll < 0.92 else Relationship.SUPPLIER if roll < 0.97 else
                        Relationship.COMPETITOR)  # fmt: skip
        responsible = self.manager_ids[rng.randrange(len(self.manager_ids))]
        created = self.moment()
        row = self.party_row(
            pid, name, created, PartyKind.ORGANIZATION, full_name, form, last, first, middle, None, inn, kpp, ogrn,
            bank_name, bik, account, correspondent, industry, pick(rng, pools.regions), size, relationship, responsible,
        )  # fmt: skip
        return PartyInfo(pid, True, responsible, [], leaf_id, size), row, domain

    def person(
        self, pid: int, relationship: str, responsible: int | None = None
    ) -> tuple[tuple[Any, ...], tuple[str, str, int]]:
        r, rng, pools = self.rng.random, self.rng, self.pools
        names = pools.male if r() < 0.55 else pools.female
        last, first, middle = pick(rng, names[0]), pick(rng, names[1]), pick(rng, names[2])
        if pid % 40 == 0:  # a steady share of birthdays in the current week, for the "birthdays" widget
            day = self.this_week[pid % 7]
            year = 1956 + rng.randrange(48)
            if (day.month, day.day) == (2, 29):
                year = 1988
            birthday: datetime.date | None = datetime.date(year, day.month, day.day)
        elif r() < 0.8:
            birthday = datetime.date(1956, 1, 1) + datetime.timedelta(days=rng.randrange(48 * 365))
        else:
            birthday = None
        inn = ""
        if relationship != Relationship.CONTACT and r() < 0.3:
            inn = inn12(f"{1 + _mix(pid, 89, 3):02d}{_mix(pid, 10**8, 23):08d}")
        responsible = responsible or self.manager_ids[rng.randrange(len(self.manager_ids))]
        row = self.party_row(
            pid, f"{last} {first} {middle}", self.moment(), PartyKind.PERSON, "", "", last, first, middle, birthday,
            inn, "", "", "", "", "", "", "", pick(rng, pools.regions), "", relationship, responsible,
        )  # fmt: skip
        return row, (pools.latin[first], pools.latin[last], birthday.year if birthday else 0)

    def party_row(self, pid: int, name: str, created: datetime.datetime, *rest: Any) -> tuple[Any, ...]:
        kind, full_name, form, last, first, middle, birthday = rest[:7]
        inn, kpp, ogrn, bank, bik, account, correspondent, industry, region, size, relationship, responsible = rest[7:]
        r = self.rng.random
        source = Source.values[int(r() * len(Source.values))]
        trigger = TRIGGERS[int(r() * len(TRIGGERS))] if r() < 0.3 else ""
        probability = int(r() * 21) * 5 if relationship == Relationship.PROSPECT else None
        birthday_key = birthday.month * 100 + birthday.day if birthday else None
        # The responsible manager stays last: chunk() reads it back from the row.
        return (
            pid, name, created, created, kind, full_name, form, last, first, middle, birthday, birthday_key, inn, kpp,
            ogrn, bank, bik, account, correspondent, industry, region, size, relationship, source, trigger,
            probability, responsible, responsible,
        )  # fmt: skip

    def organization_points(self, pid: int, domain: str, created: datetime.datetime) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        code = CITY_CODES[rng.randrange(len(CITY_CODES))]
        local = f"{rng.randrange(10 ** (10 - len(code))):0{10 - len(code)}d}"
        yield self.phone(pid, code + local, ContactLabel.WORK, True, created)
        if rng.random() < 0.4:
            yield self.phone(pid, self.mobile(), ContactLabel.MOBILE, False, created)
        email = f"{('info', 'sales', 'office', 'zakaz')[rng.randrange(4)]}@{domain}"
        yield pid, ContactKind.EMAIL, ContactLabel.WORK, email, email, True, created, created, created
        if rng.random() < 0.5:
            site = f"https://{domain}"
            yield pid, ContactKind.SITE, "", site, site, True, created, created, created

    def person_points(
        self, pid: int, latin: tuple[str, str, int], domain: str | None, created: datetime.datetime
    ) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        yield self.phone(pid, self.mobile(), ContactLabel.MOBILE, True, created)
        if domain is not None and rng.random() < 0.5:
            code = CITY_CODES[rng.randrange(len(CITY_CODES))]
            yield self.phone(
                pid,
                code + f"{rng.randrange(10 ** (10 - len(code))):0{10 - len(code)}d}",
                ContactLabel.WORK,
                False,
                created,
            )
        if rng.random() < 0.75:
            first, last, year = latin
            if domain is not None:
                email = f"{first[:1]}.{last}@{domain}"
            else:
                style = rng.randrange(3)
                local = (
                    f"{last}.{first}"
                    if style == 0
                    else f"{last}{year % 100:02d}"
                    if style == 1 and year
                    else f"{first[:1]}{last}{pid % 1000}"
                )
                email = f"{local}@{FREE_MAIL[rng.randrange(len(FREE_MAIL))]}"
            yield pid, ContactKind.EMAIL, ContactLabel.WORK, email, email.lower(), True, created, created, created

    def mobile(self) -> str:
        return MOBILE_CODES[self.rng.randrange(len(MOBILE_CODES))] + f"{self.rng.randrange(10**7):07d}"

    @staticmethod
    def phone(pid: int, national: str, label: str, primary: bool, created: datetime.datetime) -> tuple[Any, ...]:
        # Russian numbers: E.164 is +7 and the 10-digit national number, which is also the search key.
        return pid, ContactKind.PHONE, label, "+7" + national, national, primary, created, created, created

    # Classifications, history, tasks ----------------------------------------------------------------------

    def classify(self, writer: Writer, clients: list[PartyInfo], rows: list[tuple[Any, ...]]) -> None:
        nodes, rng = self.dir.nodes, self.rng
        temperature = [nodes[("Температура", n)] for n in CLASSIFIERS["Температура"]]
        loyalty = [nodes[("Лояльность", n)] for n in CLASSIFIERS["Лояльность"]]
        placed: list[tuple[int, int, datetime.datetime]] = []
        for info, row in zip(clients, rows, strict=True):
            created = row[2]
            placed.append((info.id, temperature[min(2, int(rng.random() ** 1.3 * 3))], created))
            placed.append((info.id, loyalty[rng.randrange(len(loyalty))], created))
            if info.is_organization:
                placed.append((info.id, nodes[("Размер", SIZE_NODES[info.size])], created))
                placed.append((info.id, info.industry_node, created))
        first = self.take(PartyClassification, len(placed))
        writer.write(
            PartyClassification,
            ["id", "party_id", "node_id", "added_at"],
            ((first + n, *p) for n, p in enumerate(placed)),
        )

    def interactions(self, writer: Writer, clients: list[PartyInfo], created_at: dict[int, datetime.datetime]) -> None:
        r, types, table = self.rng.random, self.dir.types, self.type_table
        rows: list[tuple[Any, ...]] = []
        for info in clients:
            count = int(r() * 2 * self.per_client + 0.5)
            since = created_at[info.id].timestamp() - 30 * DAY
            for _n in range(count):
                code = table[int(r() * len(table))]
                _weight, low, high = TYPE_WEIGHTS[code]
                subjects = SUBJECTS[code]
                contact = info.contacts[int(r() * len(info.contacts))] if info.contacts and r() < 0.7 else None
                author = info.responsible if r() < 0.9 else self.manager_ids[int(r() * len(self.manager_ids))]
                when = self.moment(since)
                rows.append((
                    when, info.id, contact, types[code], Direction.INCOMING if r() < 0.35 else Direction.OUTGOING,
                    low + int(r() * (high - low + 1)), subjects[int(r() * len(subjects))],
                    RESULTS[int(r() * len(RESULTS))], author,
                ))  # fmt: skip
        # Rows arrive in time order, as a live system writes them, rather than clustered by client.
        rows.sort(key=lambda row: row[0])
        first = self.take(Interaction, len(rows))
        self.counts["interactions"] += len(rows)
        writer.write(
            Interaction,
            ["id", "created_at", "updated_at", "occurred_at", "party_id", "contact_person_id", "type_id", "direction",
             "duration_minutes", "subject", "result", "author_id"],
            ((first + n, row[0], row[0], *row) for n, row in enumerate(rows)),
        )  # fmt: skip
        # interaction_log makes the author a participant; so does the demo history.
        participant = self.take(Interaction.participants.through, len(rows))
        writer.write(
            Interaction.participants.through,
            ["id", "interaction_id", "user_id"],
            ((participant + n, first + n, row[-1]) for n, row in enumerate(rows)),
        )

    def tasks(self, writer: Writer, clients: list[PartyInfo], *, first: bool) -> None:
        r, rng = self.rng.random, self.rng
        local = timezone.get_current_timezone()
        day_start = datetime.datetime.combine(self.today, datetime.time(9), local)
        rows: list[tuple[Any, ...]] = []

        def add(info: PartyInfo | None, user: int, due: datetime.datetime, done: bool) -> None:
            title = TASK_TITLES[int(r() * len(TASK_TITLES))]
            kind = TaskKind.CONTACT if info is not None and r() < 0.6 else TaskKind.TASK
            type_id = self.dir.types["call" if r() < 0.7 else "meeting"] if kind == TaskKind.CONTACT else None
            contact = info.contacts[0] if info is not None and info.contacts and r() < 0.5 else None
            created = min(due, self.now) - datetime.timedelta(days=1 + int(r() * 10))
            status = TaskStatus.DONE if done else TaskStatus.OPEN
            done_at = min(due + datetime.timedelta(hours=r() * 48), self.now) if done else None
            rows.append((created, created, title, kind, info.id if info else None, contact, type_id, due, status,
                         done_at, user, user))  # fmt: skip

        if first:
            # Every manager starts the day with something due today and something overdue.
            for user in self.manager_ids:
                for n in range(3):
                    client = clients[rng.randrange(len(clients))] if clients else None
                    add(client, user, day_start + datetime.timedelta(hours=1 + 2 * n, minutes=30), False)
                    add(client, user, day_start - datetime.timedelta(days=1 + n * 2, hours=-2), False)
        for info in clients:
            roll = r()
            if roll < 0.15:
                add(info, info.responsible, day_start + datetime.timedelta(days=-10 + r() * 40), False)
            elif roll < 0.5:
                add(info, info.responsible, self.moment(), True)
        task_id = self.take(Task, len(rows))
        self.counts["tasks"] += len(rows)
        writer.write(
            Task,
            ["id", "created_at", "updated_at", "title", "kind", "party_id", "contact_person_id", "interaction_type_id",
             "due_at", "status", "done_at", "created_by_id"],
            ((task_id + n, *row[:-1]) for n, row in enumerate(rows)),
        )  # fmt: skip
        assignee_id = self.take(Task.assignees.through, len(rows))
        writer.write(
            Task.assignees.through,
            ["id", "task_id", "user_id"],
            ((assignee_id + n, task_id + n, row[-1]) for n, row in enumerate(rows)),
        )


def pick(rng: random.Random, items: list[str]) -> str:
    return items[int(rng.random() * len(items))]


PARTY_COLUMNS = [
    "id", "name", "created_at", "updated_at", "kind", "full_name", "legal_form", "last_name", "first_name",
    "middle_name", "birthday", "birthday_key", "inn", "kpp", "ogrn", "bank_name", "bik", "account",
    "correspondent_account", "industry", "region", "size", "relationship", "source", "triggering_event",
    "purchase_probability", "created_by_id", "responsible_id",
]  # fmt: skip
POINT_COLUMNS = [
    "id", "party_id", "kind", "label", "value", "search_key", "is_primary", "confirmed_at", "created_at", "updated_at",
]  # fmt: skip
