import pytest
from django.core.exceptions import ValidationError
from pytest_django.fixtures import Settings

from crm.files.tests.factories import (
    docx_bytes,
    linux_program_bytes,
    pdf_bytes,
    png_bytes,
    upload,
    windows_program_bytes,
)
from crm.files.validation import check_upload, clean_file_name


def _refusal(name: str, content: bytes) -> list[str]:
    with pytest.raises(ValidationError) as error:
        check_upload(upload(name, content))
    return error.value.message_dict["file"]


def test_a_real_pdf_is_accepted_with_its_type_and_checksum() -> None:
    content = pdf_bytes()
    checked = check_upload(upload("Коммерческое предложение.pdf", content))
    assert (checked.original_name, checked.extension, checked.size, checked.content_type) == (
        "Коммерческое предложение.pdf",
        "pdf",
        len(content),
        "application/pdf",
    )
    import hashlib

    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_office_images_and_text_are_accepted() -> None:
    assert check_upload(upload("Договор.docx", docx_bytes())).extension == "docx"
    assert check_upload(upload("схема.PNG", png_bytes())).content_type == "image/png"
    assert check_upload(upload("список.csv", "ИНН;Название\n7707083893;Ромашка\n".encode())).extension == "csv"


@pytest.mark.parametrize("program", [windows_program_bytes(), linux_program_bytes()], ids=["pe", "elf"])
def test_a_program_renamed_to_pdf_is_refused(program: bytes) -> None:
    assert _refusal("счёт.pdf", program) == ["Programs and scripts cannot be attached."]


def test_a_script_is_refused_even_as_text() -> None:
    assert _refusal("notes.txt", b"#!/bin/sh\nrm -rf /\n") == ["Programs and scripts cannot be attached."]


def test_a_png_claiming_to_be_docx_is_refused() -> None:
    assert _refusal("Договор.docx", png_bytes()) == ["The content of Договор.docx does not match its extension .docx."]


def test_binary_content_in_a_text_file_is_refused() -> None:
    assert _refusal("data.csv", pdf_bytes()) == ["The content of data.csv does not match its extension .csv."]


def test_an_extension_not_allowed_is_refused_naming_the_allowed_ones(settings: Settings) -> None:
    settings.CRM_FILE_TYPES = ["pdf", "png"]
    assert _refusal("setup.exe", b"hello") == ["Files of this type cannot be attached. Allowed: pdf, png."]
    assert _refusal("README", b"hello") == ["Files of this type cannot be attached. Allowed: pdf, png."]


def test_the_size_limit_is_the_setting_in_megabytes(settings: Settings) -> None:
    settings.CRM_FILE_MAX_MB = 1
    exactly = b"a" * (1024 * 1024)
    assert check_upload(upload("big.txt", exactly)).size == 1024 * 1024
    assert _refusal("big.txt", exactly + b"a") == ["The file is larger than the limit of 1 MB."]


def test_an_empty_file_is_refused() -> None:
    assert _refusal("empty.pdf", b"") == ["The file is empty."]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\Иван\\Счёт №5.pdf", "Счёт №5.pdf"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("..", "file"),
    ],
)
def test_file_names_lose_folders_and_control_characters(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


def test_a_long_name_keeps_its_extension() -> None:
    cleaned = clean_file_name("я" * 300 + ".pdf")
    assert (len(cleaned), cleaned[-4:]) == (255, ".pdf")
