"""Pages and API of documents as users meet them."""

import datetime
import io

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document as WordDocument
from pytest_django import DjangoAssertNumQueries

from crm.accounts.models import User
from crm.catalog.tests.factories import currency
from crm.documents import services
from crm.documents.choices import ContractStatus
from crm.documents.models import Document, DocumentTemplate
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import Deal, DealEvent


def _htmx(client: Client, url: str, data: dict[str, str]) -> str:
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "deal-history-changed"
    return response.content.decode()


def test_the_owner_generates_a_proposal_on_the_deal_card_and_downloads_it(
    client: Client, manager: User, deal: Deal
) -> None:
    manager.language = "en"  # messages are asserted in the source language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    url = reverse("documents:deal-documents", args=[deal.pk])
    assert 'name="kind"' in client.get(url).content.decode()
    html = _htmx(client, url, {"kind": "proposal"})
    document = Document.objects.get()
    assert f"{document.number} is ready." in html
    assert reverse("documents:document-download", args=[document.pk, "pdf"]) in html
    pdf = client.get(reverse("documents:document-download", args=[document.pk, "pdf"]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    docx = client.get(reverse("documents:document-download", args=[document.pk, "docx"]))
    word = WordDocument(io.BytesIO(b"".join(docx.streaming_content)))  # type: ignore[attr-defined]
    assert any("Смирновой Ольге Петровне" in p.text for p in word.paragraphs)


def test_the_team_lead_sees_the_documents_but_cannot_generate(
    client: Client, manager: User, team_lead: User, deal: Deal
) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="proposal")
    client.force_login(team_lead)
    url = reverse("documents:deal-documents", args=[deal.pk])
    page = client.get(url).content.decode()
    assert document.number in page
    assert 'name="kind"' not in page
    assert client.post(url, {"kind": "invoice"}).status_code == 403
    assert Document.objects.count() == 1
    assert client.get(reverse("documents:document-download", args=[document.pk, "docx"])).status_code == 200


def test_another_team_cannot_tell_the_document_exists(
    client: Client, manager: User, outsider: User, deal: Deal
) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="proposal")
    client.force_login(outsider)
    assert client.get(reverse("documents:document-download", args=[document.pk, "pdf"])).status_code == 404
    assert client.post(reverse("documents:deal-documents", args=[deal.pk]), {"kind": "proposal"}).status_code == 404
    assert client.get(reverse("api:document-detail", args=[document.pk])).status_code == 404
    assert DealEvent.objects.filter(kind="document_generated").count() == 1


def test_the_client_card_fragment_lists_the_documents_and_their_history(
    client: Client, manager: User, deal: Deal
) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="invoice")
    client.force_login(manager)
    page = client.get(reverse("documents:party-documents", args=[deal.party_id])).content.decode()
    assert page.count(document.number) == 2  # the list and the history line


def test_a_broken_upload_is_refused_on_the_page_with_the_placeholder_named(
    client: Client, administrator: User, head_of_sales: User
) -> None:
    from django.contrib.auth.models import Permission

    head_of_sales.user_permissions.add(Permission.objects.get(codename="manage_document_templates"))
    word = WordDocument()
    word.add_paragraph("{{ client.nmae }}")
    out = io.BytesIO()
    word.save(out)
    client.force_login(head_of_sales)
    before = DocumentTemplate.objects.count()
    response = client.post(
        reverse("documents:template-create"),
        {"name": "КП", "kind": "proposal", "format": "docx", "file": SimpleUploadedFile("kp.docx", out.getvalue())},
    )
    assert response.status_code == 200
    assert "nmae" in response.content.decode()
    assert DocumentTemplate.objects.count() == before


def test_approval_through_the_pages(client: Client, manager: User, colleague: User, deal: Deal) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="contract")
    client.force_login(manager)
    response = client.post(
        reverse("documents:document-send-for-approval", args=[document.pk]), {"approver_1": colleague.pk}
    )
    assert response.status_code == 302
    client.force_login(colleague)
    inbox = client.get(reverse("documents:approval-inbox")).content.decode()
    assert document.number in inbox
    step = document.routes.get().steps.get()
    refused = client.post(reverse("documents:approval-decide", args=[step.pk]), {"decision": "reject", "comment": ""})
    assert refused.status_code == 200
    assert (
        client.post(
            reverse("documents:approval-decide", args=[step.pk]), {"decision": "reject", "comment": "Не те цены"}
        ).status_code
        == 302
    )
    client.force_login(manager)
    card = client.get(reverse("documents:document-detail", args=[document.pk])).content.decode()
    assert "Не те цены" in card


def test_contracts_filter_by_expiry_and_status(client: Client, manager: User, deal: Deal) -> None:
    today = timezone.localdate()

    def add(number: str, days: int, status: str = ContractStatus.ACTIVE) -> None:
        services.contract_create(
            actor=manager, party=deal.party, number=number, currency=currency(), status=status,
            ends_on=today + datetime.timedelta(days=days),
        )  # fmt: skip

    add("Скоро", 10)
    add("Нескоро", 100)
    add("Черновик", 5, ContractStatus.DRAFT)
    client.force_login(manager)
    page = client.get(reverse("documents:contract-list"), {"expiring_within": "30"}).content.decode()
    assert ("Скоро" in page, "Нескоро" in page, "Черновик" in page) == (True, False, False)
    api = client.get(reverse("api:contract-list"), {"status": "draft"}).json()
    assert [row["number"] for row in api["results"]] == ["Черновик"]


def test_a_contract_for_a_hidden_client_is_refused_by_the_api(client: Client, outsider: User, deal: Deal) -> None:
    client.force_login(outsider)
    response = client.post(
        reverse("api:contract-list"), {"number": "Д-1", "party": deal.party_id}, content_type="application/json"
    )
    assert response.status_code == 404
    other = PartyFactory(responsible=outsider)
    created = client.post(
        reverse("api:contract-list"), {"number": "Д-1", "party": other.pk, "amount": "10.00"},
        content_type="application/json",
    )  # fmt: skip
    assert (created.status_code, created.json()["owner"], created.json()["amount"]) == (201, "outsider", "10.00")


def test_the_api_generates_and_downloads(client: Client, manager: User, deal: Deal) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("api:document-generate"), {"deal": deal.pk, "kind": "specification"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["amount"], body["has_docx"], body["has_pdf"]) == ("specification", "5700.00", True, True)
    download = client.get(reverse("api:document-download", args=[body["id"], "pdf"]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    bad = client.post(reverse("api:document-generate"), {"deal": deal.pk, "kind": "x"}, content_type="application/json")
    assert bad.status_code == 400


def test_the_document_and_contract_lists_cost_the_same_for_many_rows(
    client: Client, manager: User, deal: Deal, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for kind in ("proposal", "invoice", "specification"):
        services.document_generate(actor=manager, deal=deal, kind=kind)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("documents:document-list")).content.decode()
    assert page.count("/download/pdf/") == 3
    with django_assert_max_num_queries(12):
        assert client.get(reverse("documents:contract-list")).status_code == 200


def test_a_role_that_does_not_see_bank_details_neither_opens_nor_makes_documents(
    client: Client, manager: User, marketer: User, deal: Deal
) -> None:
    """Documents print the client's requisites; the marketer sees every deal but not bank details (X4)."""
    document = services.document_generate(actor=manager, deal=deal, kind="proposal")
    marketer.language = "en"  # messages are asserted in the source language
    marketer.save(update_fields=["language"])
    client.force_login(marketer)
    detail = client.get(reverse("documents:document-detail", args=[document.pk])).content.decode()
    assert document.number in detail
    assert "/download/pdf/" not in detail
    assert "Your role does not see the client data documents print." in detail
    page = client.get(reverse("documents:document-download", args=[document.pk, "pdf"]))
    assert page.status_code == 403
    api = client.get(reverse("api:document-download", args=[document.pk, "pdf"]))
    assert (api.status_code, api.json()["detail"]) == (
        403,
        "Documents print the client's data your role does not see: Bank details.",
    )
    listed = client.get(reverse("documents:document-list")).content.decode()
    assert document.number in listed
    assert "/download/pdf/" not in listed
    # Even a role that may change every deal makes no documents while it does not see what they print.
    marketer.groups.get().permissions.add(Permission.objects.get(codename="change_any_deal"))
    marketer = User.objects.get(pk=marketer.pk)
    client.force_login(marketer)
    made = client.post(
        reverse("api:document-generate"), {"deal": deal.pk, "kind": "invoice"}, content_type="application/json"
    )
    assert made.status_code == 403
    assert client.post(reverse("documents:deal-documents", args=[deal.pk]), {"kind": "invoice"}).status_code == 403
    assert Document.objects.count() == 1
