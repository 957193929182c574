"""A deal's history tells when a file of the deal was attached and when it was moved to the trash."""

from django.test import Client
from django.urls import reverse

from crm.accounts.models import User
from crm.files import services
from crm.files.tests.factories import make_deal, pdf_bytes, upload
from crm.parties.models import PartyEvent
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import DealEvent


def test_a_file_moved_to_the_trash_is_a_line_of_the_deal_history(manager: User) -> None:
    deal = make_deal(manager, PartyFactory(responsible=manager))
    attachment = services.attachment_upload(actor=manager, record=deal, upload=upload("КП.pdf", pdf_bytes()))
    services.attachment_delete(actor=manager, attachment=attachment)
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.FILE_REMOVED)
    assert (event.actor, event.data) == (manager, {"attachment": attachment.pk, "name": "КП.pdf"})
    assert str(event.get_kind_display()) == "file removed"


def test_removing_a_client_file_writes_nothing_to_any_deal(manager: User) -> None:
    party = PartyFactory(responsible=manager)
    make_deal(manager, party)
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload("Реквизиты.pdf", pdf_bytes()))
    services.attachment_delete(actor=manager, attachment=attachment)
    assert DealEvent.objects.filter(kind=DealEvent.Kind.FILE_REMOVED).count() == 0
    assert PartyEvent.objects.filter(party=party, kind=PartyEvent.Kind.FILE_ATTACHED).count() == 1


def test_removing_through_the_api_is_recorded_after_the_attaching(client: Client, manager: User) -> None:
    deal = make_deal(manager, PartyFactory(responsible=manager))
    attachment = services.attachment_upload(actor=manager, record=deal, upload=upload("Смета.pdf", pdf_bytes()))
    client.force_login(manager)
    assert client.delete(reverse("api:attachment-detail", args=[attachment.pk])).status_code == 204
    assert [(e.kind, e.actor, e.data["name"]) for e in DealEvent.objects.filter(deal=deal).order_by("pk")] == [
        (DealEvent.Kind.FILE_ATTACHED, manager, "Смета.pdf"),
        (DealEvent.Kind.FILE_REMOVED, manager, "Смета.pdf"),
    ]


def test_a_refused_removal_writes_no_history(client: Client, manager: User, outsider: User) -> None:
    deal = make_deal(manager, PartyFactory(responsible=manager))
    attachment = services.attachment_upload(actor=manager, record=deal, upload=upload("Смета.pdf", pdf_bytes()))
    client.force_login(outsider)
    assert client.delete(reverse("api:attachment-detail", args=[attachment.pk])).status_code == 404
    assert DealEvent.objects.filter(kind=DealEvent.Kind.FILE_REMOVED).count() == 0
