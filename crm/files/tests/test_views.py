from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from crm.accounts.models import User
from crm.activities import services as activity_services
from crm.activities.models import InteractionType
from crm.files import services
from crm.files.models import Attachment, SalesMaterial
from crm.files.tests.factories import (
    body,
    docx_bytes,
    make_deal,
    make_material,
    pdf_bytes,
    png_bytes,
    ru,
    stored_files,
    upload,
    windows_program_bytes,
)
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import Deal


@pytest.fixture
def party(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


@pytest.fixture
def deal(manager: User, party: Party) -> Deal:
    return make_deal(manager, party)


def test_owner_uploads_to_a_client_and_downloads_the_same_bytes(client: Client, manager: User, party: Party) -> None:
    client.force_login(manager)
    content = pdf_bytes()
    response = client.post(reverse("files:party-files", args=[party.pk]), {"file": upload("Счёт.pdf", content)})
    attachment = Attachment.objects.get(party=party)
    assert response.status_code == 302
    assert response["Location"] == reverse("files:party-files", args=[party.pk])
    download = client.get(reverse("files:attachment-download", args=[attachment.pk]))
    assert (download.status_code, body(download)) == (200, content)
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('Счёт.pdf')}"


def test_a_cyrillic_name_with_spaces_and_quotes_survives_the_download(
    client: Client, manager: User, party: Party
) -> None:
    name = 'Договор "Ромашка" №5 от 01.02.pdf'
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload(name, pdf_bytes()))
    client.force_login(manager)
    download = client.get(reverse("files:attachment-download", args=[attachment.pk]))
    assert download["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%22%D0%A0%D0%BE%D0%BC%D0%B0"
        "%D1%88%D0%BA%D0%B0%22%20%E2%84%965%20%D0%BE%D1%82%2001.02.pdf"
    )
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_htmx_fragment_lists_files_and_offers_upload_to_the_owner(
    client: Client, manager: User, party: Party
) -> None:
    services.attachment_upload(actor=manager, record=party, upload=upload("Реквизиты.pdf", pdf_bytes()))
    client.force_login(manager)
    response = client.get(reverse("files:party-files", args=[party.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Реквизиты.pdf" in html
    assert 'name="file"' in html


def test_an_htmx_upload_answers_with_the_refreshed_card(client: Client, manager: User, deal: Deal) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("files:deal-files", args=[deal.pk]),
        {"file": upload("КП для Ромашки.docx", docx_bytes())},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "КП для Ромашки.docx" in response.content.decode()
    assert Attachment.objects.get().deal == deal


def test_an_executable_renamed_pdf_is_refused_with_a_message_and_nothing_stored(
    client: Client, manager: User, party: Party, media_root: Path
) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("files:party-files", args=[party.pk]),
        {"file": upload("счёт.pdf", windows_program_bytes())},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert ru("Programs and scripts cannot be attached.") in response.content.decode()
    assert (Attachment.objects.count(), stored_files(media_root)) == (0, [])


def test_a_png_claiming_to_be_docx_is_refused_on_the_page(client: Client, manager: User, party: Party) -> None:
    client.force_login(manager)
    response = client.post(reverse("files:party-files", args=[party.pk]), {"file": upload("Договор.docx", png_bytes())})
    assert response.status_code == 200
    message = ru("The content of %(name)s does not match its extension .%(extension)s.", name="Договор.docx",
                 extension="docx")  # fmt: skip
    assert message in response.content.decode()
    assert Attachment.objects.count() == 0


def test_a_file_over_the_limit_is_refused_and_nothing_stored(
    client: Client, manager: User, party: Party, settings: Settings, media_root: Path
) -> None:
    settings.CRM_FILE_MAX_MB = 1
    client.force_login(manager)
    response = client.post(
        reverse("files:party-files", args=[party.pk]), {"file": upload("скан.pdf", pdf_bytes() + b"0" * 1024 * 1024)}
    )
    assert response.status_code == 200
    assert ru("The file is larger than the limit of %(limit)s MB.", limit=1) in response.content.decode()
    assert (Attachment.objects.count(), stored_files(media_root)) == (0, [])


def test_files_of_an_interaction(client: Client, manager: User, party: Party) -> None:
    call = InteractionType.objects.get(code="call")
    interaction = activity_services.interaction_log(actor=manager, party=party, type=call, subject="Звонок")
    client.force_login(manager)
    client.post(reverse("files:interaction-files", args=[interaction.pk]), {"file": upload("итоги.txt", b"ok")})
    attachment = Attachment.objects.get(interaction=interaction)
    assert body(client.get(reverse("files:attachment-download", args=[attachment.pk]))) == b"ok"


@pytest.mark.parametrize(
    ("persona", "download", "upload_status", "delete_status"),
    [
        ("manager", 200, 302, 302),
        ("team_lead", 200, 403, 403),
        ("colleague", 404, 404, 404),
        ("outsider", 404, 404, 404),
        ("head_of_sales", 200, 302, 302),
    ],
)
def test_who_may_download_upload_and_delete_a_client_file(
    request: pytest.FixtureRequest,
    client: Client,
    manager: User,
    party: Party,
    persona: str,
    download: int,
    upload_status: int,
    delete_status: int,
) -> None:
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload("a.pdf", pdf_bytes()))
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("files:attachment-download", args=[attachment.pk])).status_code == download
    posted = client.post(reverse("files:party-files", args=[party.pk]), {"file": upload("b.pdf", pdf_bytes())})
    assert posted.status_code == upload_status
    deleted = client.post(reverse("files:attachment-delete", args=[attachment.pk]))
    assert deleted.status_code == delete_status
    attachment.refresh_from_db()
    assert attachment.is_deleted is (delete_status == 302)  # a refusal changes nothing
    assert Attachment.objects.count() == (2 if upload_status == 302 else 1)


@pytest.mark.parametrize(
    ("persona", "download", "delete_status"),
    [("manager", 200, 302), ("team_lead", 200, 403), ("outsider", 404, 404), ("colleague", 404, 404)],
)
def test_a_deal_file_follows_the_deal_rules(
    request: pytest.FixtureRequest,
    client: Client,
    manager: User,
    deal: Deal,
    persona: str,
    download: int,
    delete_status: int,
) -> None:
    attachment = services.attachment_upload(actor=manager, record=deal, upload=upload("КП.pdf", pdf_bytes()))
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("files:attachment-download", args=[attachment.pk])).status_code == download
    assert client.post(reverse("files:attachment-delete", args=[attachment.pk])).status_code == delete_status


def test_a_file_in_the_trash_is_not_downloadable(client: Client, manager: User, party: Party) -> None:
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload("a.pdf", pdf_bytes()))
    client.force_login(manager)
    client.post(reverse("files:attachment-delete", args=[attachment.pk]), headers={"HX-Request": "true"})
    assert client.get(reverse("files:attachment-download", args=[attachment.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, manager: User, party: Party) -> None:
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload("a.pdf", pdf_bytes()))
    response = client.get(reverse("files:attachment-download", args=[attachment.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_manager_attaches_two_materials_from_the_library(
    client: Client, manager: User, head_of_sales: User, party: Party
) -> None:
    price = make_material(head_of_sales)
    brochure = make_material(head_of_sales, title="Буклет", name="Буклет.pdf")
    client.force_login(manager)
    card = client.get(reverse("files:party-files", args=[party.pk]), headers={"HX-Request": "true"})
    assert "Буклет" in card.content.decode()
    response = client.post(
        reverse("files:party-attach-materials", args=[party.pk]),
        {"materials": [price.pk, brochure.pk]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert sorted(Attachment.objects.filter(party=party).values_list("material__title", "original_name")) == [
        ("Буклет", "Буклет.pdf"),
        ("Прайс-лист 2026", "Прайс 2026.pdf"),
    ]


def test_the_library_picker_refuses_a_deactivated_material(
    client: Client, manager: User, head_of_sales: User, deal: Deal
) -> None:
    material = services.material_deactivate(actor=head_of_sales, material=make_material(head_of_sales))
    client.force_login(manager)
    response = client.post(reverse("files:deal-attach-materials", args=[deal.pk]), {"materials": [material.pk]})
    assert response.status_code == 200
    assert ru("This material is no longer in the library.") in response.content.decode()
    assert Attachment.objects.count() == 0


def test_everyone_signed_in_browses_and_downloads_the_library(
    client: Client, outsider: User, head_of_sales: User
) -> None:
    material = make_material(head_of_sales)
    make_material(head_of_sales, title="Презентация компании", name="О нас.pdf")
    client.force_login(outsider)
    page = client.get(reverse("files:material-list"), {"q": "ПРАЙС"})
    assert page.status_code == 200
    assert "Прайс-лист 2026" in page.content.decode()
    assert "Презентация компании" not in page.content.decode()
    download = client.get(reverse("files:material-download", args=[material.pk]))
    assert body(download) == pdf_bytes("Прайс-лист 2026")
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('Прайс 2026.pdf')}"


def test_the_library_filters_by_category(client: Client, manager: User, head_of_sales: User) -> None:
    make_material(head_of_sales)
    services.material_create(
        actor=head_of_sales, upload=upload("b.pdf", pdf_bytes()), title="Буклет", category="brochure"
    )
    client.force_login(manager)
    html = client.get(reverse("files:material-list"), {"category": "brochure"}).content.decode()
    assert "Буклет" in html
    assert "Прайс-лист 2026" not in html


def test_a_library_manager_adds_edits_and_deactivates_a_material(client: Client, head_of_sales: User) -> None:
    client.force_login(head_of_sales)
    response = client.post(
        reverse("files:material-create"),
        {"title": "Каталог", "category": "catalog", "description": "", "language": "ru",
         "upload": upload("Каталог.pdf", pdf_bytes())},
    )  # fmt: skip
    assert response.status_code == 302
    material = SalesMaterial.objects.get()
    assert (material.title, material.original_name, material.uploaded_by) == ("Каталог", "Каталог.pdf", head_of_sales)
    client.post(
        reverse("files:material-update", args=[material.pk]),
        {"title": "Каталог 2026", "category": "catalog", "language": "ru", "is_active": "on"},
    )
    material.refresh_from_db()
    assert (material.title, material.original_name) == ("Каталог 2026", "Каталог.pdf")
    client.post(reverse("files:material-deactivate", args=[material.pk]))
    material.refresh_from_db()
    assert material.is_active is False


def test_a_material_upload_is_type_checked(client: Client, head_of_sales: User, media_root: Path) -> None:
    client.force_login(head_of_sales)
    response = client.post(
        reverse("files:material-create"),
        {"title": "Буклет", "category": "brochure", "upload": upload("Буклет.pdf", windows_program_bytes())},
    )
    assert response.status_code == 200
    assert ru("Programs and scripts cannot be attached.") in response.content.decode()
    assert (SalesMaterial.objects.count(), stored_files(media_root)) == (0, [])


def test_managers_cannot_edit_the_library_and_do_not_see_deactivated_materials(
    client: Client, manager: User, head_of_sales: User
) -> None:
    material = make_material(head_of_sales)
    client.force_login(manager)
    assert client.get(reverse("files:material-create")).status_code == 403
    assert client.post(reverse("files:material-deactivate", args=[material.pk])).status_code == 403
    services.material_deactivate(actor=head_of_sales, material=material)
    assert client.get(reverse("files:material-download", args=[material.pk])).status_code == 404
    assert "Прайс-лист 2026" not in client.get(reverse("files:material-list")).content.decode()


def test_the_card_costs_the_same_queries_for_one_file_or_many(
    client: Client, manager: User, head_of_sales: User, party: Party, django_assert_max_num_queries: Any
) -> None:
    make_material(head_of_sales)
    client.force_login(manager)
    url = reverse("files:party-files", args=[party.pk])
    services.attachment_upload(actor=manager, record=party, upload=upload("a.pdf", pdf_bytes()))
    with CaptureQueriesContext(connection) as one:
        client.get(url, headers={"HX-Request": "true"})
    for number in range(5):
        services.attachment_upload(actor=manager, record=party, upload=upload(f"{number}.pdf", pdf_bytes()))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count("/download/") == 6
