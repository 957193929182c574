"""Checks every upload passes before anything is stored: size, allowed extension, content that matches it."""

import hashlib
import mimetypes
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

# What the content of a file with this extension may be sniffed as (filetype's names). Office formats of
# 2007+ are ZIP containers: filetype tells docx/xlsx/pptx apart only when the part it looks for comes
# first, so a plain ZIP is accepted for them too; a PNG, a PDF or a program never is.
_EXPECTED: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "doc": frozenset({"doc"}),
    "xls": frozenset({"xls"}),
    "ppt": frozenset({"ppt"}),
    "docx": frozenset({"docx", "zip"}),
    "xlsx": frozenset({"xlsx", "zip"}),
    "pptx": frozenset({"pptx", "zip"}),
    "odt": frozenset({"odt", "zip"}),
    "ods": frozenset({"ods", "zip"}),
    "odp": frozenset({"odp", "zip"}),
    "rtf": frozenset({"rtf"}),
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "png": frozenset({"png", "apng"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "heic": frozenset({"heic", "avif"}),
    "tif": frozenset({"tif"}),
    "tiff": frozenset({"tif"}),
    "zip": frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"}),
}
# Plain-text formats: filetype recognises nothing in them, and they hold no NUL bytes.
_TEXT = frozenset({"txt", "csv", "xml", "json", "md", "vcf", "ics", "eml"})
_MIME_OF_SNIFFED: dict[str, str] = {str(t.extension): str(t.mime) for t in filetype.types}
# Programs are refused whatever they are called: Windows PE, ELF, Mach-O, Java classes, scripts with a shebang.
_PROGRAM_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
_PROGRAM_KINDS = frozenset({"exe", "elf", "swf", "crx", "wasm", "deb", "rpm", "cab"})
HEAD_SIZE = 8192


@dataclass(frozen=True)
class CheckedFile:
    """What the checks learned about an accepted upload."""

    original_name: str
    extension: str
    size: int
    content_type: str
    sha256: str


def max_mb() -> int:
    return int(settings.CRM_FILE_MAX_MB)


def max_bytes() -> int:
    return max_mb() * 1024 * 1024


def allowed_extensions() -> list[str]:
    return list(settings.CRM_FILE_TYPES)


def clean_file_name(raw: str) -> str:
    """The user's file name without folders and control characters, cut to 255 characters (kept as data)."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 254 - len(ext)]}.{ext}" if dot and len(ext) < 16 else name[:255]
    return name.strip(". ") or "file"


def check_upload(upload: File[bytes], name: str | None = None) -> CheckedFile:
    """Refuse a file that is empty, too big, of a type not allowed, a program, or not what its extension says."""
    original = clean_file_name(name or upload.name or "")
    extension = PurePosixPath(original).suffix.lower().lstrip(".")
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > max_bytes():
        raise ValidationError({"file": _("The file is larger than the limit of %(limit)s MB.") % {"limit": max_mb()}})
    allowed = allowed_extensions()
    if extension not in allowed:
        raise ValidationError(
            {
                "file": _("Files of this type cannot be attached. Allowed: %(types)s.")
                % {"types": ", ".join(sorted(allowed))}
            }
        )
    upload.seek(0)
    head = upload.read(HEAD_SIZE)
    kind = filetype.guess(head)
    if head.startswith(_PROGRAM_SIGNATURES) or (kind is not None and kind.extension in _PROGRAM_KINDS):
        raise ValidationError({"file": _("Programs and scripts cannot be attached.")})
    if not _content_matches(extension, kind.extension if kind else None, head):
        raise ValidationError(
            {
                "file": _("The content of %(name)s does not match its extension .%(extension)s.")
                % {"name": original, "extension": extension}
            }
        )
    return CheckedFile(
        original_name=original,
        extension=extension,
        size=size,
        content_type=_content_type(original, kind.extension if kind else None),
        sha256=_sha256(upload),
    )


def _content_matches(extension: str, sniffed: str | None, head: bytes) -> bool:
    if extension in _TEXT:
        return sniffed is None and b"\x00" not in head
    expected = _EXPECTED.get(extension)
    if expected is None:
        # An extension an administrator allowed that we have no rule for: the sniffed type must name it.
        return sniffed == extension or (sniffed is None and b"\x00" not in head)
    return sniffed in expected


def _content_type(name: str, sniffed: str | None) -> str:
    guessed, _encoding = mimetypes.guess_type(name)
    if guessed:
        return guessed
    if sniffed:
        return _MIME_OF_SNIFFED.get(sniffed, "application/octet-stream")
    return "application/octet-stream"


def _sha256(upload: File[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
