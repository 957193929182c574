"""The data a document is rendered from: plain strings, lists and dicts only (stored as the document's snapshot).

Templates never see models: whatever a template can name is in this dict, so a user-edited template
cannot reach settings, managers or model methods. `PLACEHOLDERS` documents it on the template pages.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pytils import dt, numeral

from crm.catalog.choices import VatRate
from crm.catalog.money import round_money, vat_split
from crm.documents.declension import person_declensions
from crm.documents.models import CompanyProfile
from crm.parties.choices import ContactKind, ContactLabel
from crm.parties.models import ContactPoint, Party, PartyContact
from crm.sales.models import Deal, DealLine

Context = dict[str, Any]

# Russian names of the currencies documents are usually made out in; others are written by their code.
_CURRENCY_WORDS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "RUB": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    "USD": (("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), ("евроцент", "евроцента", "евроцентов")),
    "CNY": (("юань", "юаня", "юаней"), ("фэнь", "фэня", "фэней")),
}


def money_text(value: Decimal) -> str:
    """1234567.5 -> "1 234 567,50" (a non-breaking space between thousands, as Russian documents print)."""
    whole, _dot, fraction = f"{round_money(value):,.2f}".partition(".")
    return whole.replace(",", "\u00a0") + "," + fraction


def quantity_text(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def amount_in_words(value: Decimal, currency: str) -> str:
    """ "Одна тысяча двести тридцать четыре рубля 56 копеек": whole units in words, kopecks in digits."""
    value = round_money(value)
    units = int(value)
    cents = int((value - units) * 100)
    words = numeral.in_words(units)
    if currency in _CURRENCY_WORDS:
        major, minor = _CURRENCY_WORDS[currency]
        text = f"{words} {numeral.choose_plural(units, major)} {cents:02d} {numeral.choose_plural(cents, minor)}"
    else:
        text = f"{words} {currency} {cents:02d}"
    return text[0].upper() + text[1:]


def date_text(value: datetime.date) -> str:
    """«23 ноября 2026 г.»"""
    return str(dt.ru_strftime("%d %B %Y г.", value, inflected=True))


def _requisites(party: Party | None) -> dict[str, str]:
    if party is None:
        return {}
    addresses = {
        p.label: p.value
        for p in ContactPoint.objects.filter(party=party, kind=ContactKind.ADDRESS).order_by("-is_primary", "-pk")
    }
    phones = ContactPoint.objects.filter(party=party, kind=ContactKind.PHONE).order_by("-is_primary", "pk")
    emails = ContactPoint.objects.filter(party=party, kind=ContactKind.EMAIL).order_by("-is_primary", "pk")
    any_address = next(iter(addresses.values()), "")
    return {
        "name": party.name,
        "full_name": party.full_name or party.name,
        "inn": party.inn,
        "kpp": party.kpp,
        "ogrn": party.ogrn,
        "legal_address": addresses.get(ContactLabel.LEGAL, any_address),
        "postal_address": addresses.get(ContactLabel.POSTAL, addresses.get(ContactLabel.LEGAL, any_address)),
        "phone": phones[0].value if phones else "",
        "email": emails[0].value if emails else "",
        "bank": party.bank_name,
        "bik": party.bik,
        "account": party.account,
        "correspondent_account": party.correspondent_account,
    }


def _contact(deal: Deal) -> dict[str, str]:
    person = deal.contact
    if person is None:
        return person_declensions("")
    full_name = " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p) or person.name
    link = PartyContact.objects.filter(organization_id=deal.party_id, person=person).first()
    return person_declensions(full_name, link.position if link else "")


def company_profile() -> CompanyProfile:
    """The single row of our requisites (created empty on first use)."""
    profile, _created = CompanyProfile.objects.get_or_create(pk=1)
    return profile


def _seller() -> dict[str, Any]:
    profile = company_profile()
    return {
        "name": profile.name,
        "full_name": profile.full_name or profile.name,
        "inn": profile.inn,
        "kpp": profile.kpp,
        "ogrn": profile.ogrn,
        "legal_address": profile.legal_address,
        "postal_address": profile.postal_address or profile.legal_address,
        "phone": profile.phone,
        "email": profile.email,
        "bank": profile.bank_name,
        "bik": profile.bik,
        "account": profile.account,
        "correspondent_account": profile.correspondent_account,
        "director": person_declensions(profile.director_name, profile.director_position),
        "basis": profile.director_basis,
        "accountant": person_declensions(profile.accountant_name),
    }


def _vat_rate_text(rate: str) -> str:
    return "Без НДС" if rate == VatRate.NONE else f"{rate}%"


def _lines(lines: list[DealLine], currency: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    rows, net, vat, gross = [], Decimal(0), Decimal(0), Decimal(0)
    for number, line in enumerate(lines, start=1):
        amount = round_money(line.price * line.quantity)
        split = vat_split(amount, line.vat_rate, included=line.vat_included)
        net, vat, gross = net + split.net, vat + split.vat, gross + split.gross
        rows.append(
            {
                "no": str(number),
                "name": line.description or line.product.name,
                "sku": line.product.sku,
                "unit": line.unit,
                "qty": quantity_text(line.quantity),
                "list_price": money_text(line.list_price),
                "discount": quantity_text(line.discount_percent),
                "price": money_text(line.price),
                "amount": money_text(amount),
                "net": money_text(split.net),
                "vat_rate": _vat_rate_text(line.vat_rate),
                "vat": money_text(split.vat),
                "gross": money_text(split.gross),
            }
        )
    totals = {
        "net": money_text(net),
        "vat": money_text(vat),
        "gross": money_text(gross),
        "gross_value": str(round_money(gross)),
        "currency": currency,
        "in_words": amount_in_words(gross, currency),
        "vat_in_words": amount_in_words(vat, currency),
        "count": str(len(rows)),
    }
    return rows, totals


def deal_document_context(*, deal: Deal, kind: str, kind_label: str, number: str, on_date: datetime.date) -> Context:
    """Everything a template of `kind` may print for `deal`, numbered `number` and dated `on_date`."""
    lines = list(DealLine.objects.filter(deal=deal).select_related("product").order_by("position", "pk"))
    rows, totals = _lines(lines, deal.currency_id)
    return {
        "document": {
            "number": number,
            "kind": kind,
            "title": kind_label,
            "date": date_text(on_date),
            "date_short": on_date.strftime("%d.%m.%Y"),
        },
        "seller": _seller(),
        "client": _requisites(deal.party),
        "contact": _contact(deal),
        "deal": {
            "number": str(deal.pk),
            "title": deal.title,
            "owner": deal.owner.get_full_name() or deal.owner.username,
            "owner_email": deal.owner.email,
        },
        "lines": rows,
        "totals": totals,
    }


def sample_context() -> Context:
    """A filled-in example used to check an uploaded template before it is saved."""
    person = person_declensions("Иванов Иван Иванович", "Генеральный директор")
    requisites = {
        "name": "ООО «Пример»",
        "full_name": "Общество с ограниченной ответственностью «Пример»",
        "inn": "7707083893",
        "kpp": "770701001",
        "ogrn": "1027700132195",
        "legal_address": "г. Москва, ул. Примерная, д. 1",
        "postal_address": "г. Москва, ул. Примерная, д. 1",
        "phone": "+7 495 000-00-00",
        "email": "info@example.com",
        "bank": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "40702810900000000001",
        "correspondent_account": "30101810400000000225",
    }
    line = {
        "no": "1",
        "name": "Товар",
        "sku": "A-1",
        "unit": "шт",
        "qty": "2",
        "list_price": "1\u00a0000,00",
        "discount": "0",
        "price": "1\u00a0000,00",
        "amount": "2\u00a0000,00",
        "net": "1\u00a0666,67",
        "vat_rate": "20%",
        "vat": "333,33",
        "gross": "2\u00a0000,00",
    }
    today = datetime.date(2026, 11, 23)
    return {
        "document": {
            "number": "КП-2026-0001",
            "kind": "proposal",
            "title": "Коммерческое предложение",
            "date": date_text(today),
            "date_short": "23.11.2026",
        },  # fmt: skip
        "seller": {**requisites, "director": person, "basis": "Устава", "accountant": person_declensions("")},
        "client": requisites,
        "contact": person,
        "deal": {"number": "1", "title": "Поставка", "owner": "Пётр Петров", "owner_email": "petrov@example.com"},
        "lines": [line],
        "totals": {
            "net": "1\u00a0666,67",
            "vat": "333,33",
            "gross": "2\u00a0000,00",
            "gross_value": "2000.00",
            "currency": "RUB",
            "in_words": amount_in_words(Decimal("2000"), "RUB"),
            "vat_in_words": amount_in_words(Decimal("333.33"), "RUB"),
            "count": "1",
        },  # fmt: skip
    }


PERSON_KEYS: list[tuple[str, Promise]] = [
    ("name", _("full name, nominative")),
    ("name_genitive", _("full name, genitive («Иванова Ивана Ивановича»)")),
    ("name_dative", _("full name, dative («Иванову Ивану Ивановичу»)")),
    ("short", _("surname and initials («Иванов И. И.»)")),
    ("position", _("position, nominative")),
    ("position_genitive", _("position, genitive («Генерального директора»)")),
    ("position_dative", _("position, dative")),
]
REQUISITE_KEYS: list[tuple[str, Promise]] = [
    ("name", _("short name")),
    ("full_name", _("full legal name")),
    ("inn", _("INN")),
    ("kpp", _("KPP")),
    ("ogrn", _("OGRN")),
    ("legal_address", _("legal address")),
    ("postal_address", _("postal address")),
    ("phone", _("phone")),
    ("email", _("e-mail")),
    ("bank", _("bank")),
    ("bik", _("BIK")),
    ("account", _("settlement account")),
    ("correspondent_account", _("correspondent account")),
]
LINE_KEYS: list[tuple[str, Promise]] = [
    ("no", _("No.")),
    ("name", _("name")),
    ("sku", _("article number")),
    ("unit", _("unit")),
    ("qty", _("quantity")),
    ("list_price", _("list price")),
    ("discount", _("discount, %")),
    ("price", _("price")),
    ("amount", _("amount")),
    ("net", _("amount without VAT")),
    ("vat_rate", _("VAT rate")),
    ("vat", _("VAT")),
    ("gross", _("amount with VAT")),
]
TOTAL_KEYS: list[tuple[str, Promise]] = [
    ("net", _("total without VAT")),
    ("vat", _("VAT")),
    ("gross", _("total with VAT")),
    ("currency", _("currency code")),
    ("in_words", _("total in words with kopecks")),
    ("vat_in_words", _("VAT in words")),
    ("count", _("number of lines")),
]
DOCUMENT_KEYS: list[tuple[str, Promise]] = [
    ("number", _("document number («КП-2026-0007»)")),
    ("title", _("kind of document")),
    ("date", _("date in words («23 ноября 2026 г.»)")),
    ("date_short", _("date as 23.11.2026")),
]
