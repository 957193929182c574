"""Real file contents of the kinds users upload, deals to attach them to, and library materials."""

import io
import struct
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.accounts.models import User
from crm.catalog.models import Currency
from crm.files import services
from crm.files.models import SalesMaterial
from crm.parties.models import Party
from crm.sales.models import Deal, Pipeline, Stage


def pdf_bytes(text: str = "Hello") -> bytes:
    """A small but complete PDF document (one page with a line of text) with a valid cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 white PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def docx_bytes(text: str = "Договор") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def windows_program_bytes() -> bytes:
    """The start of a Windows PE executable: the MZ header pointing at a PE signature."""
    header = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    header[0x3C:0x40] = struct.pack("<I", 0x40)
    return bytes(header) + b"\x00" * (0x40 - len(header)) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


def linux_program_bytes() -> bytes:
    """The start of an ELF executable for x86-64."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def stored_files(root: Path) -> list[Path]:
    """Every file in the storage folder of a test."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_deal(owner: User, party: Party, title: str = "Поставка оборудования") -> Deal:
    currency, _created = Currency.objects.get_or_create(code="RUB", defaults={"name": "Российский рубль"})
    pipeline, _created = Pipeline.objects.get_or_create(name="Тестовые продажи")
    stage, _created = Stage.objects.get_or_create(pipeline=pipeline, name="Новая")
    return Deal.objects.create(title=title, party=party, owner=owner, pipeline=pipeline, stage=stage, currency=currency)


def make_material(actor: User, title: str = "Прайс-лист 2026", name: str = "Прайс 2026.pdf") -> SalesMaterial:
    return services.material_create(
        actor=actor, upload=upload(name, pdf_bytes(title)), title=title, category="price_sheet", language="ru"
    )


def ru(message: str, **params: object) -> str:
    """A message as a Russian-speaking user sees it on a page (the source text until the catalogue has it)."""
    from django.utils import translation

    with translation.override("ru"):
        text = translation.gettext(message)
    return text % params if params else text


LIBRARY_ROLES = ("administrator", "head_of_sales", "marketer")


def grant_library_roles() -> None:
    """Give the roles that keep the library its permission, as crm/accounts/roles.py is to ship it."""
    from django.contrib.auth.models import Group, Permission

    from crm.accounts.roles import ensure_roles

    ensure_roles()
    permission = Permission.objects.get(content_type__app_label="files", codename="manage_sales_materials")
    for group in Group.objects.filter(name__in=LIBRARY_ROLES):
        group.permissions.add(permission)


def body(response: object) -> bytes:
    """The bytes of a streamed download."""
    from django.http import FileResponse

    assert isinstance(response, FileResponse)
    return response.getvalue()
