"""Importing clients from CSV, XLSX and vCard; the import wizard, the error report and the API."""

import csv
import datetime
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path, reverse
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from crm.accounts.models import User
from crm.core.exports import export_response
from crm.parties import urls_transfer
from crm.parties.api import transfer as api_transfer
from crm.parties.choices import ContactKind, CustomFieldTarget, CustomFieldType, PartyKind
from crm.parties.fields import FieldAccess
from crm.parties.models import ContactPoint, CustomField, Party, PartyContact, PartyEvent
from crm.parties.transfer import (
    ImportKind,
    import_error_table,
    import_preview,
    mapping_suggest,
    parties_export_vcard,
    parties_import_tabular,
    parties_import_vcard,
    table_open,
)
from crm.parties.vcard import parse_vcards

# The wizard's URLs under the `parties` namespace and the API, as the lead will wire them.
urlpatterns = [
    path("parties/", include((urls_transfer.urlpatterns, "parties"))),
    path("api/v1/parties/", include(api_transfer.urlpatterns)),
]
VCARD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "vcard"

INN_SBER, INN_YANDEX, INN_OTHER = "7707083893", "7736207543", "5012345672"
BAD_INN = "7707083894"  # the check digit is wrong
ORG_HEADERS = ["Наименование", "ИНН", "КПП", "Телефон", "E-mail", "Регион"]
ORG_MAPPING = {
    "Наименование": "name",
    "ИНН": "inn",
    "КПП": "kpp",
    "Телефон": "phone",
    "E-mail": "email",
    "Регион": "region",
}


@pytest.fixture(autouse=True)
def _english_and_test_urls(settings: SettingsWrapper, tmp_path: Path) -> Iterator[None]:
    settings.ROOT_URLCONF = __name__
    settings.MEDIA_ROOT = tmp_path / "media"
    # templates/base.html needs the whole site's URLs; a bare layout keeps these tests about the wizard.
    layout = tmp_path / "templates"
    layout.mkdir()
    (layout / "base.html").write_text("<main>{% block content %}{% endblock %}</main>", encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [layout, *settings.TEMPLATES[0]["DIRS"]]}]
    with translation.override("en"):
        yield


@pytest.fixture
def head_of_sales(db: None) -> User:
    user = User.objects.create_user(username="head", password="x", first_name="Olga", last_name="Head", language="en")
    user.groups.add(Group.objects.get(name="head_of_sales"))
    return user


@pytest.fixture
def manager(db: None) -> User:
    user = User.objects.create_user(username="petrov", password="x", language="en")
    user.groups.add(Group.objects.get(name="sales_manager"))
    return user


def csv_file(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";") -> io.BytesIO:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return io.BytesIO(text.getvalue().encode(encoding))


def xlsx_file(rows: list[list[Any]]) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def org_rows(*rows: list[str]) -> io.BytesIO:
    return csv_file([ORG_HEADERS, *rows], encoding="cp1251")


GOOD_ROWS = [
    ["ООО «Ромашка»", INN_SBER, "773601001", "8 (916) 123-45-67", "info@romashka.ru", "Москва"],
    ["АО Вектор", INN_YANDEX, "", "+7 495 739-70-00, 8-916-765-43-21", "", "Санкт-Петербург"],
]
WRONG_INN_ROW = ["ООО Ошибка", BAD_INN, "", "", "", ""]
BAD_PHONE_ROW = ["ООО Связь", INN_OTHER, "", "12345", "не-почта", ""]


# ---------------------------------------------------------------------------- mapping and reading


def test_suggests_fields_for_russian_headers(db: None) -> None:
    headers = [*ORG_HEADERS, "Ответственный", "Непонятно"]

    assert mapping_suggest(headers=headers, kind=ImportKind.ORGANIZATION) == {
        **ORG_MAPPING,
        "Ответственный": "responsible",
    }


def test_suggests_fields_for_contact_persons(db: None) -> None:
    headers = ["Фамилия", "Имя", "Отчество", "Должность", "Организация", "ИНН", "Дата рождения", "Моб. телефон"]

    assert mapping_suggest(headers=headers, kind=ImportKind.CONTACT) == {
        "Фамилия": "last_name",
        "Имя": "first_name",
        "Отчество": "middle_name",
        "Должность": "position",
        "Организация": "organization",
        "ИНН": "organization_inn",
        "Дата рождения": "birthday",
    }


def test_suggests_fields_for_english_headers_and_custom_fields(db: None) -> None:
    CustomField.objects.create(
        target=CustomFieldTarget.PERSON, key="loyalty", label="Лояльность", field_type=CustomFieldType.TEXT
    )
    headers = ["Full name", "E-Mail", "Mobile", "Date of birth", "Лояльность"]

    assert mapping_suggest(headers=headers, kind=ImportKind.PERSON) == {
        "Full name": "person_name",
        "E-Mail": "email",
        "Mobile": "mobile",
        "Date of birth": "birthday",
        "Лояльность": "custom:loyalty",
    }


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ";"), ("utf-8-sig", ","), ("cp1251", ";"), ("cp1251", "\t")]
)
def test_reads_csv_in_any_usual_encoding_and_delimiter(encoding: str, delimiter: str) -> None:
    table = table_open(csv_file([ORG_HEADERS, GOOD_ROWS[0]], encoding=encoding, delimiter=delimiter))

    assert table.headers == ORG_HEADERS
    assert list(table.rows) == [(2, GOOD_ROWS[0])]


def test_reads_xlsx_with_numbers_and_duplicate_headers() -> None:
    table = table_open(xlsx_file([["ИНН", "Телефон", "Телефон", None], [7707083893, 79161234567, None, None]]))

    assert table.headers == ["ИНН", "Телефон", "Телефон (2)", "#4"]
    assert list(table.rows) == [(2, [7707083893, 79161234567, None, None])]


# ---------------------------------------------------------------------------- tabular import


def test_imports_organisations_with_normalised_contacts(head_of_sales: User) -> None:
    result = parties_import_tabular(
        actor=head_of_sales, file=org_rows(*GOOD_ROWS), mapping=ORG_MAPPING, kind=ImportKind.ORGANIZATION
    )

    assert (result.is_imported, result.created, result.errors) == (True, 2, [])
    romashka = Party.objects.get(inn=INN_SBER)
    assert (romashka.kind, romashka.name, romashka.kpp, romashka.region) == (
        PartyKind.ORGANIZATION,
        "ООО «Ромашка»",
        "773601001",
        "Москва",
    )
    assert (romashka.responsible, romashka.created_by) == (head_of_sales, head_of_sales)
    assert list(romashka.contact_points.values_list("kind", "value", "search_key", "is_primary")) == [
        (ContactKind.EMAIL, "info@romashka.ru", "info@romashka.ru", True),
        (ContactKind.PHONE, "+79161234567", "9161234567", True),
    ]
    vector = Party.objects.get(inn=INN_YANDEX)
    assert list(vector.contact_points.values_list("value", flat=True)) == ["+74957397000", "+79167654321"]
    assert list(PartyEvent.objects.filter(party=vector).values_list("kind", "actor", "data")) == [
        (PartyEvent.Kind.CREATED, head_of_sales.pk, {"name": "АО Вектор", "source": "import"})
    ]


def test_one_wrong_row_imports_nothing(head_of_sales: User) -> None:
    file = org_rows(GOOD_ROWS[0], WRONG_INN_ROW, GOOD_ROWS[1], BAD_PHONE_ROW)

    result = parties_import_tabular(actor=head_of_sales, file=file, mapping=ORG_MAPPING, kind=ImportKind.ORGANIZATION)

    assert (result.is_imported, result.created, result.total_rows, result.invalid_rows) == (False, 0, 4, 2)
    assert [e.as_dict() for e in result.errors] == [
        {
            "row": 3,
            "column": "ИНН",
            "value": BAD_INN,
            "message": "INN must be 10 or 12 digits with a correct check digit.",
        },
        {"row": 5, "column": "Телефон", "value": "12345", "message": "12345 is not a valid phone number."},
        {"row": 5, "column": "E-mail", "value": "не-почта", "message": "не-почта is not a valid e-mail address."},
    ]
    assert not Party.objects.exists()
    assert not ContactPoint.objects.exists()
    assert not PartyEvent.objects.exists()


def test_allow_partial_imports_valid_rows_and_reports_the_rest(head_of_sales: User) -> None:
    file = org_rows(GOOD_ROWS[0], WRONG_INN_ROW, GOOD_ROWS[1], BAD_PHONE_ROW)

    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping=ORG_MAPPING, kind=ImportKind.ORGANIZATION, allow_partial=True
    )

    assert (result.is_imported, result.created, result.valid_rows, result.invalid_rows) == (True, 2, 2, 2)
    assert sorted(Party.objects.values_list("name", flat=True)) == ["АО Вектор", "ООО «Ромашка»"]
    assert [(e.row, e.column) for e in result.errors] == [(3, "ИНН"), (5, "Телефон"), (5, "E-mail")]


def test_dry_run_writes_nothing(head_of_sales: User) -> None:
    result = parties_import_tabular(
        actor=head_of_sales, file=org_rows(*GOOD_ROWS), mapping=ORG_MAPPING, kind=ImportKind.ORGANIZATION, dry_run=True
    )

    assert (result.is_dry_run, result.is_imported, result.valid_rows, result.errors) == (True, False, 2, [])
    assert not Party.objects.exists()


def test_missing_name_column_is_refused_before_reading_rows(head_of_sales: User) -> None:
    with pytest.raises(Exception, match="Choose the column with the organisation's name"):
        parties_import_tabular(
            actor=head_of_sales, file=org_rows(*GOOD_ROWS), mapping={"ИНН": "inn"}, kind=ImportKind.ORGANIZATION
        )


def test_responsible_column_names_the_manager(head_of_sales: User, manager: User) -> None:
    file = csv_file([["Наименование", "Менеджер"], ["ООО Один", "petrov"], ["ООО Два", ""], ["ООО Три", "nobody"]])
    mapping = {"Наименование": "name", "Менеджер": "responsible"}

    refused = parties_import_tabular(actor=head_of_sales, file=file, mapping=mapping, kind=ImportKind.ORGANIZATION)
    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping=mapping, kind=ImportKind.ORGANIZATION, allow_partial=True
    )

    assert [(e.row, e.column, e.message) for e in refused.errors] == [
        (4, "Менеджер", "There is no active user nobody.")
    ]
    assert dict(Party.objects.values_list("name", "responsible__username")) == {
        "ООО Один": "petrov",
        "ООО Два": "head",
    }
    assert result.created == 2


def test_custom_fields_are_validated(head_of_sales: User) -> None:
    CustomField.objects.create(
        target=CustomFieldTarget.ORGANIZATION, key="staff", label="Сотрудников", field_type=CustomFieldType.NUMBER
    )
    file = csv_file([["Наименование", "Сотрудников"], ["ООО Один", "1 200"], ["ООО Два", "много"]])
    mapping = {"Наименование": "name", "Сотрудников": "custom:staff"}

    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping=mapping, kind=ImportKind.ORGANIZATION, allow_partial=True
    )

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "Сотрудников", "Сотрудников: enter a valid number.")
    ]
    assert Party.objects.get().custom_data == {"staff": 1200}


def test_people_from_xlsx_with_full_name_and_dates(head_of_sales: User) -> None:
    file = xlsx_file(
        [
            ["ФИО", "Дата рождения", "Мобильный", "ИНН"],
            ["Иванов Иван Иванович", datetime.datetime(1980, 3, 22), 79161234567, 500123456750],  # noqa: DTZ001
            ["Петрова Анна", "01.02.1990", "", ""],
            ["Сидоров", "32.13.1990", "", ""],
        ]
    )
    mapping = {"ФИО": "person_name", "Дата рождения": "birthday", "Мобильный": "mobile", "ИНН": "inn"}

    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping=mapping, kind=ImportKind.PERSON, allow_partial=True
    )

    assert [(e.row, e.column, e.value) for e in result.errors] == [(4, "Дата рождения", "32.13.1990")]
    ivanov = Party.objects.get(last_name="Иванов")
    assert (ivanov.kind, ivanov.name, ivanov.first_name, ivanov.middle_name, ivanov.inn) == (
        PartyKind.PERSON,
        "Иванов Иван Иванович",
        "Иван",
        "Иванович",
        "500123456750",
    )
    assert (ivanov.birthday, ivanov.birthday_key) == (datetime.date(1980, 3, 22), 322)
    assert list(ivanov.contact_points.values_list("label", "value")) == [("mobile", "+79161234567")]
    assert Party.objects.get(last_name="Петрова").birthday == datetime.date(1990, 2, 1)


def test_contact_persons_link_to_existing_and_new_organisations(head_of_sales: User, manager: User) -> None:
    existing = Party.objects.create(
        kind=PartyKind.ORGANIZATION, name="ООО «Ромашка»", inn=INN_SBER, responsible=manager
    )
    file = csv_file(
        [
            ["Фамилия", "Имя", "Должность", "Организация", "ИНН"],
            ["Иванов", "Иван", "Директор", "", INN_SBER],
            ["Петров", "Пётр", "Инженер", "ООО «Ромашка»", ""],
            ["Сидоров", "Сидор", "Бухгалтер", "АО Новая", INN_YANDEX],
            ["Кузнецова", "Анна", "Юрист", "АО Новая", ""],
            ["Смирнов", "Олег", "", "", "7707083894"],
        ]
    )
    mapping = {
        "Фамилия": "last_name",
        "Имя": "first_name",
        "Должность": "position",
        "Организация": "organization",
        "ИНН": "organization_inn",
    }

    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping=mapping, kind=ImportKind.CONTACT, allow_partial=True
    )

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (6, "Организация", "There is no organisation with INN 7707083894: give its name to create it.")
    ]
    assert (result.created, result.created_organizations, result.linked) == (4, 1, 4)
    new = Party.objects.get(name="АО Новая")
    assert (new.inn, new.responsible) == (INN_YANDEX, head_of_sales)
    links = PartyContact.objects.order_by("person__last_name").values_list(
        "person__last_name", "organization", "position", "person__responsible__username", "person__relationship"
    )
    assert list(links) == [
        ("Иванов", existing.pk, "Директор", "petrov", "contact"),
        ("Кузнецова", new.pk, "Юрист", "head", "contact"),
        ("Петров", existing.pk, "Инженер", "petrov", "contact"),
        ("Сидоров", new.pk, "Бухгалтер", "head", "contact"),
    ]
    assert PartyEvent.objects.filter(party=existing, kind=PartyEvent.Kind.PERSON_LINKED).count() == 2


def test_preview_validates_every_row_and_shows_the_first(head_of_sales: User) -> None:
    file = org_rows(GOOD_ROWS[0], WRONG_INN_ROW, GOOD_ROWS[1])

    preview = import_preview(actor=head_of_sales, file=file, mapping=ORG_MAPPING, kind=ImportKind.ORGANIZATION, limit=2)

    assert preview.headers == ORG_HEADERS
    assert [(r.row, r.cells[0], r.error_columns) for r in preview.rows] == [
        (2, "ООО «Ромашка»", set()),
        (3, "ООО Ошибка", {"ИНН"}),
    ]
    assert (preview.result.total_rows, preview.result.valid_rows) == (3, 2)
    assert not Party.objects.exists()


def test_error_report_neutralises_formulas(head_of_sales: User) -> None:
    file = csv_file([["Наименование", "Телефон"], ["ООО Хак", "=cmd|' /C calc'!A0"]])
    result = parties_import_tabular(
        actor=head_of_sales, file=file, mapping={"Наименование": "name", "Телефон": "phone"}, kind="organization"
    )

    headers, rows = import_error_table(result.errors)
    response = export_response("csv", "errors", headers, rows)

    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.startswith("\ufeffRow;Column;Value;Error\r\n")
    assert body.endswith("\r\n2;Телефон;'=cmd|' /C calc'!A0;'=cmd|' /C calc'!A0 is not a valid phone number.\r\n")


# ---------------------------------------------------------------------------- vCard


def vcard_fixture(name: str) -> io.BytesIO:
    path = VCARD_DIR / name
    if not path.exists():
        pytest.skip(f"shared vCard fixture {path} is absent (see /work/shared/data/README.md, section 3)")
    return io.BytesIO(path.read_bytes())


def test_vcard_import_creates_person_and_organisation(head_of_sales: User) -> None:
    result = parties_import_vcard(actor=head_of_sales, file=vcard_fixture("ezvcard_John_Doe_MS_OUTLOOK.vcf"))

    assert (result.created, result.created_organizations, result.linked, result.errors) == (1, 1, 1, [])
    person = Party.objects.get(kind=PartyKind.PERSON)
    assert (person.name, person.birthday, person.responsible) == (
        "Doe John Richter James",
        datetime.date(1980, 3, 22),
        head_of_sales,
    )
    link = PartyContact.objects.get(person=person)
    assert (link.organization.name, link.position) == ("IBM", "Money Counter")
    assert list(person.contact_points.filter(kind=ContactKind.EMAIL).values_list("value", flat=True)) == [
        "john.doe@ibm.cm"
    ]
    assert list(person.contact_points.filter(kind=ContactKind.SITE).values_list("value", flat=True)) == [
        "http://www.ibm.com"
    ]


def test_vcard_import_of_android_cards_without_names(head_of_sales: User) -> None:
    existing = Party.objects.create(kind=PartyKind.ORGANIZATION, name="Ñ" * 12, responsible=head_of_sales)

    result = parties_import_vcard(actor=head_of_sales, file=vcard_fixture("ezvcard_John_Doe_ANDROID.vcf"))

    assert (result.total_rows, result.created, result.created_organizations, result.errors) == (6, 6, 1, [])
    people = Party.objects.filter(kind=PartyKind.PERSON).order_by("pk")
    assert [p.name for p in people[:2]] == ["john.doe@company.com", "jane.doe@company.com"]
    assert PartyContact.objects.get(organization=existing).person.name == "Ñ Ñ Ñ Ñ Ñ"
    # Six-digit "phones" are no numbers: skipped and reported, the cards still imported.
    assert ("TEL", "123456 is not a valid phone number.") in [(w.column, w.message) for w in result.warnings]


def test_vcard_import_of_several_cards(head_of_sales: User) -> None:
    parties_import_vcard(actor=head_of_sales, file=vcard_fixture("ezvcard_gmail-list.vcf"))

    assert sorted(ContactPoint.objects.values_list("party__name", "value")) == sorted(
        [
            ("Smith Arnold", "asmithk@gmail.com"),
            ("Beatle Chris", "chrisy55d@yahoo.com"),
            ("White Doug", "dwhite@gmail.com"),
        ]
    )


def test_vcard_export_reads_back(head_of_sales: User) -> None:
    file = io.BytesIO(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Иванов;Иван;Иванович;;\r\nORG:ООО Ромашка\r\nTITLE:Директор\r\n"
        "TEL;TYPE=CELL:8 916 123-45-67\r\nEMAIL:ivanov@romashka.ru\r\nEND:VCARD\r\n".encode()
    )
    parties_import_vcard(actor=head_of_sales, file=file)

    text = parties_export_vcard(
        parties=Party.objects.order_by("kind", "name"), access=FieldAccess.everything(), version="4.0"
    )

    organization, person = parse_vcards(text)
    assert organization.display_name == "ООО Ромашка"
    assert (person.last_name, person.first_name, person.middle_name) == ("Иванов", "Иван", "Иванович")
    assert (person.organization, person.title) == ("ООО Ромашка", "Директор")
    assert [p.value for p in person.phones] == ["+79161234567"]
    assert [e.value for e in person.emails] == ["ivanov@romashka.ru"]


# ---------------------------------------------------------------------------- pages


def test_wizard_upload_mapping_preview_import(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("clients.csv", org_rows(*GOOD_ROWS).getvalue())

    response = client.post(reverse("parties:import"), {"file": upload, "kind": "organization"})
    assert response.status_code == 302
    mapping_url = response["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    assert '<option value="inn" selected>' in page.content.decode()

    response = client.post(mapping_url, {f"column-{i}": ORG_MAPPING[h] for i, h in enumerate(ORG_HEADERS)})
    assert response.status_code == 302
    preview_url = response["Location"]
    page = client.get(preview_url)
    assert page.status_code == 200
    assert page.context["result"].valid_rows == 2
    assert not Party.objects.exists()

    done = client.post(preview_url)
    assert done.status_code == 200
    assert done.context["result"].created == 2
    assert sorted(Party.objects.values_list("inn", flat=True)) == [INN_SBER, INN_YANDEX]
    assert client.get(preview_url).status_code == 404  # the upload is gone once imported


def test_wizard_refuses_a_file_with_errors_and_offers_the_report(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("clients.csv", org_rows(GOOD_ROWS[0], WRONG_INN_ROW).getvalue())
    mapping_url = client.post(reverse("parties:import"), {"file": upload, "kind": "organization"})["Location"]
    preview_url = client.post(mapping_url, {f"column-{i}": ORG_MAPPING[h] for i, h in enumerate(ORG_HEADERS)})[
        "Location"
    ]
    token = preview_url.rstrip("/").split("/")[-2]

    refused = client.post(preview_url)
    report = client.get(reverse("parties:import-errors", args=[token, "xlsx"]))
    partial = client.post(preview_url, {"allow_partial": "on"})

    assert refused.status_code == 200
    assert refused.context["result"].invalid_rows == 1
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Row", "Column", "Value", "Error"],
        [3, "ИНН", BAD_INN, "INN must be 10 or 12 digits with a correct check digit."],
    ]
    assert partial.context["result"].created == 1
    assert list(Party.objects.values_list("name", flat=True)) == ["ООО «Ромашка»"]


def test_mapping_errors_are_shown(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("clients.csv", org_rows(*GOOD_ROWS).getvalue())
    mapping_url = client.post(reverse("parties:import"), {"file": upload, "kind": "organization"})["Location"]

    response = client.post(mapping_url, {"column-1": "inn"})

    assert response.status_code == 200
    assert "Choose the column with the organisation&#x27;s name." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [("parties:import", "get"), ("parties:import", "post"), ("parties:vcard-import", "post")],
)
def test_plain_sales_manager_may_not_import(client: Client, manager: User, name: str, method: str) -> None:
    client.force_login(manager)

    response = getattr(client, method)(reverse(name))

    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client: Client, settings: SettingsWrapper, db: None) -> None:
    settings.LOGIN_URL = "/login/"

    assert client.get(reverse("parties:import"))["Location"].startswith("/login/")


def test_vcard_page_import_and_export(client: Client, head_of_sales: User, manager: User) -> None:
    Party.objects.create(kind=PartyKind.ORGANIZATION, name="Чужая", responsible=head_of_sales)
    Party.objects.create(kind=PartyKind.ORGANIZATION, name="Своя", responsible=manager)
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile(
        "book.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Contact1\r\nN:Contact1;;;;\r\nEND:VCARD\r\n"
    )

    imported = client.post(reverse("parties:vcard-import"), {"file": upload})
    client.force_login(manager)
    exported = client.get(reverse("parties:vcard-export"), {"version": "4.0"})

    assert imported.context["result"].created == 1
    assert exported["Content-Type"] == "text/vcard; charset=utf-8"
    cards = parse_vcards(b"".join(exported.streaming_content))  # type: ignore[attr-defined]
    assert [c.display_name for c in cards] == ["Своя"]  # only what the manager sees


def test_table_export_respects_visibility_and_filters(client: Client, head_of_sales: User, manager: User) -> None:
    Party.objects.create(kind=PartyKind.ORGANIZATION, name="=Чужая", responsible=head_of_sales)
    Party.objects.create(kind=PartyKind.ORGANIZATION, name="=Своя", inn=INN_SBER, responsible=manager)
    Party.objects.create(kind=PartyKind.ORGANIZATION, name="Другая своя", responsible=manager)
    client.force_login(manager)

    response = client.get(reverse("parties:export", args=["csv"]), {"q": "=Своя"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))  # type: ignore[attr-defined]
    assert [r[1:4] for r in rows] == [["Name", "Full legal name", "INN"], ["'=Своя", "", INN_SBER]]


def test_export_needs_the_permission(client: Client, db: None) -> None:
    outsider = User.objects.create_user(username="nobody", password="x", language="en")
    client.force_login(outsider)

    assert client.get(reverse("parties:vcard-export")).status_code == 403
    assert client.get(reverse("parties:export", args=["xlsx"])).status_code == 403


# ---------------------------------------------------------------------------- API


def test_api_dry_run_returns_the_report(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("clients.csv", org_rows(GOOD_ROWS[0], WRONG_INN_ROW).getvalue())

    response = client.post(
        reverse("parties-import"), {"file": upload, "kind": "organization", "dry_run": "true"}, format="multipart"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["is_dry_run"], body["total_rows"], body["valid_rows"], body["created"]) == (True, 2, 1, 0)
    assert body["mapping"] == ORG_MAPPING  # suggested when not given
    assert body["errors"] == [
        {
            "row": 3,
            "column": "ИНН",
            "value": BAD_INN,
            "message": "INN must be 10 or 12 digits with a correct check digit.",
        }
    ]
    assert not Party.objects.exists()


def test_api_import_is_all_or_nothing(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    data = org_rows(GOOD_ROWS[0], WRONG_INN_ROW).getvalue()
    mapping = json.dumps({"Наименование": "name", "ИНН": "inn"})

    refused = client.post(
        reverse("parties-import"),
        {"file": SimpleUploadedFile("c.csv", data), "kind": "organization", "mapping": mapping},
    )
    partial = client.post(
        reverse("parties-import"),
        {"file": SimpleUploadedFile("c.csv", data), "kind": "organization", "mapping": mapping, "allow_partial": "1"},
    )

    assert (refused.status_code, refused.json()["created"]) == (400, 0)
    assert (partial.status_code, partial.json()["created"], partial.json()["is_imported"]) == (200, 1, True)
    assert list(Party.objects.values_list("name", "inn")) == [("ООО «Ромашка»", INN_SBER)]


def test_api_bad_mapping_is_a_400(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("c.csv", org_rows(*GOOD_ROWS).getvalue())

    response = client.post(
        reverse("parties-import"), {"file": upload, "kind": "organization", "mapping": json.dumps({"ИНН": "inn"})}
    )

    assert response.status_code == 400
    assert response.json() == {"mapping": ["Choose the column with the organisation's name."]}


def test_api_refuses_import_without_permission(client: Client, manager: User) -> None:
    client.force_login(manager)
    upload = SimpleUploadedFile("c.csv", org_rows(*GOOD_ROWS).getvalue())

    assert client.post(reverse("parties-import"), {"file": upload, "kind": "organization"}).status_code == 403
    assert client.post(reverse("parties-vcard-import"), {"file": upload}).status_code == 403
    assert not Party.objects.exists()


def test_api_vcard_import_and_export(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    upload = SimpleUploadedFile("b.vcf", vcard_fixture("radicale_contact_multiple.vcf").getvalue())

    imported = client.post(reverse("parties-vcard-import"), {"file": upload})
    exported = client.get(reverse("parties-vcard-export"), {"version": "3.0"})

    assert (imported.status_code, imported.json()["created"]) == (200, 2)
    assert exported.status_code == 200
    names = [c.display_name for c in parse_vcards(b"".join(exported.streaming_content))]  # type: ignore[attr-defined]
    assert names == ["Contact1", "Contact2"]
