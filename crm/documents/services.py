"""Every write of documents, templates, contracts and approval routes; each writes its history row."""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.catalog.models import Currency
from crm.core.models import field_value_for_history
from crm.documents import defaults, rendering
from crm.documents.choices import ContractStatus, Decision, ReminderState, RouteStatus, TemplateFormat
from crm.documents.context import company_profile, deal_document_context, sample_context
from crm.documents.models import (
    ApprovalRoute,
    ApprovalStep,
    CompanyProfile,
    Contract,
    ContractReminder,
    Document,
    DocumentCounter,
    DocumentEvent,
    DocumentTemplate,
)
from crm.parties.models import Party, PartyEvent
from crm.parties.services import party_record_event
from crm.sales.choices import DocumentKind
from crm.sales.models import Deal
from crm.sales.services import deal_record_event

NUMBER_PREFIXES = {
    DocumentKind.PROPOSAL: "КП",
    DocumentKind.CONTRACT: "ДП",
    DocumentKind.SPECIFICATION: "СП",
    DocumentKind.PRICE_PROTOCOL: "ПСЦ",
    DocumentKind.INVOICE: "СЧ",
    DocumentKind.OTHER: "ДОК",
}
MAX_TEMPLATE_SIZE = 10 * 1024 * 1024


def notify(*, user: User, key: str, title: str, url: str) -> None:
    """One message in the user's bell per key (activities' Notification; a repeated key adds nothing)."""
    Notification.objects.get_or_create(user=user, key=key[:100], defaults={"title": title[:300], "url": url})


# Company requisites


@transaction.atomic
def company_profile_update(*, actor: User, values: dict[str, Any]) -> CompanyProfile:
    """Save our requisites (the seller in every document)."""
    profile = company_profile()
    for name, value in values.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


# Templates


def template_docx_bytes(template: DocumentTemplate) -> bytes:
    """The DOCX of a template: the uploaded file, or the shipped one built in code."""
    if template.file:
        with template.file.open("rb") as handle:
            data: bytes = handle.read()
            return data
    return defaults.build_default_docx(template.builtin_code or template.kind)


def _read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > MAX_TEMPLATE_SIZE:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    return b"".join(upload.chunks())


def _check_template(template: DocumentTemplate, docx: bytes | None) -> None:
    """Render with the sample data: a template that cannot fill in a document is refused before saving."""
    if template.format == TemplateFormat.DOCX:
        if docx is None:
            raise ValidationError({"file": _("Upload a DOCX file.")})
        rendering.render_docx(docx, sample_context())
    else:
        if not template.html_source.strip():
            raise ValidationError({"html_source": _("Enter the HTML of the template.")})
        rendering.render_html(template.html_source, sample_context())


@transaction.atomic
def template_create(
    *, actor: User, name: str, kind: str, format: str, file: UploadedFile | None = None, html_source: str = ""
) -> DocumentTemplate:
    """Add a template after checking that it renders with sample data."""
    template = DocumentTemplate(name=name, kind=kind, format=format, updated_by=actor)
    docx = None
    if format == TemplateFormat.DOCX:
        docx = _read_upload(file) if file is not None else None
    else:
        template.html_source = html_source
    _check_template(template, docx)
    if docx is not None:
        template.file.save(_docx_name(name), ContentFile(docx), save=False)
    template.full_clean(exclude=["file"])
    template.save()
    if not DocumentTemplate.objects.filter(kind=kind, format=format, is_default=True).exists():
        template_set_default(actor=actor, template=template)
    return template


def _docx_name(name: str) -> str:
    return "template.docx" if not name.isascii() else f"{name[:40]}.docx"


@transaction.atomic
def template_update(
    *,
    actor: User,
    template: DocumentTemplate,
    name: str,
    is_active: bool,
    file: UploadedFile | None = None,
    html_source: str | None = None,
) -> DocumentTemplate:
    """Rename, switch on or off, replace the DOCX or edit the HTML; the new content must render."""
    if not is_active and template.is_default:
        raise ValidationError(
            {"is_active": _("The default template cannot be switched off; choose another default first.")}
        )
    template.name, template.is_active, template.updated_by = name, is_active, actor
    docx = None
    if template.format == TemplateFormat.DOCX and file is not None:
        docx = _read_upload(file)
        _check_template(template, docx)
        template.file.save(_docx_name(name), ContentFile(docx), save=False)
    if template.format == TemplateFormat.HTML and html_source is not None:
        template.html_source = html_source
        _check_template(template, None)
    template.full_clean(exclude=["file"])
    template.save()
    return template


@transaction.atomic
def template_set_default(*, actor: User, template: DocumentTemplate) -> DocumentTemplate:
    """Make the template the one used for its kind and format when none is chosen."""
    if not template.is_active:
        raise ValidationError({"is_default": _("Switch the template on first.")})
    DocumentTemplate.objects.filter(kind=template.kind, format=template.format, is_default=True).exclude(
        pk=template.pk
    ).update(is_default=False)
    template.is_default, template.updated_by = True, actor
    template.save(update_fields=["is_default", "updated_by", "updated_at"])
    return template


def ensure_default_templates(model: type[models.Model] = DocumentTemplate) -> int:
    """Add the shipped DOCX and HTML templates that are missing; returns how many were added (idempotent).

    `model` is the historical model when a migration calls this.
    """
    manager = model._default_manager
    added = 0
    for shipped in defaults.SHIPPED:
        for fmt in (TemplateFormat.DOCX, TemplateFormat.HTML):
            if manager.filter(builtin_code=shipped.kind, format=fmt).exists():
                continue
            has_default = manager.filter(kind=shipped.kind, format=fmt, is_default=True).exists()
            manager.create(
                name=shipped.name,
                kind=shipped.kind,
                format=fmt,
                html_source=defaults.build_default_html(shipped.kind) if fmt == TemplateFormat.HTML else "",
                builtin_code=shipped.kind,
                is_default=not has_default,
            )
            added += 1
    return added


# Documents


def _allocate_number(kind: str, year: int) -> tuple[int, str]:
    """The next number of `kind` in `year`, taken under a row lock so concurrent generations never share one."""
    try:
        with transaction.atomic():
            DocumentCounter.objects.get_or_create(kind=kind, year=year)
    except IntegrityError:
        pass  # another transaction created the counter first; the locked read below waits for it
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = NUMBER_PREFIXES.get(DocumentKind(kind), "ДОК")
    return counter.last, f"{prefix}-{year}-{counter.last:04d}"


def default_template(kind: str, format: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(kind=kind, format=format, is_default=True, is_active=True).first()


@transaction.atomic
def document_generate(
    *,
    actor: User,
    deal: Deal,
    kind: str,
    template: DocumentTemplate | None = None,
    on_date: datetime.date | None = None,
) -> Document:
    """Number a document of `kind` for the deal, render it to DOCX and PDF, store both and record it in the history.

    The chosen template gives its format; the other format comes from the kind's default template, if any.
    """
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose a kind of document.")})
    if template is not None and (template.kind != kind or not template.is_active):
        raise ValidationError({"template": _("This template is for another kind of document or is switched off.")})
    docx_template = template if template and template.format == TemplateFormat.DOCX else default_template(kind, "docx")
    html_template = template if template and template.format == TemplateFormat.HTML else default_template(kind, "html")
    if docx_template is None and html_template is None:
        raise ValidationError({"kind": _("There is no template for this kind of document.")})
    on_date = on_date or timezone.localdate()
    sequence, number = _allocate_number(kind, on_date.year)
    context = deal_document_context(
        deal=deal, kind=kind, kind_label=str(DocumentKind(kind).label), number=number, on_date=on_date
    )
    document = Document(
        number=number,
        kind=kind,
        year=on_date.year,
        sequence=sequence,
        deal=deal,
        party=deal.party,
        docx_template=docx_template,
        html_template=html_template,
        amount=Decimal(context["totals"]["gross_value"]),
        currency=deal.currency_id,
        context=context,
        created_by=actor,
    )
    if docx_template is not None:
        docx = rendering.render_docx(template_docx_bytes(docx_template), context)
        document.docx_file.save(f"{number}.docx", ContentFile(docx), save=False)
    if html_template is not None:
        pdf = rendering.html_to_pdf(rendering.render_html(html_template.html_source, context))
        document.pdf_file.save(f"{number}.pdf", ContentFile(pdf), save=False)
    document.save()
    data = {"kind": kind, "document": document.pk, "number": number}
    DocumentEvent.objects.create(
        document=document, party=deal.party, actor=actor, kind=DocumentEvent.Kind.GENERATED, data=data
    )
    deal_record_event(actor=actor, deal=deal, kind="document_generated", data=data)
    party_record_event(actor=actor, party=deal.party, kind=PartyEvent.Kind.DOCUMENT_GENERATED, value=number, data=data)
    return document


# Contracts

CONTRACT_FIELDS = ("number", "party", "signed_on", "starts_on", "ends_on", "amount", "currency", "status",
                   "reminder_days", "notes")  # fmt: skip


def _sync_contract_reminder(contract: Contract) -> None:
    """One pending reminder for the current expiry date of an active contract; delivered ones are never re-sent."""
    pending = contract.reminders.filter(state=ReminderState.PENDING)
    if contract.status != ContractStatus.ACTIVE or contract.ends_on is None:
        pending.update(state=ReminderState.CANCELLED)
        return
    pending.exclude(due_on=contract.ends_on).update(state=ReminderState.CANCELLED)
    remind_on = contract.ends_on - datetime.timedelta(days=contract.reminder_days)
    reminder, created = ContractReminder.objects.get_or_create(
        contract=contract, due_on=contract.ends_on, defaults={"remind_on": remind_on}
    )
    if not created and reminder.state != ReminderState.SENT and reminder.remind_on != remind_on:
        reminder.remind_on, reminder.state = remind_on, ReminderState.PENDING
        reminder.save(update_fields=["remind_on", "state"])
    elif not created and reminder.state == ReminderState.CANCELLED:
        reminder.state = ReminderState.PENDING
        reminder.save(update_fields=["state"])
    if remind_on <= timezone.localdate():
        # Due already: wake a worker now instead of waiting for the next periodic scan.
        from crm.documents.tasks import deliver_contract_reminders

        transaction.on_commit(deliver_contract_reminders.enqueue)


def _check_contract(contract: Contract) -> None:
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        raise ValidationError({"ends_on": _("The expiry date is before the start date.")})
    contract.full_clean()


@transaction.atomic
def contract_create(
    *, actor: User, party: Party, number: str, currency: Currency, deals: Sequence[Deal] = (), **values: Any
) -> Contract:
    """Register a contract owned by the actor, with the deals under it."""
    contract = Contract(owner=actor, party=party, number=number.strip(), currency=currency, **values)
    _check_contract(contract)
    contract.save()
    _set_deals(contract, deals)
    _sync_contract_reminder(contract)
    DocumentEvent.objects.create(
        contract=contract, party=party, actor=actor, kind=DocumentEvent.Kind.CONTRACT_CREATED,
        data={"number": contract.number},
    )  # fmt: skip
    return contract


def _set_deals(contract: Contract, deals: Sequence[Deal]) -> None:
    for deal in deals:
        if deal.party_id != contract.party_id:
            raise ValidationError({"deals": _("A deal of another client cannot go under this contract.")})
    contract.deals.set(deals)


@transaction.atomic
def contract_update(*, actor: User, contract: Contract, deals: Sequence[Deal] | None = None, **values: Any) -> Contract:
    """Change the contract's fields; a new expiry date or lead time plans a new reminder."""
    before = {name: getattr(contract, name) for name in CONTRACT_FIELDS}
    for name, value in values.items():
        if name not in CONTRACT_FIELDS:
            raise ValueError(f"not a contract field: {name}")
        setattr(contract, name, value)
    _check_contract(contract)
    contract.save()
    if deals is not None:
        _set_deals(contract, deals)
    _sync_contract_reminder(contract)
    changes = [
        {
            "field": name,
            "old": field_value_for_history(before[name]),
            "new": field_value_for_history(getattr(contract, name)),
        }
        for name in CONTRACT_FIELDS
        if before[name] != getattr(contract, name)
    ]
    if changes:
        DocumentEvent.objects.create(
            contract=contract, party=contract.party, actor=actor, kind=DocumentEvent.Kind.CONTRACT_CHANGED,
            data={"changes": changes},
        )  # fmt: skip
    return contract


@transaction.atomic
def contract_link_deal(*, actor: User, contract: Contract, deal: Deal) -> Contract:
    """Put a deal of the same client under the contract."""
    if deal.party_id != contract.party_id:
        raise ValidationError({"deal": _("A deal of another client cannot go under this contract.")})
    contract.deals.add(deal)
    DocumentEvent.objects.create(
        contract=contract, party=contract.party, actor=actor, kind=DocumentEvent.Kind.LINKED,
        data={"deal": deal.pk, "title": deal.title},
    )  # fmt: skip
    return contract


@transaction.atomic
def contract_link_document(*, actor: User, contract: Contract, document: Document) -> Document:
    """Put a generated document of the same client under the contract."""
    if document.party_id != contract.party_id:
        raise ValidationError({"document": _("A document of another client cannot go under this contract.")})
    document.contract = contract
    document.save(update_fields=["contract"])
    DocumentEvent.objects.create(
        document=document, contract=contract, party=contract.party, actor=actor, kind=DocumentEvent.Kind.LINKED,
        data={"document": document.pk, "number": document.number, "contract": contract.number},
    )  # fmt: skip
    return document


def contracts_mark_expired(*, today: datetime.date | None = None) -> int:
    """Active contracts whose expiry date has passed become expired; returns how many."""
    today = today or timezone.localdate()
    return Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=today).update(
        status=ContractStatus.EXPIRED, updated_at=timezone.now()
    )


# Approval routes


def _document_url(document: Document) -> str:
    return reverse("documents:document-detail", args=[document.pk])


def _ask(step: ApprovalStep) -> None:
    step.asked_at = timezone.now()
    step.save(update_fields=["asked_at"])
    document = step.route.document
    with translation.override(step.approver.language):
        title = _("Please approve %(number)s") % {"number": document.number}
    notify(user=step.approver, key=f"approval:{step.pk}", title=title, url=_document_url(document))


@transaction.atomic
def approval_route_start(*, actor: User, document: Document, approvers: Sequence[User]) -> ApprovalRoute:
    """Send the document to `approvers` in this order; only the first is asked now."""
    if not approvers:
        raise ValidationError({"approvers": _("Name at least one approver.")})
    if len({u.pk for u in approvers}) != len(approvers):
        raise ValidationError({"approvers": _("Each approver may appear only once.")})
    if any(not u.is_active for u in approvers):
        raise ValidationError({"approvers": _("A deactivated user cannot approve.")})
    # The lock makes two simultaneous "send" clicks start one route, not two.
    Document.objects.select_for_update().filter(pk=document.pk).first()
    if document.routes.filter(status=RouteStatus.IN_PROGRESS).exists():
        raise ValidationError({"approvers": _("The document is already on approval.")})
    route = ApprovalRoute.objects.create(document=document, created_by=actor)
    steps = [ApprovalStep.objects.create(route=route, order=i, approver=u) for i, u in enumerate(approvers, start=1)]
    _ask(steps[0])
    DocumentEvent.objects.create(
        document=document, party=document.party, actor=actor, kind=DocumentEvent.Kind.SENT_FOR_APPROVAL,
        data={"route": route.pk, "approvers": [u.get_full_name() or u.username for u in approvers]},
    )  # fmt: skip
    return route


@transaction.atomic
def approval_decide(*, actor: User, step: ApprovalStep, approve: bool, comment: str = "") -> ApprovalStep:
    """The current approver's decision: approve passes the document on, reject stops the route."""
    step = ApprovalStep.objects.select_for_update().select_related("route__document__deal__owner").get(pk=step.pk)
    route = step.route
    if step.approver_id != actor.pk or step.decision != Decision.PENDING or step.asked_at is None:
        raise ValidationError({"decision": _("It is not your turn to decide on this document.")})
    if route.status != RouteStatus.IN_PROGRESS:
        raise ValidationError({"decision": _("The approval is already finished.")})
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the document is rejected.")})
    step.decision = Decision.APPROVED if approve else Decision.REJECTED
    step.comment, step.decided_at = comment.strip(), timezone.now()
    step.save(update_fields=["decision", "comment", "decided_at"])
    document = route.document
    DocumentEvent.objects.create(
        document=document, party=document.party, actor=actor,
        kind=DocumentEvent.Kind.APPROVED if approve else DocumentEvent.Kind.REJECTED,
        data={"route": route.pk, "step": step.order, "comment": step.comment},
    )  # fmt: skip
    following = route.steps.filter(order__gt=step.order).order_by("order").first()
    if approve and following is not None:
        _ask(following)
        return step
    route.status = RouteStatus.APPROVED if approve else RouteStatus.REJECTED
    route.finished_at = timezone.now()
    route.save(update_fields=["status", "finished_at"])
    if approve:
        DocumentEvent.objects.create(
            document=document, party=document.party, actor=actor, kind=DocumentEvent.Kind.ROUTE_APPROVED,
            data={"route": route.pk},
        )  # fmt: skip
    owner = route.created_by
    with translation.override(owner.language):
        if approve:
            title = _("%(number)s is approved") % {"number": document.number}
        else:
            title = _("%(number)s is rejected by %(user)s") % {
                "number": document.number,
                "user": actor.get_full_name() or actor.username,
            }
    notify(user=owner, key=f"approval-route:{route.pk}", title=title, url=_document_url(document))
    return step
