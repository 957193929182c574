"""Import and export of clients: CSV/XLSX tables (S1, X1) and vCard address books.

A tabular import validates every row with the card's own rules (`Party.full_clean` with the
requisites checksums, `normalize_contact`, `clean_custom_data`) and writes valid rows in
batches with `bulk_create`, all in one transaction: when any row is wrong and the user did not
ask for a partial import, the transaction is rolled back and nothing stays. The file is read
row by row, so memory stays flat whatever its length.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

import openpyxl
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.accounts.models import User
from crm.core.exports import Cell
from crm.parties.access import parties_visible_to
from crm.parties.choices import ContactKind, ContactLabel, CustomFieldTarget, LegalForm, PartyKind, Relationship
from crm.parties.fields import FieldAccess, field_access, refused_write
from crm.parties.models import ContactPoint, CustomField, Party, PartyContact, PartyEvent
from crm.parties.services import (
    clean_custom_data,
    contact_person_link,
    contact_point_add,
    normalize_contact,
    party_create,
)
from crm.parties.vcard import VCard, Version, parse_vcards, party_to_vcard

MAX_ROWS = 100_000
BATCH_SIZE = 500
PREVIEW_ROWS = 20
_SNIFF_BYTES = 1024 * 1024


class ImportKind(models.TextChoices):
    ORGANIZATION = "organization", gettext_lazy("legal entities")
    PERSON = "person", gettext_lazy("individuals")
    CONTACT = "contact", gettext_lazy("contact persons of legal entities")


_ORG = frozenset({ImportKind.ORGANIZATION})
_PEOPLE = frozenset({ImportKind.PERSON, ImportKind.CONTACT})
_ORG_PERSON = frozenset({ImportKind.ORGANIZATION, ImportKind.PERSON})
_ALL = frozenset(ImportKind)


@dataclass(frozen=True)
class TargetField:
    """A field a column can be mapped to, with the header names that suggest it (normalised)."""

    key: str
    label: Promise
    kinds: frozenset[str]
    synonyms: tuple[str, ...]
    is_repeatable: bool = False


TARGET_FIELDS: tuple[TargetField, ...] = (
    TargetField("name", gettext_lazy("Name"), _ORG, (
        "наименование", "название", "наименование организации", "организация", "компания", "краткое наименование",
        "клиент", "name", "company", "company name", "organization", "organisation", "client",
    )),
    TargetField("full_name", gettext_lazy("Full legal name"), _ORG, (
        "полное наименование", "полное название", "full legal name", "legal name",
    )),
    TargetField("legal_form", gettext_lazy("Legal form"), _ORG, (
        "опф", "организационно правовая форма", "орг форма", "форма", "legal form",
    )),
    TargetField("inn", gettext_lazy("INN"), _ORG_PERSON, ("инн", "inn", "tax id", "taxpayer id")),
    TargetField("kpp", gettext_lazy("KPP"), _ORG, ("кпп", "kpp")),
    TargetField("ogrn", gettext_lazy("OGRN / OGRNIP"), _ORG_PERSON, ("огрн", "огрнип", "ogrn", "ogrnip")),
    TargetField("bank_name", gettext_lazy("Bank"), _ORG, ("банк", "наименование банка", "bank", "bank name")),
    TargetField("bik", gettext_lazy("BIK"), _ORG, ("бик", "bik")),
    TargetField("account", gettext_lazy("Settlement account"), _ORG, (
        "расчетный счет", "р с", "рс", "счет", "account", "settlement account",
    )),
    TargetField("correspondent_account", gettext_lazy("Correspondent account"), _ORG, (
        "корреспондентский счет", "корр счет", "к с", "кс", "correspondent account",
    )),
    TargetField("industry", gettext_lazy("Industry"), _ORG, (
        "отрасль", "сфера", "сфера деятельности", "вид деятельности", "industry",
    )),
    TargetField("last_name", gettext_lazy("Last name"), _PEOPLE, (
        "фамилия", "last name", "lastname", "surname", "family name",
    )),
    TargetField("first_name", gettext_lazy("First name"), _PEOPLE, ("имя", "first name", "firstname", "given name")),
    TargetField("middle_name", gettext_lazy("Middle name"), _PEOPLE, (
        "отчество", "middle name", "middlename", "patronymic",
    )),
    TargetField("person_name", gettext_lazy("Full name (last, first, middle)"), _PEOPLE, (
        "фио", "ф и о", "полное имя", "контактное лицо", "имя контакта", "full name", "name", "contact",
        "contact name", "contact person",
    )),
    TargetField("birthday", gettext_lazy("Birthday"), _PEOPLE, (
        "дата рождения", "день рождения", "д р", "birthday", "date of birth", "birth date", "dob",
    )),
    TargetField("position", gettext_lazy("Position"), frozenset({ImportKind.CONTACT}), (
        "должность", "position", "job title", "title", "role",
    )),
    TargetField("organization", gettext_lazy("Organisation name"), frozenset({ImportKind.CONTACT}), (
        "организация", "компания", "наименование", "название", "наименование организации", "название организации",
        "место работы", "company", "company name", "organization", "organisation", "employer",
    )),
    TargetField("organization_inn", gettext_lazy("Organisation INN"), frozenset({ImportKind.CONTACT}), (
        "инн", "инн организации", "инн компании", "inn", "company inn", "organization inn", "organisation inn",
    )),
    TargetField("region", gettext_lazy("Region"), _ALL, ("регион", "область", "субъект рф", "region", "state")),
    TargetField("phone", gettext_lazy("Phone"), _ALL, (
        "телефон", "тел", "телефоны", "рабочий телефон", "номер телефона", "phone", "phones", "telephone",
        "phone number", "tel", "work phone",
    ), is_repeatable=True),
    TargetField("mobile", gettext_lazy("Mobile phone"), _ALL, (
        "мобильный", "мобильный телефон", "сотовый", "сотовый телефон", "моб", "mobile", "mobile phone", "cell",
        "cell phone",
    ), is_repeatable=True),
    TargetField("email", gettext_lazy("E-mail"), _ALL, (
        "e mail", "email", "электронная почта", "эл почта", "почта", "адрес электронной почты", "mail",
        "email address", "e mail address",
    ), is_repeatable=True),
    TargetField("site", gettext_lazy("Website"), _ALL, ("сайт", "веб сайт", "website", "web site", "site", "url")),
    TargetField("address", gettext_lazy("Address"), _ALL, (
        "адрес", "юридический адрес", "фактический адрес", "почтовый адрес", "address", "legal address",
        "postal address",
    ), is_repeatable=True),
    TargetField("notes", gettext_lazy("Notes"), _ALL, (
        "комментарий", "комментарии", "примечание", "примечания", "заметки", "описание", "notes", "note",
        "comment", "comments", "description",
    )),
    TargetField("responsible", gettext_lazy("Responsible manager (username)"), _ALL, (
        "ответственный", "ответственный менеджер", "менеджер", "responsible", "manager", "owner", "account manager",
    )),
)  # fmt: skip
FIELDS_BY_KEY = {f.key: f for f in TARGET_FIELDS}
_PARTY_TEXT_FIELDS = frozenset({
    "name", "full_name", "inn", "kpp", "ogrn", "bank_name", "bik", "account", "correspondent_account", "industry",
    "region", "notes", "last_name", "first_name", "middle_name",
})  # fmt: skip
_CONTACT_FIELDS = {
    "phone": (ContactKind.PHONE, ContactLabel.WORK),
    "mobile": (ContactKind.PHONE, ContactLabel.MOBILE),
    "email": (ContactKind.EMAIL, ""),
    "site": (ContactKind.SITE, ""),
    "address": (ContactKind.ADDRESS, ""),
}
_LEGAL_FORMS = {
    "ооо": LegalForm.OOO, "llc": LegalForm.OOO, "ао": LegalForm.AO, "зао": LegalForm.AO, "оао": LegalForm.AO,
    "нао": LegalForm.AO, "jsc": LegalForm.AO, "пао": LegalForm.PAO, "pjsc": LegalForm.PAO, "ип": LegalForm.IP,
    "гуп": LegalForm.GUP, "муп": LegalForm.GUP, "фгуп": LegalForm.GUP, "нко": LegalForm.NKO, "ано": LegalForm.NKO,
}  # fmt: skip
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y")
_MULTI_SPLIT = re.compile(r"[,;\n]+")
_NOT_WORD = re.compile(r"[\W_]+")


def normalize_header(header: str) -> str:
    """`E-mail`, ` e_mail ` and `EMAIL` alike; `ё` as `е` so `Расчётный счёт` matches too."""
    return " ".join(_NOT_WORD.sub(" ", header.casefold().replace("ё", "е")).split())


def _is_seen(access: FieldAccess | None, key: str) -> bool:
    """Whether the importing user sees (and so may fill) the field a column maps to (X4)."""
    if access is None:
        return True
    if key in _CONTACT_FIELDS:
        return access.sees_kind(_CONTACT_FIELDS[key][0])
    return access.sees_field(key)


def fields_for(kind: str, access: FieldAccess | None = None) -> list[TargetField]:
    """The fields a column may be mapped to for this kind of import, custom fields included.

    With `access`, only those the user sees: data hidden from a user is not written by them either.
    """
    fields = [f for f in TARGET_FIELDS if kind in f.kinds and _is_seen(access, f.key)]
    target = CustomFieldTarget.ORGANIZATION if kind == ImportKind.ORGANIZATION else CustomFieldTarget.PERSON
    for custom in CustomField.objects.filter(target=target, is_active=True):
        synonyms = (normalize_header(custom.label), normalize_header(custom.key))
        fields.append(TargetField(f"custom:{custom.key}", cast(Promise, custom.label), frozenset({kind}), synonyms))
    return fields


def mapping_suggest(*, headers: Sequence[str], kind: str, access: FieldAccess | None = None) -> dict[str, str]:
    """A field for every header we recognise (Russian or English); a field is suggested once at most."""
    fields = fields_for(kind, access)
    suggestion: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        normalized = normalize_header(header)
        for target in fields:
            if normalized in target.synonyms and (target.is_repeatable or target.key not in taken):
                suggestion[header] = target.key
                taken.add(target.key)
                break
    return suggestion


# ---------------------------------------------------------------------------- reading files


@dataclass
class Table:
    """A file's header row and an iterator over its data rows as (spreadsheet row number, cells)."""

    headers: list[str]
    rows: Generator[tuple[int, list[Cell]], None, None]


def _unique_headers(raw: Sequence[Cell]) -> list[str]:
    headers: list[str] = []
    for index, value in enumerate(raw, start=1):
        header = " ".join(cell_text(value).split()) or f"#{index}"
        candidate, number = header, 2
        while candidate in headers:
            candidate, number = f"{header} ({number})", number + 1
        headers.append(candidate)
    return headers


def cell_text(value: Cell | object) -> str:
    """A cell as text: an INN or phone typed as a number in Excel loses its `.0`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _detect_encoding(sample: bytes, is_complete: bool) -> str:
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=is_complete)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(file: IO[bytes]) -> Table:
    sample = file.read(_SNIFF_BYTES)
    is_complete = len(sample) < _SNIFF_BYTES
    encoding = _detect_encoding(sample, is_complete)
    sample_text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = _detect_delimiter(sample_text.splitlines()[0] if sample_text.strip() else "")
    headers = next(csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter), [])

    def rows() -> Generator[tuple[int, list[Cell]], None, None]:
        file.seek(0)
        text = io.TextIOWrapper(file, encoding=encoding, newline="")
        try:
            reader = csv.reader(text, delimiter=delimiter)
            next(reader, None)
            for number, row in enumerate(reader, start=2):
                yield number, list(row)
        except UnicodeDecodeError:
            raise ValidationError(_("The file is neither UTF-8 nor Windows-1251 text.")) from None
        finally:
            text.detach()  # leave the caller's file open

    return Table(headers=_unique_headers(headers), rows=rows())


def _xlsx_rows(file: IO[bytes]) -> Table:
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValidationError(_("The file is not a readable XLSX workbook.")) from None
    sheet = book.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    headers = _unique_headers(list(next(iterator, ())))

    def rows() -> Generator[tuple[int, list[Cell]], None, None]:
        try:
            for number, row in enumerate(iterator, start=2):
                yield number, list(row)
        finally:
            book.close()

    return Table(headers=headers, rows=rows())


def table_open(file: IO[bytes]) -> Table:
    """Open an uploaded CSV (UTF-8, UTF-8 with BOM or Windows-1251; `;`, `,`, tab or `|`) or XLSX file."""
    file.seek(0)
    magic = file.read(8)
    file.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(file)
    elif magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(_("Old Excel files (.xls) are not supported: save the file as XLSX or CSV."))
    else:
        table = _csv_rows(file)
    if not any(not h.startswith("#") for h in table.headers):
        raise ValidationError(_("The first row of the file must hold the column names."))
    return table


@dataclass
class TableSample:
    headers: list[str]
    rows: list[list[str]]


def table_sample(file: IO[bytes], *, rows: int = 5) -> TableSample:
    """The headers and the first rows as text: what the mapping step shows under each column."""
    table = table_open(file)
    sample: list[list[str]] = []
    for _number, cells in table.rows:
        if len(sample) >= rows:
            break
        if any(cell_text(c) for c in cells):
            sample.append([cell_text(c) for c in cells[: len(table.headers)]])
    table.rows.close()
    return TableSample(headers=table.headers, rows=sample)


# ---------------------------------------------------------------------------- validation


@dataclass
class RowError:
    """One problem found in one row: the spreadsheet row number, the column's header and the message."""

    row: int
    column: str
    message: str
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "value": self.value}


@dataclass
class ImportResult:
    """What an import did, or (dry run, or refused because of errors) would have done."""

    kind: str
    total_rows: int = 0
    created: int = 0
    created_organizations: int = 0
    linked: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    is_imported: bool = False
    is_dry_run: bool = False

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.invalid_rows

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "created": self.created,
            "created_organizations": self.created_organizations,
            "linked": self.linked,
            "is_imported": self.is_imported,
            "is_dry_run": self.is_dry_run,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [e.as_dict() for e in self.warnings],
        }


def check_mapping(
    *, headers: Sequence[str], mapping: Mapping[str, str], kind: str, access: FieldAccess
) -> dict[str, str]:
    """The mapping without skipped columns, or a ValidationError saying what is wrong with it."""
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    every = {f.key: f for f in fields_for(kind)}
    allowed = {f.key: f for f in fields_for(kind, access)}
    cleaned = {h: f for h, f in mapping.items() if f}
    errors: list[str] = []
    for header, key in cleaned.items():
        if header not in headers:
            errors.append(_("The file has no column %(column)s.") % {"column": header})
        if key in every and key not in allowed:
            errors.append(_("You may not change data hidden from you: %(fields)s.") % {"fields": every[key].label})
        elif key not in allowed:
            errors.append(_("%(field)s cannot be imported here.") % {"field": key})
    chosen = list(cleaned.values())
    for key in sorted(set(chosen)):
        if chosen.count(key) > 1 and key in allowed and not allowed[key].is_repeatable:
            errors.append(_("%(field)s is chosen for more than one column.") % {"field": allowed[key].label})
    if kind == ImportKind.ORGANIZATION and "name" not in chosen:
        errors.append(_("Choose the column with the organisation's name."))
    if kind != ImportKind.ORGANIZATION and not {"last_name", "first_name", "person_name"} & set(chosen):
        errors.append(_("Choose the column with the person's name."))
    if kind == ImportKind.CONTACT and not {"organization", "organization_inn"} & set(chosen):
        errors.append(_("Choose the column with the organisation's name or INN."))
    if errors:
        raise ValidationError({"mapping": errors})
    return cleaned


@dataclass
class _Row:
    number: int
    party: Party
    points: list[ContactPoint]
    organization: Party | None = None
    position: str = ""


def _person_name(*parts: str) -> str:
    return " ".join(p for p in parts if p.strip())


def _parse_date(value: Cell) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(text)


class _Validator:
    """Turns rows into unsaved parties and contact points, with the card's rules, caching lookups."""

    def __init__(self, *, actor: User, kind: str, headers: Sequence[str], mapping: Mapping[str, str]) -> None:
        self.actor, self.kind = actor, kind
        self.columns = [(headers.index(h), h, f) for h, f in mapping.items()]
        self.header_of: dict[str, str] = {}
        for _index, header, key in self.columns:
            self.header_of.setdefault(key, header)
        self.users: dict[str, User | None] = {}
        self.organizations: dict[tuple[str, str], Party | str] = {}
        self.visible = parties_visible_to(actor)

    def column_for(self, model_field: str) -> str:
        """The header of the column that fed a model field, for error messages."""
        if model_field.startswith("custom_"):
            return self.header_of.get("custom:" + model_field.removeprefix("custom_"), "")
        if model_field in ("last_name", "first_name", "middle_name", "name") and self.kind != ImportKind.ORGANIZATION:
            return self.header_of.get(model_field) or self.header_of.get("person_name", "")
        return self.header_of.get(model_field, "")

    def user(self, username: str) -> User | None:
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username, is_active=True).first()
        return self.users[username]

    def validate(self, number: int, cells: Sequence[Cell]) -> tuple[_Row | None, list[RowError]]:
        errors: list[RowError] = []
        data: dict[str, Any] = {}
        custom: dict[str, str] = {}
        points: list[ContactPoint] = []
        seen_points: set[tuple[str, str]] = set()
        refs: dict[str, str] = {}
        responsible: User | None = None
        for index, header, key in self.columns:
            value = cells[index] if index < len(cells) else None
            text = cell_text(value)
            if not text:
                continue
            if key in _PARTY_TEXT_FIELDS:
                data[key] = text
            elif key == "legal_form":
                form = _LEGAL_FORMS.get(text.casefold().strip(". ")) or (text if text in LegalForm.values else None)
                if form is None:
                    errors.append(RowError(number, header, _("Unknown legal form."), text))
                else:
                    data[key] = form
            elif key == "birthday":
                try:
                    data[key] = _parse_date(value)
                except ValueError:
                    errors.append(RowError(number, header, _("Enter the date as DD.MM.YYYY."), text))
            elif key in _CONTACT_FIELDS:
                kind, label = _CONTACT_FIELDS[key]
                parts = _MULTI_SPLIT.split(text) if kind in (ContactKind.PHONE, ContactKind.EMAIL) else [text]
                for part in (p.strip() for p in parts):
                    if not part:
                        continue
                    try:
                        stored, search_key = normalize_contact(kind, part)
                    except ValidationError as error:
                        errors.extend(RowError(number, header, m, part) for m in error.messages)
                        continue
                    if (kind, search_key) in seen_points:
                        continue
                    seen_points.add((kind, search_key))
                    is_primary = not any(p.kind == kind for p in points)
                    points.append(
                        ContactPoint(kind=kind, label=label, value=stored, search_key=search_key, is_primary=is_primary)
                    )
            elif key == "responsible":
                responsible = self.user(text)
                if responsible is None:
                    errors.append(RowError(number, header, _("There is no active user %(username)s.") % {
                        "username": text}, text))  # fmt: skip
            elif key.startswith("custom:"):
                custom[key.removeprefix("custom:")] = text
            else:
                refs[key] = text
        if "person_name" in refs:
            parts = refs.pop("person_name").split()
            data.setdefault("last_name", parts[0] if parts else "")
            data.setdefault("first_name", parts[1] if len(parts) > 1 else "")
            data.setdefault("middle_name", " ".join(parts[2:]))
        organization: Party | None = None
        if self.kind == ImportKind.CONTACT:
            organization = self._organization(number, refs, responsible, errors)
        party = Party(kind=PartyKind.ORGANIZATION if self.kind == ImportKind.ORGANIZATION else PartyKind.PERSON, **data)
        if self.kind == ImportKind.CONTACT:
            party.relationship = Relationship.CONTACT
        # A contact person follows the organisation's manager, as on the card (contact_person_create).
        party.responsible = responsible or (organization.responsible if organization else None) or self.actor
        party.created_by = self.actor
        exclude = ["responsible", "created_by", "deleted_by"]
        if not party.is_organization:
            # Party.clean() derives a person's name, but clean_fields() runs first and wants it filled.
            party.name = _person_name(party.last_name, party.first_name, party.middle_name)
            if not party.name:
                exclude.append("name")  # clean() itself says the name is missing, next to the name column
        try:
            party.custom_data = clean_custom_data(party, custom)
        except ValidationError as error:
            errors.extend(self._model_errors(number, error, data))
        try:
            party.full_clean(exclude=exclude)
        except ValidationError as error:
            errors.extend(self._model_errors(number, error, data))
        if errors:
            return None, errors
        return _Row(number, party, points, organization, refs.get("position", "")), []

    def _model_errors(self, number: int, error: ValidationError, data: Mapping[str, Any]) -> list[RowError]:
        if not hasattr(error, "error_dict"):
            return [RowError(number, "", m) for m in error.messages]
        return [
            RowError(number, self.column_for(name), message, cell_text(data.get(name)))
            for name, items in error.message_dict.items()
            for message in items
        ]

    def _organization(
        self, number: int, refs: Mapping[str, str], responsible: User | None, errors: list[RowError]
    ) -> Party | None:
        """The employer named in the row: found by INN, then by name; created when the file names a new one."""
        name, inn = refs.get("organization", ""), "".join(refs.get("organization_inn", "").split())
        column = self.header_of.get("organization") or self.header_of.get("organization_inn", "")
        if not (name or inn):
            errors.append(RowError(number, column, _("Name the organisation or give its INN.")))
            return None
        keys = [k for k in (("inn", inn), ("name", name.casefold())) if k[1]]
        for key in keys:
            if key in self.organizations:
                return self._known(number, self.organizations[key], column, name or inn, errors)
        found: Party | str | None = None
        organizations = self.visible.filter(kind=PartyKind.ORGANIZATION).select_related("responsible")
        if inn:
            found = organizations.filter(inn=inn).order_by("pk").first()
        if found is None and name:
            matches = list(organizations.filter(name__iexact=name)[:2])
            if len(matches) > 1:
                found = _("Several organisations are named %(name)s: give the INN to choose one.") % {"name": name}
            elif matches:
                found = matches[0]
        if found is None:
            if not name:
                found = _("There is no organisation with INN %(inn)s: give its name to create it.") % {"inn": inn}
            else:
                found = Party(kind=PartyKind.ORGANIZATION, name=name, inn=inn)
                found.responsible, found.created_by = responsible or self.actor, self.actor
                try:
                    found.full_clean(exclude=["responsible", "created_by", "deleted_by"])
                except ValidationError as error:
                    found = "; ".join(error.messages)
        for key in keys:
            self.organizations[key] = found
        if isinstance(found, Party) and found.inn and ("inn", found.inn) not in self.organizations:
            self.organizations[("inn", found.inn)] = found
        return self._known(number, found, column, name or inn, errors)

    @staticmethod
    def _known(number: int, found: Party | str, column: str, value: str, errors: list[RowError]) -> Party | None:
        if isinstance(found, str):
            errors.append(RowError(number, column, found, value))
            return None
        return found


def _record_created(parties: Iterable[Party], actor: User) -> list[PartyEvent]:
    return [
        PartyEvent(party=p, actor=actor, kind=PartyEvent.Kind.CREATED, data={"name": p.name, "source": "import"})
        for p in parties
    ]


def _flush(batch: list[_Row], actor: User, result: ImportResult) -> None:
    """Write one batch of valid rows: new employers first, then parties, contacts, links and history."""
    unsaved: dict[int, Party] = {}
    for row in batch:
        if row.organization is not None and row.organization.pk is None:
            unsaved.setdefault(id(row.organization), row.organization)
    organizations = Party.objects.bulk_create(list(unsaved.values()))
    parties = Party.objects.bulk_create([r.party for r in batch])
    points = []
    for row in batch:
        for point in row.points:
            point.party = row.party
            points.append(point)
    ContactPoint.objects.bulk_create(points)
    links = [
        PartyContact(organization=r.organization, person=r.party, position=r.position) for r in batch if r.organization
    ]
    PartyContact.objects.bulk_create(links)
    events = _record_created([*organizations, *parties], actor)
    events += [
        PartyEvent(
            party=link.organization, actor=actor, kind=PartyEvent.Kind.PERSON_LINKED,
            data={"person": link.person.name, "position": link.position},
        )
        for link in links
    ]  # fmt: skip
    PartyEvent.objects.bulk_create(events)
    result.created += len(parties)
    result.created_organizations += len(organizations)
    result.linked += len(links)
    batch.clear()


def _run(
    *, actor: User, file: IO[bytes], mapping: Mapping[str, str], kind: str, write: bool, preview: int = 0
) -> tuple[ImportResult, list[str], list[tuple[int, list[str]]]]:
    table = table_open(file)
    cleaned = check_mapping(headers=table.headers, mapping=mapping, kind=kind, access=field_access(actor))
    validator = _Validator(actor=actor, kind=kind, headers=table.headers, mapping=cleaned)
    result = ImportResult(kind=kind, is_dry_run=not write)
    shown: list[tuple[int, list[str]]] = []
    batch: list[_Row] = []
    for number, cells in table.rows:
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        result.total_rows += 1
        if result.total_rows > MAX_ROWS:
            raise ValidationError(_("A file may hold at most %(count)s rows.") % {"count": MAX_ROWS})
        if len(shown) < preview:
            shown.append((number, (texts + [""] * len(table.headers))[: len(table.headers)]))
        row, errors = validator.validate(number, cells)
        result.errors.extend(errors)
        if row is not None and write:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                _flush(batch, actor, result)
    if write and batch:
        _flush(batch, actor, result)
    return result, table.headers, shown


def parties_import_tabular(
    *,
    actor: User,
    file: IO[bytes],
    mapping: Mapping[str, str],
    kind: str,
    allow_partial: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import clients from a CSV or XLSX file: all rows or, on any error, none unless `allow_partial`.

    Contact persons (kind "contact") are linked to the organisation their row names by INN or
    name, an existing one or one created from the same file. Every party gets `responsible` from
    a mapped username column, else (contact persons) the organisation's manager, else the actor.
    """
    if dry_run:
        result, _headers, _shown = _run(actor=actor, file=file, mapping=mapping, kind=kind, write=False)
        return result
    with transaction.atomic():
        result, _headers, _shown = _run(actor=actor, file=file, mapping=mapping, kind=kind, write=True)
        if result.errors and not allow_partial:
            # Rows were written batch by batch to keep memory flat; undo them all.
            transaction.set_rollback(True)
            result.created = result.created_organizations = result.linked = 0
            return result
        result.is_imported = result.created > 0
    return result


@dataclass
class PreviewRow:
    row: int
    cells: list[str]
    errors: list[RowError]

    @property
    def error_columns(self) -> set[str]:
        return {e.column for e in self.errors}


@dataclass
class ImportPreview:
    headers: list[str]
    mapping: dict[str, str]
    rows: list[PreviewRow]
    result: ImportResult


def import_preview(
    *, actor: User, file: IO[bytes], mapping: Mapping[str, str], kind: str, limit: int = PREVIEW_ROWS
) -> ImportPreview:
    """Validate every row without writing; show the first `limit` rows with their errors."""
    result, headers, shown = _run(actor=actor, file=file, mapping=mapping, kind=kind, write=False, preview=limit)
    by_row: dict[int, list[RowError]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error)
    rows = [PreviewRow(number, cells, by_row.get(number, [])) for number, cells in shown]
    return ImportPreview(headers=headers, mapping={h: f for h, f in mapping.items() if f}, rows=rows, result=result)


def import_error_table(errors: Iterable[RowError]) -> tuple[list[str], Iterator[list[Cell]]]:
    """Headers and rows of the error report, ready for crm.core.exports."""
    headers = [_("Row"), _("Column"), _("Value"), _("Error")]
    return headers, ([e.row, e.column, e.value, e.message] for e in errors)


# ---------------------------------------------------------------------------- vCard

_VCARD_PHONE_LABELS = {"cell": ContactLabel.MOBILE, "fax": ContactLabel.FAX, "home": ContactLabel.HOME,
                       "work": ContactLabel.WORK}  # fmt: skip


def _vcard_points(card: VCard, number: int, warnings: list[RowError], access: FieldAccess) -> list[dict[str, Any]]:
    raw: list[tuple[str, str, str, str]] = []
    for phone in card.phones:
        label = next((_VCARD_PHONE_LABELS[t] for t in ("fax", "cell", "work", "home") if t in phone.types), "")
        raw.append((ContactKind.PHONE, label, phone.value, "TEL"))
    for email in card.emails:
        label = ContactLabel.HOME if "home" in email.types else ContactLabel.WORK if "work" in email.types else ""
        raw.append((ContactKind.EMAIL, label, email.value, "EMAIL"))
    raw.extend((ContactKind.SITE, "", url, "URL") for url in card.urls)
    for address in card.addresses:
        label = (
            ContactLabel.HOME if "home" in address.types else ContactLabel.POSTAL if "postal" in address.types else ""
        )
        raw.append((ContactKind.ADDRESS, label, address.as_text(), "ADR"))
    points: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for kind, label, value, prop in raw:
        if not access.sees_kind(kind):
            warnings.append(RowError(number, prop, _("Left out: your role does not see this data."), value))
            continue
        try:
            _stored, key = normalize_contact(kind, value)
        except ValidationError as error:
            warnings.extend(RowError(number, prop, m, value) for m in error.messages)
            continue
        if (kind, key) not in seen:
            seen.add((kind, key))
            is_primary = not any(p["kind"] == kind for p in points)
            points.append({"kind": kind, "label": label, "value": value[:500], "is_primary": is_primary})
    return points


def _vcard_organization(actor: User, name: str, cache: dict[str, Party], result: ImportResult) -> Party:
    key = name.casefold()
    if key not in cache:
        organizations = parties_visible_to(actor).filter(kind=PartyKind.ORGANIZATION, name__iexact=name)
        found = organizations.select_related("responsible").order_by("pk").first()
        if found is None:
            found = party_create(actor=actor, data={"kind": PartyKind.ORGANIZATION, "name": name[:300]})
            result.created_organizations += 1
        cache[key] = found
    return cache[key]


@transaction.atomic
def parties_import_vcard(*, actor: User, file: IO[bytes]) -> ImportResult:
    """Create a person per card with their phones, e-mails, sites and addresses, linked to the card's ORG.

    The organisation is found by name among those the actor sees, or created. A card with no
    person's name but an ORG is taken for the organisation itself. Values that fail validation
    (a phone that is no number) are skipped and reported as warnings; a card that cannot be
    saved at all is reported as an error, the others are imported.
    """
    cards = parse_vcards(file.read())
    result = ImportResult(kind=ImportKind.PERSON, total_rows=len(cards))
    organizations: dict[str, Party] = {}
    access = field_access(actor)
    for number, card in enumerate(cards, start=1):
        points = _vcard_points(card, number, result.warnings, access)
        try:
            with transaction.atomic():
                if not card.has_person_name and card.organization:
                    organization = _vcard_organization(actor, card.organization, organizations, result)
                    for point in points:
                        key = normalize_contact(point["kind"], point["value"])[1]
                        if not organization.contact_points.filter(kind=point["kind"], search_key=key).exists():
                            contact_point_add(actor=actor, party=organization, **point)
                    continue
                last, first, middle = card.last_name, card.first_name, card.middle_name
                if not (last or first or middle):
                    last = card.display_name  # no N: keep FN (or the e-mail, or the phone) as it was written
                data = {
                    "kind": PartyKind.PERSON, "name": _person_name(last[:150], first[:150], middle[:150]),
                    "last_name": last[:150], "first_name": first[:150],
                    "middle_name": middle[:150], "birthday": card.birthday.as_date() if card.birthday else None,
                    "notes": card.note,
                }  # fmt: skip
                for name, prop in (("birthday", "BDAY"), ("notes", "NOTE")):
                    if data[name] and refused_write(access, fields=[name]):
                        result.warnings.append(
                            RowError(number, prop, _("Left out: your role does not see this data."), str(data[name]))
                        )
                        data[name] = None if name == "birthday" else ""
                employer = (
                    _vcard_organization(actor, card.organization, organizations, result) if card.organization else None
                )
                if employer is not None:
                    data["relationship"] = Relationship.CONTACT
                person = party_create(actor=actor, data=data, contact_points=points)
                result.created += 1
                if employer is not None:
                    position = (card.title or card.role)[:200]
                    contact_person_link(actor=actor, organization=employer, person=person, position=position)
                    result.linked += 1
        except ValidationError as error:
            result.errors.extend(RowError(number, "", m, card.display_name) for m in error.messages)
    result.is_imported = result.created > 0 or result.created_organizations > 0
    return result


def _with_cards(parties: QuerySet[Party]) -> Iterator[Party]:
    return parties.prefetch_related("contact_points", "employer_links__organization").iterator(chunk_size=500)


def parties_vcard_chunks(*, parties: QuerySet[Party], access: FieldAccess, version: Version = "3.0") -> Iterator[str]:
    """The cards one by one, for a streamed download of a long list, without what `access` hides."""
    for party in _with_cards(parties):
        yield party_to_vcard(
            party,
            version=version,
            contact_points=party.contact_points.all(),
            employers=party.employer_links.all(),
            access=access,
        )


def parties_export_vcard(*, parties: QuerySet[Party], access: FieldAccess, version: Version = "3.0") -> str:
    """A .vcf text with one card per client (pass a queryset already limited by parties_visible_to)."""
    return "".join(parties_vcard_chunks(parties=parties, access=access, version=version))


# ---------------------------------------------------------------------------- tabular export


@dataclass(frozen=True)
class _Column:
    """A column of the client export; `group` names the sensitive data it shows (crm/parties/fields.py)."""

    header: Promise
    value: Callable[[Party, Mapping[str, list[str]]], Cell]
    group: str = ""


_EXPORT_COLUMNS: tuple[_Column, ...] = (
    _Column(gettext_lazy("Kind"), lambda p, c: p.get_kind_display()),
    _Column(gettext_lazy("Name"), lambda p, c: p.name),
    _Column(gettext_lazy("Full legal name"), lambda p, c: p.full_name),
    _Column(gettext_lazy("INN"), lambda p, c: p.inn),
    _Column(gettext_lazy("KPP"), lambda p, c: p.kpp),
    _Column(gettext_lazy("OGRN"), lambda p, c: p.ogrn),
    _Column(gettext_lazy("Last name"), lambda p, c: p.last_name),
    _Column(gettext_lazy("First name"), lambda p, c: p.first_name),
    _Column(gettext_lazy("Middle name"), lambda p, c: p.middle_name),
    _Column(gettext_lazy("Birthday"), lambda p, c: p.birthday, "personal"),
    _Column(gettext_lazy("Region"), lambda p, c: p.region),
    _Column(gettext_lazy("Industry"), lambda p, c: p.industry),
    _Column(gettext_lazy("Relationship"), lambda p, c: p.get_relationship_display()),
    _Column(gettext_lazy("Phone"), lambda p, c: ", ".join(c.get(ContactKind.PHONE, [])), "phones"),
    _Column(gettext_lazy("E-mail"), lambda p, c: ", ".join(c.get(ContactKind.EMAIL, [])), "emails"),
    _Column(gettext_lazy("Website"), lambda p, c: ", ".join(c.get(ContactKind.SITE, []))),
    _Column(gettext_lazy("Address"), lambda p, c: "; ".join(c.get(ContactKind.ADDRESS, [])), "addresses"),
    _Column(gettext_lazy("Responsible"), lambda p, c: p.responsible.username),
    _Column(gettext_lazy("Notes"), lambda p, c: p.notes, "notes"),
    _Column(gettext_lazy("Created"), lambda p, c: p.created_at),
)


def _export_columns(access: FieldAccess) -> list[_Column]:
    """The export's columns without those showing data hidden from the reader (X4)."""
    return [column for column in _EXPORT_COLUMNS if not column.group or access.sees(column.group)]


def party_export_headers(access: FieldAccess) -> list[str]:
    """Column names of the client export; the import recognises them, so an export can be re-imported."""
    return [str(column.header) for column in _export_columns(access)]


def parties_export_rows(parties: QuerySet[Party], access: FieldAccess) -> Iterator[list[Cell]]:
    """One row per client, contacts joined by commas, read in chunks so millions of rows fit in memory."""
    columns = _export_columns(access)
    rows = parties.select_related("responsible").prefetch_related("contact_points").iterator(chunk_size=1000)
    for party in rows:
        by_kind: dict[str, list[str]] = {}
        for point in party.contact_points.all():
            by_kind.setdefault(point.kind, []).append(point.value)
        yield [column.value(party, by_kind) for column in columns]
