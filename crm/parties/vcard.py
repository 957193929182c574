"""vCard 2.1, 3.0 and 4.0: reading address books into plain data, writing clients out.

Our own parser rather than vobject's: vobject 0.9.9 fails on the files phones and Outlook
really produce (2.1 QUOTED-PRINTABLE values with soft line breaks, per-property CHARSET,
CR CR LF line ends from iOS), see the fixtures in tests/test_vcard.py.
"""

import binascii
import codecs
import datetime
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from crm.parties.choices import ContactKind, ContactLabel
from crm.parties.fields import FieldAccess
from crm.parties.models import ContactPoint, Party, PartyContact

Version = Literal["3.0", "4.0"]

_LINE_BREAK = re.compile(rb"\r*\n|\r")
_ENCODINGS_21 = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
# Thunderbird CardBook and Apple write a birthday without a year as the year 1604.
_NO_YEAR = 1604


@dataclass
class VCardPhone:
    value: str
    types: list[str] = field(default_factory=list)
    label: str = ""


@dataclass
class VCardEmail:
    value: str
    types: list[str] = field(default_factory=list)
    label: str = ""


@dataclass
class VCardAddress:
    po_box: str = ""
    extended: str = ""
    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    types: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        """One line as people write it: street, extended, town, region, postcode, country."""
        parts = (self.po_box, self.street, self.extended, self.locality, self.region, self.postal_code, self.country)
        return ", ".join(" ".join(p.split()) for p in parts if p.strip())


@dataclass
class VCardBirthday:
    month: int
    day: int
    year: int | None = None

    def as_date(self) -> datetime.date | None:
        return datetime.date(self.year, self.month, self.day) if self.year else None


@dataclass
class VCard:
    """One contact read from a vCard, in plain Python values."""

    version: str = ""
    formatted_name: str = ""
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    prefix: str = ""
    suffix: str = ""
    nickname: str = ""
    organization: str = ""
    department: str = ""
    title: str = ""
    role: str = ""
    birthday: VCardBirthday | None = None
    phones: list[VCardPhone] = field(default_factory=list)
    emails: list[VCardEmail] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    addresses: list[VCardAddress] = field(default_factory=list)
    note: str = ""
    uid: str = ""

    @property
    def has_person_name(self) -> bool:
        return bool(self.last_name or self.first_name or self.middle_name or self.formatted_name)

    @property
    def display_name(self) -> str:
        """FN, else the parts of N, else the organisation, e-mail or phone: cards without N or FN exist."""
        if self.formatted_name:
            return self.formatted_name
        name = " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)
        if name:
            return name
        if self.organization:
            return self.organization
        if self.emails:
            return self.emails[0].value
        return self.phones[0].value if self.phones else ""


@dataclass
class _Property:
    group: str
    name: str
    params: dict[str, list[str]]
    raw: bytes

    def param(self, key: str) -> str:
        values = self.params.get(key)
        return values[0] if values else ""

    @property
    def types(self) -> list[str]:
        types = [t.lower() for value in self.params.get("TYPE", []) for t in value.split(",") if t]
        if "PREF" in self.params and "pref" not in types:
            types.append("pref")
        return types


# ---------------------------------------------------------------------------- reading


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _head_end(line: bytes) -> int:
    """Index of the colon that ends `group.NAME;params`, skipping colons inside quoted parameters."""
    quoted = False
    for index, byte in enumerate(line):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return index
    return -1


def _parse_head(head: str) -> tuple[str, str, dict[str, list[str]]]:
    pieces = _split_unquoted(head, ";")
    group, _dot, name = pieces[0].rpartition(".")
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        key, eq, value = piece.partition("=")
        if not eq:
            # vCard 2.1 allows bare parameters: `TEL;WORK;FAX` or `;QUOTED-PRINTABLE`.
            key, value = ("ENCODING" if key.upper() in _ENCODINGS_21 else "TYPE"), key
        values = [v.strip('"') for v in _split_unquoted(value, ",")] if key.upper() == "TYPE" else [value.strip('"')]
        params.setdefault(key.strip().upper(), []).extend(values)
    return group.strip(), name.strip().upper(), params


def _is_quoted_printable(head: bytes) -> bool:
    return b"QUOTED-PRINTABLE" in head.upper()


def _logical_lines(data: bytes) -> Iterator[bytes]:
    """Unfold lines: a leading space or tab continues the previous line; so does a QP value ending in `=`."""
    current: bytes | None = None
    in_qp = False
    for line in _LINE_BREAK.split(data):
        if current is not None and in_qp and current.endswith(b"="):
            current = current[:-1] + line
            continue
        if current is not None and line[:1] in (b" ", b"\t"):
            current += line[1:]
            continue
        if current is not None and current.strip():
            yield current
        current = line
        end = _head_end(line)
        in_qp = end > 0 and _is_quoted_printable(line[:end])
    if current is not None and current.strip():
        yield current


def _decode_text(raw: bytes, charset: str) -> str:
    if charset:
        try:
            return codecs.decode(raw, charset, errors="replace").replace("\ufffd", "")
        except LookupError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Russian address books without a CHARSET are Windows-1251 far more often than anything else.
        return raw.decode("cp1251", errors="replace")


def _property_bytes(prop: _Property) -> bytes:
    encoding = prop.param("ENCODING").upper()
    if encoding == "QUOTED-PRINTABLE":
        return binascii.a2b_qp(prop.raw)
    return prop.raw


def _unescape(text: str, version: str) -> str:
    if version == "2.1":
        return text.replace("\\;", ";").replace("\r\n", "\n")
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append("\n" if following in "nN" else following)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out).replace("\r\n", "\n")


def _components(text: str, version: str) -> list[str]:
    """Split a structured value (N, ADR, ORG) on `;` not escaped by a backslash, then unescape each part."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return [_unescape(p, version).strip() for p in parts]


def _list_value(text: str) -> str:
    """A component that may list several values (`Richter,James`), as words."""
    return " ".join(p.strip() for p in text.split(",") if p.strip())


def _parse_birthday(text: str) -> VCardBirthday | None:
    text = text.strip()
    if match := re.fullmatch(r"--(\d{2})-?(\d{2})", text):
        return VCardBirthday(month=int(match[1]), day=int(match[2]))
    if match := re.match(r"(\d{4})-?(\d{2})-?(\d{2})", text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
        return VCardBirthday(month=month, day=day, year=None if year == _NO_YEAR else year)
    return None


def _clean_label(text: str) -> str:
    match = _APPLE_LABEL.match(text)
    return match[1] if match else text


def _tel_value(text: str) -> str:
    text = text.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
        text = text.split(";", 1)[0]  # drop `;ext=102` and other URI parameters
    return text.strip()


def _build_card(props: Sequence[_Property]) -> VCard:
    card = VCard()
    for prop in props:
        if prop.name == "VERSION":
            card.version = prop.raw.decode("ascii", errors="replace").strip()
    labels = {}
    texts: list[tuple[_Property, str]] = []
    for prop in props:
        text = _decode_text(_property_bytes(prop), prop.param("CHARSET"))
        texts.append((prop, text))
        if prop.name == "X-ABLABEL" and prop.group:
            labels[prop.group] = _clean_label(_unescape(text, card.version).strip())
    notes: list[str] = []
    for prop, text in texts:
        name, version = prop.name, card.version
        label = labels.get(prop.group, "") if prop.group else ""
        if name == "FN":
            card.formatted_name = card.formatted_name or " ".join(_unescape(text, version).split())
        elif name == "N" and not (card.last_name or card.first_name):
            parts = [*_components(text, version), "", "", "", "", ""]
            card.last_name, card.first_name = _list_value(parts[0]), _list_value(parts[1])
            card.middle_name, card.prefix, card.suffix = (_list_value(p) for p in parts[2:5])
        elif name == "NICKNAME":
            card.nickname = card.nickname or _unescape(text, version).strip()
        elif name == "ORG" and not card.organization:
            parts = _components(text, version)
            card.organization = parts[0] if parts else ""
            card.department = ", ".join(p for p in parts[1:] if p)
        elif name == "TITLE":
            card.title = card.title or _unescape(text, version).strip()
        elif name == "ROLE":
            card.role = card.role or _unescape(text, version).strip()
        elif name == "BDAY" and card.birthday is None:
            card.birthday = _parse_birthday(text)
        elif name == "TEL" and (value := _tel_value(_unescape(text, version))):
            card.phones.append(VCardPhone(value=value, types=prop.types, label=label))
        elif name == "EMAIL" and (value := _unescape(text, version).strip()):
            card.emails.append(VCardEmail(value=value, types=prop.types, label=label))
        elif name == "URL" and (value := _unescape(text, version).strip()):
            card.urls.append(value)
        elif name == "ADR":
            parts = [*_components(text, version), "", "", "", "", "", "", ""]
            po_box, extended, street, locality, region, code, country = (" ".join(p.split()) for p in parts[:7])
            address = VCardAddress(po_box, extended, street, locality, region, code, country, types=prop.types)
            if address.as_text():
                card.addresses.append(address)
        elif name == "NOTE" and (value := _unescape(text, version).strip()):
            notes.append(value)
        elif name == "UID":
            card.uid = _unescape(text, version).strip()
    card.note = "\n".join(notes)
    return card


def parse_vcards(data: bytes | str) -> list[VCard]:
    """Every card in a .vcf file, in file order; nested cards (2.1 AGENT) and junk outside cards are skipped."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    cards: list[VCard] = []
    props: list[_Property] = []
    depth = 0
    for line in _logical_lines(data):
        end = _head_end(line)
        if end < 0:
            continue
        head, raw = line[:end].decode("ascii", errors="replace"), line[end + 1 :]
        group, name, params = _parse_head(head)
        value = raw.strip().upper()
        if name == "BEGIN" and value == b"VCARD":
            depth += 1
            if depth == 1:
                props = []
            continue
        if name == "END" and value == b"VCARD":
            depth -= 1
            if depth == 0:
                cards.append(_build_card(props))
            depth = max(depth, 0)
            continue
        if depth == 1:
            props.append(_Property(group=group, name=name, params=params, raw=raw))
    if depth > 0 and props:
        cards.append(_build_card(props))  # a file cut short still yields its last card
    return cards


# ---------------------------------------------------------------------------- writing


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold at 75 octets (RFC 6350 3.2) without cutting a UTF-8 character in two."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        length = len(char.encode("utf-8"))
        if size + length > 75:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += length
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


_PHONE_TYPES: dict[str, str] = {
    ContactLabel.MOBILE: "cell",
    ContactLabel.HOME: "home",
    ContactLabel.WORK: "work",
    ContactLabel.FAX: "fax",
}


def _type_param(types: Iterable[str], version: Version) -> str:
    values = [t for t in types if t]
    if not values:
        return ""
    if version == "3.0":
        return ";TYPE=" + ",".join(v.upper() for v in values)
    return ";TYPE=" + (",".join(values) if len(values) == 1 else '"' + ",".join(values) + '"')


def party_to_vcard(
    party: Party,
    *,
    version: Version = "3.0",
    contact_points: Iterable[ContactPoint] | None = None,
    employers: Iterable[PartyContact] | None = None,
    access: FieldAccess | None = None,
) -> str:
    """One client as a vCard; a person carries the organisation and position of their first employer.

    Pass `contact_points` and `employers` (with `organization` loaded) to avoid a query each, and the
    reader's `access` to leave out what is hidden from them (X4).
    """
    access = access or FieldAccess.everything()
    points = [
        p
        for p in (party.contact_points.all() if contact_points is None else contact_points)
        if access.sees_kind(p.kind)
    ]
    links = list(party.employer_links.select_related("organization") if employers is None else employers)
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if version == "4.0":
        lines.append("KIND:" + ("org" if party.is_organization else "individual"))
    lines.append("FN:" + _escape(party.name))
    if party.is_organization:
        lines.append("ORG:" + _escape(party.name))
        if version == "3.0":
            lines.extend(["N:;;;;", "X-ABShowAs:COMPANY"])  # N is required in 3.0; Apple shows the ORG instead
    else:
        lines.append(
            "N:" + ";".join(_escape(p) for p in (party.last_name, party.first_name, party.middle_name, "", ""))
        )
        link = next((link for link in links if link.is_primary), links[0] if links else None)
        if link is not None:
            lines.append("ORG:" + _escape(link.organization.name))
            if link.position:
                lines.append("TITLE:" + _escape(link.position))
        if party.birthday and access.sees_field("birthday"):
            birthday = party.birthday.isoformat() if version == "3.0" else party.birthday.strftime("%Y%m%d")
            lines.append("BDAY:" + birthday)
    for point in points:
        types = [_PHONE_TYPES.get(point.label, "")] if point.kind == ContactKind.PHONE else []
        if point.is_primary:
            types.append("pref")
        if point.kind == ContactKind.PHONE:
            if version == "4.0":
                lines.append(f"TEL;VALUE=uri{_type_param(types, version)}:tel:{point.value}")
            else:
                lines.append(f"TEL{_type_param(['voice', *types], version)}:{point.value}")
        elif point.kind == ContactKind.EMAIL:
            email_types = (["internet"] if version == "3.0" else []) + (["pref"] if point.is_primary else [])
            lines.append(f"EMAIL{_type_param(email_types, version)}:{_escape(point.value)}")
        elif point.kind == ContactKind.SITE:
            lines.append("URL:" + point.value)
        elif point.kind == ContactKind.ADDRESS:
            kind = {"legal": "work", "postal": "postal", "home": "home"}.get(point.label, "")
            lines.append(f"ADR{_type_param([kind], version)}:;;{_escape(point.value)};;;;")
        elif point.kind == ContactKind.MESSENGER:
            service = point.get_label_display() if point.label else ""
            prefix = f"X-SERVICE-TYPE={_escape(service)}" if service else ""
            lines.append(f"IMPP{';' + prefix if prefix else ''}:{_escape(point.value)}")
    if party.notes and access.sees_field("notes"):
        lines.append("NOTE:" + _escape(party.notes))
    lines.append(f"UID:crm-party-{party.pk}")
    if party.updated_at:
        lines.append("REV:" + party.updated_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ"))
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines)
