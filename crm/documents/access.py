"""Who may see and change documents, contracts and templates: documents follow their deal's rules."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from crm.accounts.backends import owners_seen_by
from crm.accounts.models import User
from crm.documents.choices import Decision
from crm.documents.models import ApprovalStep, Contract, Document
from crm.parties.fields import GROUPS, field_access
from crm.sales.access import can_change_deal, can_view_deal, deals_visible_to

Action = Literal["view", "change"]

# What a generated document prints of the client (crm.documents.context: requisites), as groups of
# client data a role may not see (X4): whoever does not see one of them neither makes nor opens documents.
DOCUMENT_FIELD_GROUPS = ("phones", "emails", "addresses", "bank")


def document_hidden_groups(user: User) -> list[str]:
    """The groups of client data a generated document holds that this user does not see (their labels)."""
    access = field_access(user)
    return [str(GROUPS[code].label) for code in DOCUMENT_FIELD_GROUPS if not access.sees(code)]


def ensure_document_content_visible(user: User) -> None:
    """Refuse (403, naming the data) to make or open a document whose client data the user does not see."""
    hidden = document_hidden_groups(user)
    if hidden:
        raise PermissionDenied(
            _("Documents print the client's data your role does not see: %(groups)s.") % {"groups": ", ".join(hidden)}
        )


def documents_visible_to(user: User) -> QuerySet[Document]:
    """Documents of the deals the user sees, plus those the user is asked to approve."""
    if not user.is_active:
        return Document.objects.none()
    asked = ApprovalStep.objects.filter(approver=user).values("route__document_id")
    return Document.objects.filter(Q(deal__in=deals_visible_to(user)) | Q(pk__in=asked))


def can_view_document(user: User, document: Document) -> bool:
    if not user.is_active:
        return False
    if not document.deal.is_deleted and can_view_deal(user, document.deal):
        return True
    return ApprovalStep.objects.filter(approver=user, route__document=document).exists()


def can_change_document(user: User, document: Document) -> bool:
    """Sending for approval and linking follow the deal: its owner or `change_any_deal`."""
    return not document.deal.is_deleted and can_change_deal(user, document.deal)


def get_document_for(user: User, pk: int, *, action: Action = "view") -> Document:
    """The document if visible (404 otherwise), and changeable if asked (403)."""
    document = get_object_or_404(Document.objects.select_related("deal__owner", "party", "created_by"), pk=pk)
    if not can_view_document(user, document):
        raise Http404
    if action == "change" and not can_change_document(user, document):
        raise PermissionDenied
    return document


def get_pending_step_for(user: User, pk: int) -> ApprovalStep:
    """The approval step whose turn it is, asked of this user; any other step looks missing."""
    return get_object_or_404(
        ApprovalStep.objects.select_related("route__document__deal"),
        pk=pk,
        approver=user,
        decision=Decision.PENDING,
        asked_at__isnull=False,
        route__status="in_progress",
    )


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    """Contracts the user sees: own; the team's for its head; every one with `sales.view_all_deals`."""
    if not user.is_active:
        return Contract.objects.none()
    if user.has_perm("sales.view_all_deals"):
        return Contract.objects.all()
    return Contract.objects.filter(owner_id__in=owners_seen_by(user))


def can_create_contract(user: User) -> bool:
    return user.is_active and user.has_perm("sales.add_deal")


def can_change_contract(user: User, contract: Contract) -> bool:
    return user.is_active and (contract.owner_id == user.pk or user.has_perm("sales.change_any_deal"))


def get_contract_for(user: User, pk: int, *, action: Action = "view") -> Contract:
    """The contract if visible (404 otherwise), and changeable if asked (403)."""
    contract = get_object_or_404(contracts_visible_to(user).select_related("party", "owner", "currency"), pk=pk)
    if action == "change" and not can_change_contract(user, contract):
        raise PermissionDenied
    return contract


def can_manage_templates(user: User) -> bool:
    return user.is_active and user.has_perm("documents.manage_document_templates")


def require_template_manager(user: User) -> None:
    if not can_manage_templates(user):
        raise PermissionDenied
