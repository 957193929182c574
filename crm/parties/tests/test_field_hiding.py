"""Field-level hiding of sensitive client data (X4): what a role does not see, no page, list, search,
export, vCard, history or API shows, and what it does not see it does not overwrite either.

The owner here is a sales manager whose role an administrator told not to see phones, bank details,
personal data and notes (e-mails and addresses stay visible); the head of sales sees everything.
"""

import csv
import datetime
import importlib
import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.accounts.models import User
from crm.accounts.roles import (
    ADMINISTRATOR,
    HEAD_OF_SALES,
    MARKETER,
    OPERATOR,
    SALES_MANAGER,
    TEAM_LEAD,
    ensure_roles,
)
from crm.parties import services
from crm.parties.choices import ContactKind, PartyKind
from crm.parties.fields import FIELD_GROUPS, GROUPS, FieldAccess, field_access, mask_contact, mask_phone
from crm.parties.models import ContactPoint, Party, PartyEvent
from crm.parties.tests.factories import (
    VALID_ACCOUNT,
    VALID_BIK,
    VALID_CORRESPONDENT_ACCOUNT,
    ContactPointFactory,
    EmailPointFactory,
    PartyContactFactory,
    PartyFactory,
    PersonFactory,
)
from crm.parties.transfer import ImportKind, check_mapping, mapping_suggest, parties_import_vcard

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"
PHONE_SHOWN = "+7 916 123-45-67"
PHONE_MASKED = "+7 *** ***-**-67"
PERSON_PHONE = "+79031112233"
EMAIL = "ivan@romashka.ru"
NOTES = "Звонить только после обеда"
BANK = "ПАО Сбербанк"
SECRET_VALUES = (PHONE, PHONE_SHOWN, "9161234567", VALID_ACCOUNT, VALID_BIK, VALID_CORRESPONDENT_ACCOUNT, BANK, NOTES,
                 PERSON_PHONE, "1985-03-14", "14.03.1985")  # fmt: skip


def set_role_sees(actor: User, role: str, *codes: str) -> None:
    """What an administrator does on the settings page: the role sees exactly these groups."""
    services.field_access_set(actor=actor, grants={Group.objects.get(name=role): set(codes)})


@dataclass
class Card:
    party: Party
    phone: ContactPoint
    email: ContactPoint
    person: Party


@pytest.fixture
def card(manager: User, head_of_sales: User) -> Card:
    """An organisation of `manager` with a phone, an e-mail, bank details, notes and a contact person,
    whose account was changed once (so the history holds an old and a new value)."""
    party: Party = PartyFactory(
        responsible=manager, name="ООО Ромашка", bank_name=BANK, bik=VALID_BIK, account="40702810938000000002",
        correspondent_account=VALID_CORRESPONDENT_ACCOUNT, notes=NOTES,
    )  # fmt: skip
    phone = services.contact_point_add(actor=manager, party=party, kind=ContactKind.PHONE, value=PHONE)
    email = services.contact_point_add(actor=manager, party=party, kind=ContactKind.EMAIL, value=EMAIL)
    person = PersonFactory(responsible=manager, birthday=datetime.date(1985, 3, 14))
    ContactPointFactory(party=person, value=PERSON_PHONE)
    PartyContactFactory(organization=party, person=person)
    services.party_update(actor=head_of_sales, party=party, data={"account": VALID_ACCOUNT},
                          expected_version=party.version)  # fmt: skip
    return Card(party, phone, email, person)


@pytest.fixture
def restricted(manager: User) -> User:
    """The owner, after an administrator hid phones, bank details, personal data and notes from its role."""
    set_role_sees(manager, SALES_MANAGER, "emails", "addresses")
    manager.language = "en"  # headers and refusals are asserted in the source language
    manager.save()
    return User.objects.get(pk=manager.pk)


@pytest.fixture
def web(client: Client, restricted: User) -> Client:
    client.force_login(restricted)
    return client


@pytest.fixture
def api(restricted: User) -> APIClient:
    client = APIClient()
    client.force_login(restricted)
    return client


def assert_no_secrets(text: str) -> None:
    leaked = [value for value in SECRET_VALUES if value in text]
    assert leaked == []


# ---------------------------------------------------------------------------- who sees what


def test_shipped_roles_hide_bank_details_from_the_call_centre_and_the_marketer(db: None) -> None:
    ensure_roles()
    seen = {}
    for role in (ADMINISTRATOR, HEAD_OF_SALES, TEAM_LEAD, SALES_MANAGER, MARKETER, OPERATOR):
        user = User.objects.create_user(f"u-{role}")
        user.groups.add(Group.objects.get(name=role))
        seen[role] = set(field_access(user).visible)
    everything = set(GROUPS)
    assert seen == {
        ADMINISTRATOR: everything,
        HEAD_OF_SALES: everything,
        TEAM_LEAD: everything,
        SALES_MANAGER: everything,
        MARKETER: everything - {"bank"},
        OPERATOR: everything - {"bank", "personal"},
    }


def test_a_superuser_sees_everything_and_a_visitor_nothing(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "x")
    assert field_access(root).sees_everything
    assert field_access(None).visible == frozenset()


def test_every_group_is_a_permission_of_the_party_model(db: None) -> None:
    codenames = set(
        Permission.objects.filter(content_type__app_label="parties", codename__startswith="view_party_").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {group.codename for group in FIELD_GROUPS}


def test_migrate_does_not_give_back_a_group_an_administrator_took_away(manager: User) -> None:
    set_role_sees(manager, SALES_MANAGER, "emails")

    ensure_roles()

    assert field_access(User.objects.get(pk=manager.pk)).visible == {"emails"}


def test_a_role_made_anew_gets_its_defaults(db: None) -> None:
    ensure_roles()
    Group.objects.filter(name=OPERATOR).delete()

    ensure_roles()

    granted = set(Group.objects.get(name=OPERATOR).permissions.values_list("codename", flat=True))
    assert {"view_party_phones", "view_party_notes"} <= granted
    assert not {"view_party_bank", "view_party_personal"} & granted


def test_the_data_migration_grants_the_defaults_to_roles_that_existed(db: None) -> None:
    ensure_roles()
    field_permissions = Permission.objects.filter(codename__in=[g.codename for g in FIELD_GROUPS])
    for group in Group.objects.all():
        group.permissions.remove(*field_permissions)
    accounting = Group.objects.create(name="Бухгалтерия")  # a role an administrator made
    roleless = User.objects.create_user("loner", "loner@example.com", "secret-pass-1")
    migration = importlib.import_module("crm.parties.migrations.0007_field_access")

    migration.grant_to_existing_roles(django_apps, None)

    everything = {g.codename for g in FIELD_GROUPS}
    assert set(accounting.permissions.values_list("codename", flat=True)) == everything
    assert set(roleless.user_permissions.values_list("codename", flat=True)) == everything

    granted = {
        group.name: set(group.permissions.filter(codename__startswith="view_party_").values_list("codename", flat=True))
        for group in Group.objects.filter(name__in=[MARKETER, OPERATOR, SALES_MANAGER])
    }
    assert granted[SALES_MANAGER] == {g.codename for g in FIELD_GROUPS}
    assert granted[MARKETER] == {g.codename for g in FIELD_GROUPS} - {"view_party_bank"}
    assert granted[OPERATOR] == {"view_party_phones", "view_party_emails", "view_party_addresses", "view_party_notes"}


def test_masks_keep_the_country_code_and_last_digits_of_a_phone_and_the_domain_of_an_e_mail() -> None:
    assert mask_phone(PHONE) == PHONE_MASKED
    assert mask_contact(ContactKind.EMAIL, EMAIL) == "i***@romashka.ru"
    assert PHONE not in mask_contact(ContactKind.ADDRESS, PHONE)


# ---------------------------------------------------------------------------- pages


def test_the_card_masks_hidden_data_and_shows_the_rest(web: Client, card: Card) -> None:
    html = web.get(reverse("parties:detail", args=[card.party.pk])).content.decode()

    assert_no_secrets(html)
    assert PHONE_MASKED in html
    assert EMAIL in html  # e-mails stay visible to this role
    assert html.count("field-hidden") == 3  # the phone, the bank details and the notes
    assert f"tel:{PHONE}" not in html
    assert reverse("parties:contact-remove", args=[card.phone.pk]) not in html
    assert reverse("parties:contact-remove", args=[card.email.pk]) in html


def test_a_role_that_sees_everything_sees_the_card_whole(client: Client, head_of_sales: User, card: Card) -> None:
    client.force_login(head_of_sales)
    html = client.get(reverse("parties:detail", args=[card.party.pk])).content.decode()

    assert all(value in html for value in (PHONE_SHOWN, VALID_ACCOUNT, VALID_BIK, BANK, NOTES, EMAIL))
    assert "field-hidden" not in html


def test_the_list_and_the_search_show_a_masked_phone(web: Client, card: Card) -> None:
    pages = [
        web.get(reverse("parties:list")),
        web.get(reverse("parties:list"), headers={"HX-Request": "true"}),
        web.get(reverse("parties:search"), {"q": "Ромашка"}),
    ]
    for response in pages:
        html = response.content.decode()
        assert "ООО Ромашка" in html
        assert PHONE_MASKED in html
        assert_no_secrets(html)


def test_search_by_a_hidden_phone_finds_the_client_without_showing_the_number(web: Client, card: Card) -> None:
    for query in ("8 916 123-45-67", "9161234567"):
        html = web.get(reverse("parties:search"), {"q": query}, headers={"HX-Request": "true"}).content.decode()
        assert "ООО Ромашка" in html
        assert PHONE_MASKED in html
        assert_no_secrets(html)


def test_the_history_masks_old_and_new_values_of_hidden_data(web: Client, card: Card) -> None:
    html = web.get(reverse("activities:party-timeline", args=[card.party.pk])).content.decode()

    assert "40702810938000000002" not in html
    assert_no_secrets(html)
    assert PHONE_MASKED in html  # "contact added: +7 *** ***-**-67"
    assert EMAIL in html


def test_the_history_shows_the_values_to_a_role_that_sees_them(client: Client, head_of_sales: User, card: Card) -> None:
    client.force_login(head_of_sales)
    html = client.get(reverse("activities:party-timeline", args=[card.party.pk])).content.decode()
    assert all(value in html for value in ("40702810938000000002", VALID_ACCOUNT, PHONE))


def test_the_edit_form_leaves_hidden_fields_out_and_saving_keeps_them(web: Client, card: Card) -> None:
    url = reverse("parties:update", args=[card.party.pk])
    form = web.get(url).context["form"]
    assert not {"bank_name", "bik", "account", "correspondent_account", "notes"} & set(form.fields)
    assert {"name", "inn", "region"} <= set(form.fields)

    response = web.post(url, {"name": "ООО Ромашка и Ко", "legal_form": "ooo", "inn": card.party.inn,
                              "kpp": card.party.kpp, "relationship": "client", "version": card.party.version,
                              "account": "40702810000000000000", "notes": "перезаписано"})  # fmt: skip

    assert response.status_code == 302
    party = Party.objects.get(pk=card.party.pk)
    assert party.name == "ООО Ромашка и Ко"
    assert (party.bank_name, party.bik, party.account, party.notes) == (BANK, VALID_BIK, VALID_ACCOUNT, NOTES)


def test_a_hidden_contact_can_be_neither_added_nor_removed_nor_confirmed_on_the_card(web: Client, card: Card) -> None:
    add = web.post(reverse("parties:contact-add", args=[card.party.pk]), {"kind": "phone", "value": "+79165554433"})
    assert add.status_code == 200
    assert "Select a valid choice" in add.content.decode()
    assert web.post(reverse("parties:contact-remove", args=[card.phone.pk])).status_code == 403
    assert web.post(reverse("parties:contact-confirm", args=[card.phone.pk])).status_code == 403
    assert list(card.party.contact_points.order_by("pk").values_list("value", flat=True)) == [PHONE, EMAIL]


def test_a_new_contact_person_form_leaves_out_birthday_and_phone(web: Client, card: Card, restricted: User) -> None:
    web.post(reverse("parties:person-add", args=[card.party.pk]),
             {"last_name": "Новиков", "birthday": "1990-01-01", "phone": "+79165554433", "email": "n@romashka.ru"})  # fmt: skip
    person = Party.objects.get(last_name="Новиков")
    assert person.birthday is None
    assert list(person.contact_points.values_list("kind", flat=True)) == ["email"]


def test_stale_contacts_leave_out_what_the_user_does_not_see(web: Client, card: Card) -> None:
    ContactPoint.objects.update(confirmed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    points = web.get(reverse("parties:stale")).context["points"]
    assert {p.kind for p in points} == {"email"}


def test_todays_plan_leaves_out_birthdays_for_a_role_without_personal_data(
    client: Client, operator: User, marketer: User, card: Card
) -> None:
    today = timezone.localdate()
    Party.objects.filter(pk=card.person.pk).update(birthday=today, birthday_key=today.month * 100 + today.day)
    seen = {}
    for user in (operator, marketer):  # both see every client; only the marketer sees birthdays
        client.force_login(user)
        seen[user.username] = [p.pk for p in client.get(reverse("activities:today")).context["birthdays"]]
    assert seen == {"operator": [], "marketer": [card.person.pk]}


def test_the_list_costs_as_many_queries_for_many_masked_rows_as_for_one(web: Client, restricted: User) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get(reverse("parties:list")).status_code == 200
        return len(queries)

    ContactPointFactory(party=PartyFactory(responsible=restricted))
    one = count()
    for _ in range(5):
        party = PartyFactory(responsible=restricted)
        ContactPointFactory(party=party)
        EmailPointFactory(party=party)
    assert count() == one


# ---------------------------------------------------------------------------- exports


def test_the_table_export_leaves_hidden_columns_out(web: Client, card: Card) -> None:
    response = web.get(reverse("parties:export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))

    assert not {"Phone", "Birthday", "Notes"} & set(rows[0])
    assert {"Name", "E-mail", "Address"} <= set(rows[0])
    assert_no_secrets(text)
    assert EMAIL in text

    book = openpyxl.load_workbook(io.BytesIO(b"".join(web.get(reverse("parties:export", args=["xlsx"])))))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert_no_secrets(" ".join(cells))
    assert EMAIL in cells


def test_the_vcard_export_leaves_hidden_data_out(web: Client, card: Card) -> None:
    response = web.get(reverse("parties:vcard-export"), {"id": [card.party.pk, card.person.pk]})
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]

    assert "BEGIN:VCARD" in text
    assert "TEL" not in text
    assert "BDAY" not in text
    assert "NOTE" not in text
    assert f":{EMAIL}\r\n" in text
    assert_no_secrets(text)


def test_an_import_refuses_a_hidden_column_and_suggests_none() -> None:
    access = FieldAccess({"emails"})
    headers = ["Наименование", "Телефон", "E-mail", "Расчетный счет"]
    assert mapping_suggest(headers=headers, kind=ImportKind.ORGANIZATION, access=access) == {
        "Наименование": "name", "E-mail": "email"}  # fmt: skip
    with pytest.raises(Exception, match="account|счёт|счет"):
        check_mapping(headers=headers, mapping={"Наименование": "name", "Расчетный счет": "account"},
                      kind=ImportKind.ORGANIZATION, access=access)  # fmt: skip


def test_a_vcard_import_leaves_out_hidden_data_with_a_warning(restricted: User) -> None:
    file = io.BytesIO(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Petrov;Petr;;;\r\nTEL:+7 916 123-45-67\r\nEMAIL:p@romashka.ru\r\n"
        b"BDAY:1985-03-14\r\nEND:VCARD\r\n"
    )
    result = parties_import_vcard(actor=restricted, file=file)

    person = Party.objects.get(kind=PartyKind.PERSON)
    assert person.birthday is None
    assert list(person.contact_points.values_list("kind", flat=True)) == ["email"]
    assert sorted(w.column for w in result.warnings) == ["BDAY", "TEL"]


# ---------------------------------------------------------------------------- API


def test_the_api_returns_hidden_data_as_null_and_names_it(api: APIClient, card: Card) -> None:
    detail = api.get(reverse("api:party-detail", args=[card.party.pk])).json()
    assert detail["hidden_fields"] == ["bank_name", "bik", "account", "correspondent_account", "birthday", "notes"]
    assert all(detail[name] is None for name in detail["hidden_fields"])
    points = {p["kind"]: p for p in detail["contact_points"]}
    assert (points["phone"]["value"], points["phone"]["hidden_fields"]) == (None, ["value"])
    assert (points["email"]["value"], points["email"]["hidden_fields"]) == (EMAIL, [])

    for url, params in ((reverse("api:party-list"), {}), (reverse("api:search"), {"q": "9161234567"})):
        response = api.get(url, params)
        rows = response.json()["results"] if url.endswith("parties/") else response.json()
        (row,) = [r for r in rows if r["id"] == card.party.pk]
        assert (row["phone"], row["email"], row["hidden_fields"]) == (None, EMAIL, ["phone"])
        assert_no_secrets(response.content.decode())

    timeline = api.get(reverse("api:party-timeline", args=[card.party.pk])).content.decode()
    assert_no_secrets(timeline)


def test_the_api_shows_everything_to_a_role_that_sees_it(head_of_sales: User, card: Card) -> None:
    client = APIClient()
    client.force_authenticate(head_of_sales)
    detail = client.get(reverse("api:party-detail", args=[card.party.pk])).json()
    assert (detail["account"], detail["notes"], detail["hidden_fields"]) == (VALID_ACCOUNT, NOTES, [])
    assert PHONE in [p["value"] for p in detail["contact_points"]]


def test_the_api_refuses_a_write_to_hidden_data_naming_it_and_changes_nothing(api: APIClient, card: Card) -> None:
    before = Party.objects.filter(pk=card.party.pk).values().get()
    events = PartyEvent.objects.count()

    patch = api.patch(reverse("api:party-detail", args=[card.party.pk]),
                      {"version": card.party.version, "name": "Другое", "account": "40702810000000000000"},
                      format="json")  # fmt: skip
    add = api.post(reverse("api:party-contact-points", args=[card.party.pk]), {"kind": "phone", "value": "+79165554433"},
                   format="json")  # fmt: skip
    remove = api.delete(reverse("api:contact-point-detail", args=[card.phone.pk]))
    create = api.post(
        reverse("api:party-list"), {"kind": "person", "last_name": "Новиков", "notes": "x"}, format="json"
    )

    assert [r.status_code for r in (patch, add, remove, create)] == [403, 403, 403, 403]
    assert "settlement account" in patch.json()["detail"]
    assert "phone" in add.json()["detail"]
    assert "phone" in remove.json()["detail"]
    assert "notes" in create.json()["detail"]
    assert Party.objects.filter(pk=card.party.pk).values().get() == before
    assert (Party.objects.count(), ContactPoint.objects.count(), PartyEvent.objects.count()) == (2, 3, events)


def test_the_api_still_takes_what_the_user_sees(api: APIClient, card: Card) -> None:
    response = api.patch(reverse("api:party-detail", args=[card.party.pk]),
                         {"version": card.party.version, "region": "Тверь"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["account"] is None
    assert Party.objects.get(pk=card.party.pk).account == VALID_ACCOUNT


# ---------------------------------------------------------------------------- the settings page


def test_an_administrator_chooses_which_role_sees_what(client: Client, administrator: User, operator: User) -> None:
    client.force_login(administrator)
    url = reverse("parties:field-access")
    page = client.get(url)
    assert page.status_code == 200
    operator_group = Group.objects.get(name=OPERATOR)
    assert f'value="{operator_group.pk}:phones" checked' in page.content.decode()
    assert f'value="{operator_group.pk}:bank" aria' in page.content.decode()  # not ticked

    roles = list(Group.objects.values_list("pk", flat=True))
    grants = [f"{pk}:{code}" for pk in roles for code in GROUPS if pk != operator_group.pk]
    response = client.post(url, {"roles": roles, "grants": [*grants, f"{operator_group.pk}:bank"]})

    assert response.status_code == 302
    assert field_access(User.objects.get(pk=operator.pk)).visible == {"bank"}
    assert field_access(User.objects.get(pk=administrator.pk)).sees_everything


def test_a_wrong_grant_is_refused_and_changes_nothing(client: Client, administrator: User, operator: User) -> None:
    client.force_login(administrator)
    before = field_access(operator).visible
    response = client.post(reverse("parties:field-access"),
                           {"roles": [Group.objects.get(name=OPERATOR).pk], "grants": ["999999:phones"]}, follow=True)  # fmt: skip
    assert response.status_code == 200
    assert list(response.context["messages"])
    assert field_access(User.objects.get(pk=operator.pk)).visible == before


def test_only_administrators_open_the_settings_page(client: Client, head_of_sales: User, operator: User) -> None:
    client.force_login(head_of_sales)
    url = reverse("parties:field-access")
    roles = list(Group.objects.values_list("pk", flat=True))
    assert client.get(url).status_code == 403
    assert client.post(url, {"roles": roles, "grants": []}).status_code == 403
    assert field_access(User.objects.get(pk=operator.pk)).sees("phones")
