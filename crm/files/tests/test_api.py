from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from crm.accounts.models import User
from crm.files import services
from crm.files.models import Attachment
from crm.files.tests.factories import body, linux_program_bytes, make_deal, make_material, pdf_bytes, upload
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory


@pytest.fixture
def party(manager: User) -> Party:
    return PartyFactory(responsible=manager, name="ООО Ромашка")


def test_upload_list_download_and_delete_through_the_api(client: Client, manager: User, party: Party) -> None:
    client.force_login(manager)
    content = pdf_bytes()
    created = client.post(
        reverse("api:party-attachment-list", args=[party.pk]), {"file": upload("Счёт №12.pdf", content)}
    )
    assert created.status_code == 201
    attachment = Attachment.objects.get()
    assert created.json() | {"uploaded_at": None, "sha256": None} == {
        "id": attachment.pk, "party": party.pk, "deal": None, "interaction": None, "original_name": "Счёт №12.pdf",
        "size": len(content), "content_type": "application/pdf", "sha256": None, "material": None,
        "uploaded_by": manager.pk, "uploaded_by_name": "Иван Петров", "uploaded_at": None,
        "download_url": f"/api/v1/attachments/{attachment.pk}/download/",
    }  # fmt: skip
    listed = client.get(reverse("api:party-attachment-list", args=[party.pk])).json()
    assert [row["id"] for row in listed["results"]] == [attachment.pk]
    download = client.get(created.json()["download_url"])
    assert body(download) == content
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('Счёт №12.pdf')}"
    assert client.delete(reverse("api:attachment-detail", args=[attachment.pk])).status_code == 204
    assert client.get(reverse("api:party-attachment-list", args=[party.pk])).json()["results"] == []


def test_a_refused_upload_is_a_400_naming_the_file_field(client: Client, manager: User, party: Party) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("api:party-attachment-list", args=[party.pk]),
        {"file": upload("счёт.pdf", linux_program_bytes())},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert Attachment.objects.count() == 0


def test_a_deal_takes_materials_from_the_library(client: Client, manager: User, head_of_sales: User) -> None:
    deal = make_deal(manager, PartyFactory(responsible=manager))
    material = make_material(head_of_sales)
    client.force_login(manager)
    response = client.post(
        reverse("api:deal-attachment-from-library", args=[deal.pk]),
        {"materials": [material.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert [(row["deal"], row["material"], row["original_name"]) for row in response.json()] == [
        (deal.pk, material.pk, "Прайс 2026.pdf")
    ]


def test_an_unknown_material_is_refused_by_id(client: Client, manager: User, party: Party) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("api:party-attachment-from-library", args=[party.pk]),
        {"materials": [999999]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["materials"]
    assert Attachment.objects.count() == 0


def test_the_library_is_listed_and_searched(client: Client, outsider: User, head_of_sales: User) -> None:
    material = make_material(head_of_sales)
    services.material_create(
        actor=head_of_sales, upload=upload("b.pdf", pdf_bytes()), title="Буклет", category="brochure"
    )
    client.force_login(outsider)
    found = client.get(reverse("api:sales-material-list"), {"q": "прайс"}).json()["results"]
    assert [(row["id"], row["title"], row["category"]) for row in found] == [
        (material.pk, "Прайс-лист 2026", "price_sheet")
    ]
    by_category = client.get(reverse("api:sales-material-list"), {"category": "brochure"}).json()["results"]
    assert [row["title"] for row in by_category] == ["Буклет"]
    download = client.get(found[0]["download_url"])
    assert body(download) == pdf_bytes("Прайс-лист 2026")
