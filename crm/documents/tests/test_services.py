"""Numbering, rendering from a deal, templates, contracts with reminders, approval routes."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from docx import Document as WordDocument

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.catalog.tests.factories import currency
from crm.documents import defaults, services
from crm.documents.choices import ContractStatus, Decision, ReminderState, RouteStatus
from crm.documents.models import Contract, ContractReminder, Document, DocumentEvent, DocumentTemplate
from crm.documents.reminders import _claim, contract_reminders_deliver_due
from crm.sales.models import Deal, DealEvent

DAY = datetime.date(2026, 11, 23)


def _docx_text(document: Document) -> str:
    with document.docx_file.open("rb") as handle:
        word = WordDocument(io.BytesIO(handle.read()))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


# Numbering


def test_numbers_run_per_kind_and_year(manager: User, deal: Deal) -> None:
    numbers = [
        services.document_generate(actor=manager, deal=deal, kind=kind, on_date=day).number
        for kind, day in [
            ("proposal", DAY),
            ("proposal", DAY),
            ("invoice", DAY),
            ("proposal", datetime.date(2027, 1, 10)),
            ("proposal", DAY),
        ]
    ]
    assert numbers == ["КП-2026-0001", "КП-2026-0002", "СЧ-2026-0001", "КП-2027-0001", "КП-2026-0003"]


def test_a_failed_generation_does_not_use_up_a_number(manager: User, deal: Deal) -> None:
    DocumentTemplate.objects.filter(kind="proposal").update(is_default=False)
    with pytest.raises(ValidationError):
        services.document_generate(actor=manager, deal=deal, kind="proposal", on_date=DAY)
    DocumentTemplate.objects.filter(kind="proposal", builtin_code="proposal").update(is_default=True)
    assert services.document_generate(actor=manager, deal=deal, kind="proposal", on_date=DAY).number == "КП-2026-0001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks across connections need PostgreSQL")
def test_concurrent_allocations_never_share_a_number() -> None:
    taken: list[str] = []

    def allocate() -> None:
        from django.db import transaction

        try:
            for _ in range(10):
                with transaction.atomic():
                    taken.append(services._allocate_number("invoice", 2026)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [f"СЧ-2026-{n:04d}" for n in range(1, 41)]


# Rendering from a deal


def test_the_docx_has_the_client_the_lines_the_totals_and_the_sum_in_words(manager: User, deal: Deal) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="invoice", on_date=DAY)
    text = _docx_text(document)
    assert "Счёт на оплату № СЧ-2026-0001 от 23 ноября 2026 г." in text
    assert "ИНН 7707083893" in text
    assert "Стол офисный" in text
    assert "Кресло" in text
    assert "900,00" in text
    assert "2\u00a0700,00" in text
    assert "Всего к оплате: 5\u00a0700,00 RUB" in text
    assert "НДС: 950,00 RUB" in text
    assert "Сумма прописью: Пять тысяч семьсот рублей 00 копеек" in text
    assert (document.amount, document.currency) == (Decimal("5700.00"), "RUB")


def test_the_contract_names_both_signatories_in_the_genitive(manager: User, deal: Deal) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="contract", on_date=DAY)
    text = _docx_text(document)
    assert "в лице Генерального директора Кузнецова Петра Сергеевича" in text
    assert "в лице Генерального директора Смирновой Ольги Петровны" in text


def test_the_pdf_is_produced_from_the_html_template(manager: User, deal: Deal) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="proposal", on_date=DAY)
    with document.pdf_file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_generation_is_recorded_in_the_deal_s_and_the_client_s_history(manager: User, deal: Deal) -> None:
    document = services.document_generate(actor=manager, deal=deal, kind="proposal", on_date=DAY)
    expected = {"kind": "proposal", "document": document.pk, "number": "КП-2026-0001"}
    event = DealEvent.objects.get(deal=deal, kind="document_generated")
    assert (event.actor, event.data) == (manager, expected)
    history = DocumentEvent.objects.get(party=deal.party)
    assert (history.kind, history.document, history.data) == ("generated", document, expected)
    assert document.context["client"]["inn"] == "7707083893"


def test_a_template_of_another_kind_is_refused(manager: User, deal: Deal) -> None:
    invoice = DocumentTemplate.objects.get(kind="invoice", format="docx", is_default=True)
    with pytest.raises(ValidationError) as refused:
        services.document_generate(actor=manager, deal=deal, kind="proposal", template=invoice)
    assert "template" in refused.value.message_dict
    assert Document.objects.count() == 0


# Templates


def _docx_with(text: str) -> bytes:
    word = WordDocument()
    word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_an_uploaded_docx_becomes_the_template_and_renders(administrator: User, manager: User, deal: Deal) -> None:
    upload = SimpleUploadedFile("kp.docx", _docx_with("КП для {{ client.name }}, итого {{ totals.gross }}"))
    template = services.template_create(actor=administrator, name="Моё КП", kind="proposal", format="docx", file=upload)
    services.template_set_default(actor=administrator, template=template)
    document = services.document_generate(actor=manager, deal=deal, kind="proposal", on_date=DAY)
    assert _docx_text(document) == "КП для ООО Ромашка, итого 5\u00a0700,00"
    assert document.docx_template == template


def test_a_broken_template_is_refused_with_the_placeholder_named(administrator: User) -> None:
    upload = SimpleUploadedFile("kp.docx", _docx_with("{{ client.innn }}"))
    with pytest.raises(ValidationError) as refused:
        services.template_create(actor=administrator, name="Сломанный", kind="proposal", format="docx", file=upload)
    assert "innn" in refused.value.message_dict["file"][0]
    assert not DocumentTemplate.objects.filter(name="Сломанный").exists()


def test_a_renamed_file_is_not_a_docx(administrator: User) -> None:
    upload = SimpleUploadedFile("kp.docx", b"%PDF-1.4 not word")
    with pytest.raises(ValidationError) as refused:
        services.template_create(actor=administrator, name="PDF", kind="proposal", format="docx", file=upload)
    assert refused.value.message_dict == {"file": ["This is not a DOCX file."]}


def test_shipped_templates_are_added_once(db: None) -> None:
    assert DocumentTemplate.objects.filter(is_default=True).count() == 2 * len(defaults.SHIPPED)
    assert services.ensure_default_templates() == 0


def test_only_one_default_per_kind_and_format(administrator: User) -> None:
    html = services.template_create(
        actor=administrator, name="Своё", kind="invoice", format="html", html_source="<p>{{ document.number }}</p>"
    )
    services.template_set_default(actor=administrator, template=html)
    defaults_now = DocumentTemplate.objects.filter(kind="invoice", format="html", is_default=True)
    assert list(defaults_now) == [html]


# Contracts and their reminders


def _contract(manager: User, deal: Deal, ends_on: datetime.date, **values: object) -> Contract:
    return services.contract_create(
        actor=manager, party=deal.party, number="Д-1", currency=currency(), ends_on=ends_on,
        status=ContractStatus.ACTIVE, deals=[deal], **values,
    )  # fmt: skip


def test_an_active_contract_plans_one_reminder_at_its_lead_time(manager: User, deal: Deal) -> None:
    contract = _contract(manager, deal, datetime.date(2027, 3, 31), reminder_days=10)
    reminder = ContractReminder.objects.get(contract=contract)
    assert (reminder.due_on, reminder.remind_on, reminder.state) == (
        datetime.date(2027, 3, 31), datetime.date(2027, 3, 21), ReminderState.PENDING,
    )  # fmt: skip
    services.contract_update(actor=manager, contract=contract, ends_on=datetime.date(2027, 6, 30))
    states = dict(ContractReminder.objects.values_list("due_on", "state"))
    assert states == {datetime.date(2027, 3, 31): "cancelled", datetime.date(2027, 6, 30): "pending"}


def test_the_expiry_reminder_is_delivered_once_even_when_the_scan_runs_twice(manager: User, deal: Deal) -> None:
    User.objects.filter(pk=manager.pk).update(language="en")  # messages in the user's language; English is the source
    contract = _contract(manager, deal, datetime.date(2027, 3, 31))
    with time_machine.travel(datetime.datetime(2027, 3, 2, 9, 0, tzinfo=datetime.UTC)):
        assert contract_reminders_deliver_due() == 1
        assert contract_reminders_deliver_due() == 0
    notification = Notification.objects.get(user=manager)
    assert (notification.title, notification.url) == (
        "Contract Д-1 with ООО Ромашка expires on 03/31/2027",
        f"/documents/contracts/{contract.pk}/",
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert ContractReminder.objects.get().state == ReminderState.SENT


def test_a_reminder_held_by_a_dead_worker_is_delivered_once_after_its_lease(manager: User, deal: Deal) -> None:
    _contract(manager, deal, datetime.date(2027, 3, 31))
    crashed_at = datetime.datetime(2027, 3, 2, 9, 0, tzinfo=datetime.UTC)
    assert len(_claim(crashed_at, 10)) == 1  # claimed, then the worker dies before delivering
    with time_machine.travel(crashed_at + datetime.timedelta(minutes=1)):
        assert contract_reminders_deliver_due() == 0  # the lease still holds
    with time_machine.travel(crashed_at + datetime.timedelta(minutes=3)):
        assert contract_reminders_deliver_due() == 1
        assert contract_reminders_deliver_due() == 0
    assert Notification.objects.filter(user=manager).count() == 1
    assert len(mail.outbox) == 1


def test_nothing_is_sent_before_the_lead_time(manager: User, deal: Deal) -> None:
    _contract(manager, deal, datetime.date(2027, 3, 31))
    with time_machine.travel(datetime.datetime(2027, 2, 27, 9, 0, tzinfo=datetime.UTC)):
        assert contract_reminders_deliver_due() == 0
    assert Notification.objects.count() == 0


def test_a_contract_past_its_expiry_date_expires(manager: User, deal: Deal) -> None:
    contract = _contract(manager, deal, datetime.date(2027, 3, 31))
    with time_machine.travel(datetime.datetime(2027, 4, 1, 9, 0, tzinfo=datetime.UTC)):
        contract_reminders_deliver_due()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED


def test_a_deal_of_another_client_cannot_go_under_a_contract(manager: User, deal: Deal) -> None:
    from crm.sales.tests.factories import DealFactory

    other = DealFactory(owner=manager)
    contract = _contract(manager, deal, datetime.date(2027, 3, 31))
    with pytest.raises(ValidationError):
        services.contract_link_deal(actor=manager, contract=contract, deal=other)
    assert list(contract.deals.all()) == [deal]


def test_an_expiry_before_the_start_is_refused(manager: User, deal: Deal) -> None:
    with pytest.raises(ValidationError) as refused:
        _contract(manager, deal, datetime.date(2027, 3, 31), starts_on=datetime.date(2027, 4, 1))
    assert "ends_on" in refused.value.message_dict


# Approval routes


@pytest.fixture
def document(manager: User, deal: Deal) -> Document:
    return services.document_generate(actor=manager, deal=deal, kind="contract", on_date=DAY)


def test_approvers_are_asked_in_order(manager: User, team_lead: User, head_of_sales: User, document: Document) -> None:
    manager.language = "en"
    manager.save(update_fields=["language"])
    route = services.approval_route_start(actor=manager, document=document, approvers=[team_lead, head_of_sales])
    first, second = route.steps.order_by("order")
    assert (first.asked_at is not None, second.asked_at) == (True, None)
    assert Notification.objects.filter(user=head_of_sales).count() == 0
    with pytest.raises(ValidationError):
        services.approval_decide(actor=head_of_sales, step=second, approve=True)
    services.approval_decide(actor=team_lead, step=first, approve=True, comment="Согласовано")
    second.refresh_from_db()
    assert second.asked_at is not None
    assert Notification.objects.filter(user=head_of_sales, key=f"approval:{second.pk}").count() == 1
    services.approval_decide(actor=head_of_sales, step=second, approve=True)
    route.refresh_from_db()
    assert route.status == RouteStatus.APPROVED
    assert Notification.objects.get(user=manager).title == "ДП-2026-0001 is approved"


def test_a_rejection_stops_the_route_and_tells_the_owner(
    manager: User, team_lead: User, head_of_sales: User, document: Document
) -> None:
    manager.language = "en"  # the owner is told in the owner's language; English is the source
    manager.save(update_fields=["language"])
    route = services.approval_route_start(actor=manager, document=document, approvers=[team_lead, head_of_sales])
    first, second = route.steps.order_by("order")
    with pytest.raises(ValidationError) as refused:
        services.approval_decide(actor=team_lead, step=first, approve=False, comment="  ")
    assert "comment" in refused.value.message_dict
    services.approval_decide(actor=team_lead, step=first, approve=False, comment="Цена занижена")
    route.refresh_from_db()
    second.refresh_from_db()
    assert (route.status, second.decision, second.asked_at) == (RouteStatus.REJECTED, Decision.PENDING, None)
    assert Notification.objects.filter(user=head_of_sales).count() == 0
    assert Notification.objects.get(user=manager).title == "ДП-2026-0001 is rejected by Ольга Лидерова"
    # After a rejection the owner may send the document again.
    services.approval_route_start(actor=manager, document=document, approvers=[head_of_sales])


def test_a_document_is_on_one_route_at_a_time(manager: User, team_lead: User, document: Document) -> None:
    services.approval_route_start(actor=manager, document=document, approvers=[team_lead])
    with pytest.raises(ValidationError):
        services.approval_route_start(actor=manager, document=document, approvers=[team_lead])
    with pytest.raises(ValidationError):
        services.approval_route_start(actor=manager, document=document, approvers=[])
