from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from crm.accounts.models import User
from crm.activities import services as activity_services
from crm.activities.models import InteractionType
from crm.files import services
from crm.files.models import Attachment, FileEvent
from crm.files.tests.factories import (
    linux_program_bytes,
    make_deal,
    make_material,
    pdf_bytes,
    stored_files,
    upload,
)
from crm.parties.tests.factories import PartyFactory, PersonFactory
from crm.sales.models import DealEvent


def test_an_upload_is_stored_under_a_random_name_and_described(manager: User, media_root: Path) -> None:
    party = PartyFactory(responsible=manager)
    content = pdf_bytes()
    attachment = services.attachment_upload(actor=manager, record=party, upload=upload("../Реквизиты ООО.pdf", content))
    assert (attachment.party, attachment.original_name, attachment.size, attachment.content_type) == (
        party,
        "Реквизиты ООО.pdf",
        len(content),
        "application/pdf",
    )
    assert attachment.file.name.startswith("attachments/")
    assert "Реквизиты" not in attachment.file.name
    assert ".." not in attachment.file.name
    assert stored_files(media_root) == [media_root / attachment.file.name]
    assert (media_root / attachment.file.name).read_bytes() == content
    event = FileEvent.objects.get(attachment=attachment)
    assert (event.kind, event.actor, event.data) == (
        FileEvent.Kind.ATTACHED,
        manager,
        {"name": "Реквизиты ООО.pdf", "size": len(content)},
    )


def test_a_contact_person_takes_files_too(manager: User) -> None:
    person = PersonFactory(responsible=manager, last_name="Иванов", first_name="Пётр")
    attachment = services.attachment_upload(actor=manager, record=person, upload=upload("паспорт.pdf", pdf_bytes()))
    assert attachment.party == person


def test_a_file_attached_to_a_deal_is_in_the_deal_history(manager: User) -> None:
    deal = make_deal(manager, PartyFactory(responsible=manager))
    attachment = services.attachment_upload(actor=manager, record=deal, upload=upload("КП.pdf", pdf_bytes()))
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.FILE_ATTACHED)
    assert (event.actor, event.data) == (
        manager,
        {"attachment": attachment.pk, "name": "КП.pdf", "size": attachment.size},
    )


def test_an_interaction_takes_files(manager: User) -> None:
    party = PartyFactory(responsible=manager)
    call = InteractionType.objects.get(code="call")
    interaction = activity_services.interaction_log(actor=manager, party=party, type=call, subject="Звонок")
    attachment = services.attachment_upload(actor=manager, record=interaction, upload=upload("запись.txt", b"ok"))
    assert (attachment.interaction, attachment.party, attachment.deal) == (interaction, None, None)


def test_a_refused_upload_stores_nothing_and_writes_nothing(manager: User, media_root: Path) -> None:
    party = PartyFactory(responsible=manager)
    with pytest.raises(ValidationError):
        services.attachment_upload(actor=manager, record=party, upload=upload("счёт.pdf", linux_program_bytes()))
    assert (stored_files(media_root), Attachment.objects.count(), FileEvent.objects.count()) == ([], 0, 0)


def test_a_failure_after_storing_removes_the_stored_bytes(
    manager: User, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    party = PartyFactory(responsible=manager)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_record_attached", broken)
    with pytest.raises(RuntimeError):
        services.attachment_upload(actor=manager, record=party, upload=upload("a.pdf", pdf_bytes()))
    assert (stored_files(media_root), Attachment.objects.count()) == ([], 0)


def test_a_material_from_the_library_shares_the_stored_file(
    manager: User, head_of_sales: User, media_root: Path
) -> None:
    material = make_material(head_of_sales)
    party = PartyFactory(responsible=manager)
    deal = make_deal(manager, party)
    first, second = (
        services.attachments_from_library(actor=manager, record=record, materials=[material])[0]
        for record in (party, deal)
    )
    assert {first.file.name, second.file.name} == {material.file.name}
    assert (first.material, first.original_name, first.sha256) == (material, material.original_name, material.sha256)
    assert len(stored_files(media_root)) == 1
    assert DealEvent.objects.get(deal=deal).data == {
        "attachment": second.pk, "name": "Прайс 2026.pdf", "size": material.size, "material": material.pk,
    }  # fmt: skip


def test_replacing_a_material_file_keeps_what_was_attached_before(manager: User, head_of_sales: User) -> None:
    material = make_material(head_of_sales)
    attachment = services.attachments_from_library(
        actor=manager, record=PartyFactory(responsible=manager), materials=[material]
    )[0]
    old_name = material.file.name
    services.material_update(
        actor=head_of_sales, material=material, data={"title": "Прайс-лист, июль"},
        upload=upload("Прайс июль.pdf", pdf_bytes("July")),
    )  # fmt: skip
    material.refresh_from_db()
    attachment.refresh_from_db()
    assert material.file.name != old_name
    assert material.original_name == "Прайс июль.pdf"
    assert (attachment.file.name, attachment.original_name) == (old_name, "Прайс 2026.pdf")
    assert default_storage.open(old_name).read() == pdf_bytes("Прайс-лист 2026")
    event = FileEvent.objects.get(material=material, kind=FileEvent.Kind.MATERIAL_CHANGED)
    assert event.data == {
        "changes": {"title": ["Прайс-лист 2026", "Прайс-лист, июль"], "file": ["Прайс 2026.pdf", "Прайс июль.pdf"]}
    }


def test_a_deactivated_material_cannot_be_attached(manager: User, head_of_sales: User) -> None:
    material = services.material_deactivate(actor=head_of_sales, material=make_material(head_of_sales))
    with pytest.raises(ValidationError) as error:
        services.attachments_from_library(actor=manager, record=PartyFactory(responsible=manager), materials=[material])
    assert error.value.message_dict == {"materials": ["Прайс-лист 2026 is no longer in the library."]}
    assert Attachment.objects.count() == 0


def test_deleting_moves_to_the_trash_and_keeps_the_bytes(manager: User, media_root: Path) -> None:
    attachment = services.attachment_upload(
        actor=manager, record=PartyFactory(responsible=manager), upload=upload("a.pdf", pdf_bytes())
    )
    services.attachment_delete(actor=manager, attachment=attachment)
    attachment.refresh_from_db()
    assert (attachment.is_deleted, attachment.deleted_by) == (True, manager)
    assert stored_files(media_root) == [media_root / attachment.file.name]
    assert FileEvent.objects.filter(attachment=attachment).values_list("kind", flat=True).order_by("pk")[1] == (
        FileEvent.Kind.DELETED
    )
