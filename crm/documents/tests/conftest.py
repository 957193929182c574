"""A client of `manager` with full requisites and a contact person, and a deal with two lines."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from crm.accounts.models import User
from crm.catalog.tests.factories import ProductFactory
from crm.documents.models import CompanyProfile
from crm.parties.choices import ContactKind, ContactLabel
from crm.parties.models import Party
from crm.parties.tests.factories import (
    VALID_ACCOUNT,
    VALID_BIK,
    VALID_CORRESPONDENT_ACCOUNT,
    VALID_INN,
    VALID_OGRN,
    ContactPointFactory,
    PartyContactFactory,
    PartyFactory,
    PersonFactory,
)
from crm.sales.models import Deal
from crm.sales.tests.factories import DealFactory, DealLineFactory


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in the source language; the Russian catalogue is the lead's."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Generated files go to a temporary folder, never under var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def client_party(manager: User) -> Party:
    party = PartyFactory(
        responsible=manager,
        name="ООО Ромашка",
        full_name="Общество с ограниченной ответственностью «Ромашка»",
        inn=VALID_INN,
        ogrn=VALID_OGRN,
        bank_name="ПАО Сбербанк",
        bik=VALID_BIK,
        account=VALID_ACCOUNT,
        correspondent_account=VALID_CORRESPONDENT_ACCOUNT,
    )
    ContactPointFactory(
        party=party, kind=ContactKind.ADDRESS, label=ContactLabel.LEGAL, value="г. Москва, ул. Цветочная, д. 5"
    )
    return party


@pytest.fixture
def deal(manager: User, client_party: Party) -> Deal:
    """Two lines with VAT 20% included: 2 x 1500.00 and 3 x 900.00 (10% off 1000.00); 5700.00 in all."""
    person = PersonFactory(last_name="Смирнова", first_name="Ольга", middle_name="Петровна", responsible=manager)
    PartyContactFactory(organization=client_party, person=person, position="Генеральный директор")
    deal = DealFactory(owner=manager, party=client_party, contact=person, title="Поставка мебели")
    DealLineFactory(
        deal=deal, position=1, product=ProductFactory(name="Стол офисный"), quantity=Decimal("2"),
        list_price=Decimal("1500.00"),
    )  # fmt: skip
    DealLineFactory(
        deal=deal, position=2, product=ProductFactory(name="Кресло"), quantity=Decimal("3"),
        list_price=Decimal("1000.00"), discount_percent=Decimal("10"), price=Decimal("900.00"),
    )  # fmt: skip
    CompanyProfile.objects.update_or_create(
        pk=1,
        defaults={
            "name": "ООО «Продавец»",
            "inn": "7736207543",
            "director_name": "Кузнецов Пётр Сергеевич",
            "director_position": "Генеральный директор",
        },
    )
    return deal
