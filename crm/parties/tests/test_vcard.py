"""vCard reading against real exports (ez-vcard and Radicale fixtures) and writing of clients."""

import datetime
from pathlib import Path

import pytest

from crm.accounts.models import User
from crm.parties.choices import ContactKind, ContactLabel, PartyKind
from crm.parties.models import ContactPoint, Party, PartyContact
from crm.parties.vcard import VCard, VCardAddress, VCardBirthday, parse_vcards, party_to_vcard

# The shared fixtures live next to the repository, never inside it (see ../shared/data/README.md).
VCARD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "vcard"
N_WITH_ACUTE = "\u00d1"  # "Ñ", what the Android fixture's QUOTED-PRINTABLE names decode to


def fixture(name: str) -> bytes:
    path = VCARD_DIR / name
    if not path.exists():
        pytest.skip(f"shared vCard fixture {path} is absent (see /work/shared/data/README.md, section 3)")
    return path.read_bytes()


def phones(card: VCard) -> list[tuple[str, list[str]]]:
    return [(p.value, p.types) for p in card.phones]


def test_android_21_quoted_printable_names_with_soft_line_breaks() -> None:
    cards = parse_vcards(fixture("ezvcard_John_Doe_ANDROID.vcf"))

    assert len(cards) == 6
    assert [c.version for c in cards] == ["2.1"] * 6
    third, fourth, fifth, sixth = cards[2:]
    assert (third.formatted_name, third.last_name) == (" ".join([N_WITH_ACUTE] * 5), " ".join([N_WITH_ACUTE] * 4))
    assert phones(third) == [("123456789", ["cell", "pref"])]
    # FN is split over two physical lines by a QP soft line break (`=` at the end of the line).
    assert fourth.formatted_name == " ".join([N_WITH_ACUTE] * 11)
    assert phones(fourth) == [
        ("123456", ["cell", "pref"]),
        ("234567", ["home"]),
        ("3456789", ["cell"]),
        ("45678901", ["home"]),
    ]
    assert fourth.note.count("\n") == 1  # two NOTE properties, one after the other
    assert (fifth.last_name, fifth.first_name) == (f"{N_WITH_ACUTE} {N_WITH_ACUTE}", " ".join([N_WITH_ACUTE] * 3))
    assert fifth.organization == N_WITH_ACUTE * 12
    assert [e.value for e in fifth.emails] == ["bob@company.com", N_WITH_ACUTE * 14]
    assert fifth.urls == ["www.company.com", "http://www.company.com"]
    assert phones(fifth) == [("123456", ["cell", "pref"]), ("123456", ["work"]), ("123456", ["work", "fax"])]
    # The ORG's soft break is followed by an empty line; the base64 PHOTO before it is ignored.
    assert sixth.organization == N_WITH_ACUTE * 44
    assert [e.value for e in sixth.emails] == ["henry@company.com"]


def test_cards_without_n_or_fn_fall_back_to_email() -> None:
    android = parse_vcards(fixture("ezvcard_John_Doe_ANDROID.vcf"))
    broken = parse_vcards(fixture("radicale_broken-vcard.vcf"))

    assert [c.display_name for c in android[:2]] == ["john.doe@company.com", "jane.doe@company.com"]
    assert not android[0].has_person_name
    assert len(broken) == 1
    assert broken[0].display_name == "test-misses-N-or-FN@example.com"
    assert broken[0].uid == "C68582D2-2E60-0001-C2C0-000000000000.vcf"


def test_display_name_falls_back_to_org_then_phone() -> None:
    org_only, phone_only = parse_vcards(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Ромашка;Отдел продаж\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:+7 916 123-45-67\r\nEND:VCARD\r\n"
    )

    assert (org_only.display_name, org_only.department) == ("Ромашка", "Отдел продаж")
    assert phone_only.display_name == "+7 916 123-45-67"


def test_outlook_21_card() -> None:
    (card,) = parse_vcards(fixture("ezvcard_John_Doe_MS_OUTLOOK.vcf"))

    assert (card.last_name, card.first_name, card.middle_name, card.prefix, card.suffix) == (
        "Doe",
        "John",
        "Richter James",
        "Mr.",
        "Sr.",
    )
    assert card.formatted_name == "Mr. John Richter James Doe Sr."
    assert (card.organization, card.department, card.title, card.role) == (
        "IBM",
        "Accounting",
        "Money Counter",
        "Counting Money",
    )
    assert card.birthday == VCardBirthday(year=1980, month=3, day=22)
    assert phones(card) == [("(905) 555-1234", ["work", "voice"]), ("(905) 666-1234", ["home", "voice"])]
    assert [(e.value, e.types) for e in card.emails] == [("john.doe@ibm.cm", ["pref", "internet"])]
    assert card.urls == ["http://www.ibm.com"]
    assert [a.as_text() for a in card.addresses] == [
        "Cresent moon drive, Albaney, New York, 12345, United States of America",
        "Silicon Alley 5,, New York, New York, 12345, United States of America",
    ]
    assert card.note.startswith("THIS SOFTWARE IS PROVIDED BY GEORGE EL-HADDAD ''AS IS''")


def test_outlook_2007_quoted_printable_note_keeps_its_line_breaks() -> None:
    (card,) = parse_vcards(fixture("ezvcard_outlook-2007.vcf"))

    assert card.note == (
        "This is the NOTE field\t\n"
        "I assume it encodes this text inside a NOTE vCard type.\n"
        "But I'm not sure because there's text formatting going on here.\n"
        "It does not preserve the formatting"
    )
    assert (card.last_name, card.first_name, card.organization, card.title) == (
        "Angstadt",
        "Michael",
        "TheCompany",
        "TheJobTitle",
    )
    assert card.birthday == VCardBirthday(year=1922, month=3, day=10)
    assert card.addresses == [
        VCardAddress(
            extended="TheOffice",
            street="222 Broadway",
            locality="New York",
            region="NY",
            postal_code="99999",
            country="USA",
            types=["work", "pref"],
        )
    ]


def test_iphone_30_with_cr_cr_lf_line_ends_groups_and_labels() -> None:
    (card,) = parse_vcards(fixture("ezvcard_John_Doe_IPHONE.vcf"))

    assert (card.version, card.last_name, card.first_name, card.organization) == ("3.0", "Doe", "John", "IBM")
    assert card.birthday == VCardBirthday(year=2012, month=6, day=6)
    assert [p.value for p in card.phones] == [
        "905-555-1234",
        "905-666-1234",
        "905-777-1234",
        "905-888-1234",
        "905-999-1234",
        "905-111-1234",
        "905-222-1234",
    ]
    assert card.phones[0].types == ["cell", "voice", "pref"]
    assert card.phones[-1].label == "AssistantPhone"
    assert [e.value for e in card.emails] == ["john.doe@ibm.com"]
    assert card.urls == ["http://www.ibm.com"]
    assert card.addresses[1].street == "Street4 Building 6 Floor 8"


def test_gmail_list_holds_three_cards() -> None:
    cards = parse_vcards(fixture("ezvcard_gmail-list.vcf"))

    assert [(c.formatted_name, c.last_name, c.first_name, [e.value for e in c.emails]) for c in cards] == [
        ("Arnold Smith", "Smith", "Arnold", ["asmithk@gmail.com"]),
        ("Chris Beatle", "Beatle", "Chris", ["chrisy55d@yahoo.com"]),
        ("Doug White", "White", "Doug", ["dwhite@gmail.com"]),
    ]


def test_gmail_escaped_urls_and_item_labels() -> None:
    (card,) = parse_vcards(fixture("ezvcard_gmail-single2.vcf"))

    assert card.urls == [f"http://www.example{n}.com" for n in range(1, 7)]
    assert len(card.phones) == 11
    assert [(p.value, p.label) for p in card.phones if p.label] == [
        ("5555551119", "GRAND_CENTRAL"),
        ("5555551121", "CustomePhoneCategory"),
    ]
    assert card.emails[-1].label == "CustomEmailCategory"
    assert card.note == "note line 1\nnote line 2\nCustomField: field value"
    assert card.birthday == VCardBirthday(year=1912, month=6, day=23)
    assert len(card.addresses) == 5


def test_rfc6350_40_tel_uri_folded_address_and_birthday_without_year() -> None:
    (card,) = parse_vcards(fixture("ezvcard_rfc6350-example.vcf"))

    assert (card.version, card.formatted_name, card.suffix) == ("4.0", "Simon Perreault", "ing. jr M.Sc.")
    assert phones(card) == [
        ("+1-418-656-9254", ["work", "voice", "pref"]),
        ("+1-418-262-6501", ["work", "cell", "voice", "video", "text"]),
    ]
    assert card.birthday == VCardBirthday(month=2, day=3, year=None)
    assert card.birthday.as_date() is None
    assert card.addresses[0].as_text() == "2875 Laurier, Suite D2-630, Quebec, QC, G1V 2M2, Canada"
    assert [e.value for e in card.emails] == ["simon.perreault@viagenie.ca"]


def test_radicale_cards() -> None:
    (no_year,) = parse_vcards(fixture("radicale_contact4-with-bday-no-year.vcf"))
    multiple = parse_vcards(fixture("radicale_contact_multiple.vcf"))
    (with_photo,) = parse_vcards(fixture("radicale_contact_photo_with_data_uri_v4.vcf"))

    # Thunderbird CardBook writes "no year" as 1604.
    assert no_year.birthday == VCardBirthday(month=1, day=1, year=None)
    assert no_year.display_name == "Test bday without year Thunderbird CardBook"
    assert [(c.uid, c.last_name) for c in multiple] == [("contact1", "Contact1"), ("contact2", "Contact2")]
    assert (with_photo.version, with_photo.last_name, with_photo.nickname) == ("4.0", "Contact", "test")


def test_21_windows_1251_quoted_printable_with_soft_break() -> None:
    name = "Иванов;Пётр;Сергеевич;;".encode("cp1251")
    encoded = "".join(f"={b:02X}" if b > 127 else chr(b) for b in name)
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        + b"N;CHARSET=WINDOWS-1251;ENCODING=QUOTED-PRINTABLE:"
        + encoded[:20].encode()
        + b"=\r\n"
        + encoded[20:].encode()
        + b"\r\n"
        + b"ORG;CHARSET=windows-1251:"
        + "ООО «Ромашка»".encode("cp1251")
        + b"\r\nTEL;CELL:8 (916) 123-45-67\r\nEND:VCARD\r\n"
    )

    (card,) = parse_vcards(data)

    assert (card.last_name, card.first_name, card.middle_name) == ("Иванов", "Пётр", "Сергеевич")
    assert card.organization == "ООО «Ромашка»"
    assert phones(card) == [("8 (916) 123-45-67", ["cell"])]


def test_8bit_cyrillic_without_charset_is_read_as_utf8_or_windows_1251() -> None:
    utf8 = "BEGIN:VCARD\nVERSION:3.0\nFN:Сидорова Анна\nEND:VCARD\n".encode()
    cp1251 = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Сидорова Анна\r\nEND:VCARD\r\n".encode("cp1251")

    assert parse_vcards(utf8)[0].formatted_name == "Сидорова Анна"
    assert parse_vcards(b"\xef\xbb\xbf" + utf8)[0].formatted_name == "Сидорова Анна"
    assert parse_vcards(cp1251)[0].formatted_name == "Сидорова Анна"


def test_folded_line_cut_inside_a_cyrillic_character() -> None:
    raw = "NOTE:Очень длинная заметка".encode()
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\n" + raw[:14] + b"\r\n " + raw[14:] + b"\r\nEND:VCARD\r\n"

    assert parse_vcards(data)[0].note == "Очень длинная заметка"


@pytest.fixture
def manager(db: None) -> User:
    return User.objects.create_user(username="manager", password="x")


@pytest.fixture
def contact_person(manager: User) -> Party:
    organization = Party.objects.create(kind=PartyKind.ORGANIZATION, name="ООО «Ромашка; и Ко»", responsible=manager)
    person = Party(
        kind=PartyKind.PERSON,
        name="Иванов Иван Иванович",
        last_name="Иванов",
        first_name="Иван",
        middle_name="Иванович",
        birthday=datetime.date(1980, 3, 22),
        notes="Звонить после 10:00,\nлучше на мобильный",
        responsible=manager,
    )
    person.full_clean(exclude=["responsible"])
    person.save()
    PartyContact.objects.create(organization=organization, person=person, position="Главный инженер")
    for kind, label, value, key in [
        (ContactKind.PHONE, ContactLabel.MOBILE, "+79161234567", "9161234567"),
        (ContactKind.EMAIL, "", "ivanov@example.ru", "ivanov@example.ru"),
        (ContactKind.SITE, "", "https://romashka.example", "https://romashka.example"),
    ]:
        ContactPoint.objects.create(party=person, kind=kind, label=label, value=value, search_key=key)
    return person


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_exported_card_reads_back(contact_person: Party, version: str) -> None:
    text = party_to_vcard(contact_person, version=version)  # type: ignore[arg-type]

    (card,) = parse_vcards(text)
    assert card.version == version
    assert (card.last_name, card.first_name, card.middle_name) == ("Иванов", "Иван", "Иванович")
    assert card.formatted_name == "Иванов Иван Иванович"
    assert (card.organization, card.title) == ("ООО «Ромашка; и Ко»", "Главный инженер")
    assert card.birthday == VCardBirthday(year=1980, month=3, day=22)
    assert [(p.value, "cell" in p.types) for p in card.phones] == [("+79161234567", True)]
    assert [e.value for e in card.emails] == ["ivanov@example.ru"]
    assert card.urls == ["https://romashka.example"]
    assert card.note == "Звонить после 10:00,\nлучше на мобильный"
    lines = text.split("\r\n")
    assert lines[-1] == ""  # every line, the last too, ends with CRLF
    assert max(len(line.encode()) for line in lines) <= 75


def test_organisation_card(manager: User) -> None:
    organization = Party.objects.create(kind=PartyKind.ORGANIZATION, name="АО Вектор", responsible=manager)

    text_3 = party_to_vcard(organization, version="3.0")
    text_4 = party_to_vcard(organization, version="4.0")

    assert "ORG:АО Вектор\r\n" in text_3
    assert "X-ABShowAs:COMPANY\r\n" in text_3
    assert "KIND:org\r\n" in text_4
    assert parse_vcards(text_4)[0].display_name == "АО Вектор"
