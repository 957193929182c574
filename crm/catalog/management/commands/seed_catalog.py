"""A realistic Russian catalog for demos: groups, ~40 products and services, four price lists with rules, rates.

Idempotent: products are matched by article number, groups by name and parent, price lists by name, rules by
their price list and condition, rates by currency and date; running it again changes nothing it made.
"""

import datetime
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm.catalog.choices import ProductKind, VatRate
from crm.catalog.models import (
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    ProductGroup,
)
from crm.parties.models import Classifier, ClassifierNode

P, S = ProductKind.PRODUCT, ProductKind.SERVICE
# Group path -> [(article, name, kind, unit, VAT rate, purchase cost in roubles)]
CATALOG: dict[tuple[str, ...], list[tuple[str, str, str, str, str, int]]] = {
    ("Оборудование", "Серверы"): [
        ("SRV-1U-64", "Сервер стоечный 1U, 2×Xeon Silver, 64 ГБ ОЗУ", P, "шт", "20", 385_000),
        ("SRV-2U-128", "Сервер стоечный 2U, 2×Xeon Gold, 128 ГБ ОЗУ", P, "шт", "20", 742_000),
        ("SRV-TWR-32", "Сервер напольный, Xeon E, 32 ГБ ОЗУ", P, "шт", "20", 198_000),
        ("STO-NAS-8", "Сетевое хранилище на 8 дисков", P, "шт", "20", 164_000),
        ("UPS-3K", "Источник бесперебойного питания 3 кВА", P, "шт", "20", 86_500),
    ],
    ("Оборудование", "Сетевое оборудование"): [
        ("NET-SW-24", "Коммутатор управляемый 24×1G, 4×SFP+", P, "шт", "20", 48_900),
        ("NET-SW-48", "Коммутатор управляемый 48×1G PoE+", P, "шт", "20", 117_000),
        ("NET-RT-EDGE", "Маршрутизатор граничный", P, "шт", "20", 63_400),
        ("NET-AP-6", "Точка доступа Wi-Fi 6", P, "шт", "20", 14_800),
        ("NET-FW-100", "Межсетевой экран до 100 пользователей", P, "шт", "20", 231_000),
        ("NET-CAB-6", "Кабель витая пара Cat.6, бухта 305 м", P, "бухта", "20", 9_700),
    ],
    ("Оборудование", "Рабочие места"): [
        ("PC-OFF-I5", "Компьютер офисный, Core i5, 16 ГБ, SSD 512 ГБ", P, "шт", "20", 54_300),
        ("NB-BIZ-14", "Ноутбук 14\" для бизнеса, 16 ГБ, SSD 512 ГБ", P, "шт", "20", 78_900),
        ("MON-27-QHD", "Монитор 27\" QHD", P, "шт", "20", 21_600),
        ("PRN-MFU-A4", "МФУ лазерное A4, двусторонняя печать", P, "шт", "20", 32_400),
        ("HS-USB-PRO", "Гарнитура для колл-центра USB", P, "шт", "20", 4_900),
    ],
    ("Программное обеспечение", "Лицензии"): [
        ("SW-CRM-USR", "Лицензия CRM, рабочее место (бессрочная)", P, "лиц", "none", 9_000),
        ("SW-CRM-SRV", "Лицензия CRM, серверная часть", P, "лиц", "none", 85_000),
        ("SW-DOC-USR", "Система электронного документооборота, рабочее место", P, "лиц", "none", 7_400),
        ("SW-AV-50", "Антивирус для бизнеса, 50 устройств, 1 год", P, "лиц", "none", 72_000),
        ("SW-BKP-SRV", "Резервное копирование, лицензия на сервер", P, "лиц", "none", 38_500),
    ],
    ("Программное обеспечение", "Облачные подписки"): [
        ("SaaS-CRM-M", "CRM в облаке, пользователь в месяц", S, "мес", "none", 650),
        ("SaaS-TEL-M", "Облачная телефония, линия в месяц", S, "мес", "20", 420),
        ("SaaS-BKP-TB", "Облачное резервное копирование, 1 ТБ в месяц", S, "мес", "20", 1_900),
        ("SaaS-MAIL-M", "Корпоративная почта, ящик в месяц", S, "мес", "20", 180),
    ],
    ("Услуги внедрения", "Консалтинг"): [
        ("SRV-AUDIT", "Обследование бизнес-процессов", S, "ч", "20", 2_600),
        ("SRV-TZ", "Разработка технического задания", S, "ч", "20", 2_900),
        ("SRV-PM", "Управление проектом внедрения", S, "ч", "20", 3_100),
    ],
    ("Услуги внедрения", "Настройка и интеграция"): [
        ("SRV-SETUP", "Настройка CRM под процессы заказчика", S, "ч", "20", 2_400),
        ("SRV-INT-1C", "Интеграция с 1С", S, "ч", "20", 2_800),
        ("SRV-INT-TEL", "Интеграция с телефонией", S, "ч", "20", 2_500),
        ("SRV-MIGR", "Перенос данных из старой системы", S, "ч", "20", 2_200),
        ("SRV-MOUNT", "Монтаж и пусконаладка серверного оборудования", S, "ч", "20", 2_000),
    ],
    ("Услуги внедрения", "Обучение"): [
        ("EDU-USER", "Обучение пользователей, группа до 10 человек", S, "день", "20", 24_000),
        ("EDU-ADMIN", "Курс для администратора системы", S, "день", "20", 31_000),
        ("EDU-WEB", "Вебинар для сотрудников", S, "шт", "20", 8_000),
    ],
    ("Техническая поддержка",): [
        ("SUP-STD-M", "Техподдержка «Стандарт», месяц", S, "мес", "20", 14_000),
        ("SUP-PREM-M", "Техподдержка «Премиум» 24/7, месяц", S, "мес", "20", 39_000),
        ("SUP-HOUR", "Выезд инженера, час", S, "ч", "20", 1_800),
        ("SUP-EXT-1Y", "Расширенная гарантия на оборудование, 1 год", S, "шт", "20", 12_500),
    ],
}  # fmt: skip

RETAIL_MARKUP = Decimal("1.45")
# Price list -> (currency, VAT included, discount off retail, which top groups it prices)
PRICE_LISTS: dict[str, tuple[str, bool, Decimal, set[str] | None]] = {
    "Розничный": ("RUB", True, Decimal("0"), None),
    "Оптовый": ("RUB", True, Decimal("0.10"), {"Оборудование"}),
    "Дилерский": ("RUB", True, Decimal("0.25"), {"Оборудование", "Программное обеспечение"}),
    "VIP": ("RUB", True, Decimal("0.15"), None),
}
# In the order they are tried: (price list, classifier, node, relationship); the last is the fallback.
RULES: list[tuple[str, str | None, str | None, str]] = [
    ("VIP", "Лояльность", "Лояльный", ""),
    ("Дилерский", None, None, "partner"),
    ("Оптовый", "Размер", "Крупный", ""),
    ("Оптовый", "Отрасль", "Торговля", ""),
    ("Розничный", None, None, ""),
]
# Roubles per unit around which the demo rates move.
RATE_LEVELS = {"USD": Decimal("92.50"), "EUR": Decimal("100.20")}


def _price(cost: int, discount: Decimal) -> Decimal:
    """Retail is cost plus the markup rounded to 10 roubles; a discounted list takes its share off that."""
    retail = (Decimal(cost) * RETAIL_MARKUP / 10).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 10
    return (retail * (1 - discount)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


class Command(BaseCommand):
    help = "Create a demo catalog: groups, products and services, price lists with rules, USD and EUR rates."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        groups = self._groups()
        products = self._products(groups)
        self._price_lists(products)
        self._rules()
        made = self._rates()
        self.stdout.write(
            f"Catalog: {len(groups)} groups, {len(products)} products, {len(PRICE_LISTS)} price lists, "
            f"{PriceRule.objects.count()} rules, {made} new rates."
        )

    def _groups(self) -> dict[tuple[str, ...], ProductGroup]:
        groups: dict[tuple[str, ...], ProductGroup] = {}
        for key in CATALOG:
            for depth in range(1, len(key) + 1):
                path = key[:depth]
                if path in groups:
                    continue
                parent = groups.get(path[:-1])
                group = ProductGroup.objects.filter(parent=parent, name=path[-1]).first()
                if group is None:
                    group = ProductGroup.objects.create(parent=parent, name=path[-1], position=len(groups) + 1)
                    group.path = f"{parent.path if parent else ''}{group.pk}/"
                    group.depth = depth - 1
                    group.save(update_fields=["path", "depth"])
                groups[path] = group
        return groups

    def _products(self, groups: dict[tuple[str, ...], ProductGroup]) -> dict[str, tuple[Product, str, int]]:
        rub = Currency.objects.get(code="RUB")
        products: dict[str, tuple[Product, str, int]] = {}
        for key, rows in CATALOG.items():
            for sku, name, kind, unit, vat, cost in rows:
                product, _created = Product.objects.get_or_create(
                    sku=sku,
                    defaults={
                        "name": name,
                        "kind": kind,
                        "unit": unit,
                        "vat_rate": VatRate(vat),
                        "cost": Decimal(cost),
                        "cost_currency": rub,
                        "group": groups[key],
                    },
                )
                products[sku] = (product, key[0], cost)
        return products

    def _price_lists(self, products: dict[str, tuple[Product, str, int]]) -> None:
        for name, (currency, vat_included, discount, tops) in PRICE_LISTS.items():
            price_list, _created = PriceList.objects.get_or_create(
                name=name, defaults={"currency_id": currency, "vat_included": vat_included}
            )
            listed = set(PriceListItem.objects.filter(price_list=price_list).values_list("product_id", flat=True))
            PriceListItem.objects.bulk_create(
                [
                    PriceListItem(price_list=price_list, product=product, price=_price(cost, discount))
                    for product, top, cost in products.values()
                    if (tops is None or top in tops) and product.pk not in listed
                ]
            )

    def _rules(self) -> None:
        for name, classifier_name, node_name, relationship in RULES:
            price_list = PriceList.objects.get(name=name)
            node = self._node(classifier_name, node_name) if classifier_name and node_name else None
            if not PriceRule.objects.filter(price_list=price_list, node=node, relationship=relationship).exists():
                position = PriceRule.objects.count() + 1
                PriceRule.objects.create(price_list=price_list, node=node, relationship=relationship, position=position)

    def _node(self, classifier_name: str, node_name: str) -> ClassifierNode:
        """The demo clients' classifier node (seed_demo makes them); created at the top when missing."""
        classifier, _created = Classifier.objects.get_or_create(name=classifier_name)
        node = ClassifierNode.objects.filter(classifier=classifier, name=node_name).order_by("depth").first()
        if node is None:
            node = ClassifierNode.objects.create(classifier=classifier, name=node_name, path="")
            node.path = f"{node.pk}/"
            node.save(update_fields=["path"])
        return node

    def _rates(self) -> int:
        today = timezone.localdate()
        new = []
        for code, level in RATE_LEVELS.items():
            currency = Currency.objects.get(code=code)
            known = set(ExchangeRate.objects.filter(currency=currency).values_list("on_date", flat=True))
            for back in range(30, -1, -1):
                day = today - datetime.timedelta(days=back)
                if day in known:
                    continue
                # A smooth, repeatable wobble: the same day always gets the same demo rate.
                wobble = Decimal(str(round(1.4 * math.sin(day.toordinal() / 5) + 0.3 * math.cos(day.toordinal()), 4)))
                new.append(ExchangeRate(currency=currency, on_date=day, rate=level + wobble))
        ExchangeRate.objects.bulk_create(new)
        return len(new)
