"""Reads of documents, templates, contracts and approvals for pages and the API, built on access.py."""

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from crm.accounts.models import User
from crm.documents.access import contracts_visible_to, documents_visible_to
from crm.documents.choices import Decision, RouteStatus
from crm.documents.models import ApprovalRoute, ApprovalStep, Contract, Document, DocumentEvent, DocumentTemplate
from crm.parties.models import Party
from crm.sales.access import deals_visible_to
from crm.sales.models import Deal

_ROUTES = Prefetch("routes", queryset=ApprovalRoute.objects.order_by("-created_at", "-pk"))


def document_list_for(user: User) -> QuerySet[Document]:
    return (
        documents_visible_to(user)
        .select_related("deal", "party", "created_by")
        .prefetch_related(_ROUTES)
        .order_by("-created_at", "-pk")
    )


def deal_documents(deal: Deal) -> QuerySet[Document]:
    """Documents of one deal the caller already may see."""
    return (
        Document.objects.filter(deal=deal)
        .select_related("created_by")
        .prefetch_related(_ROUTES)
        .order_by("-created_at", "-pk")
    )


def party_documents_for(user: User, party: Party) -> QuerySet[Document]:
    """A client's documents the user may see (of visible deals), newest first."""
    return (
        Document.objects.filter(party=party, deal__in=deals_visible_to(user))
        .select_related("deal", "created_by")
        .prefetch_related(_ROUTES)
        .order_by("-created_at", "-pk")
    )


def party_document_events_for(user: User, party: Party) -> QuerySet[DocumentEvent]:
    """The documents-and-contracts part of a client's history that this user may see."""
    visible_documents = documents_visible_to(user).filter(party=party).values("pk")
    visible_contracts = contracts_visible_to(user).filter(party=party).values("pk")
    return (
        DocumentEvent.objects.filter(party=party)
        .filter(Q(document__in=visible_documents) | Q(document__isnull=True, contract__in=visible_contracts))
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def document_routes(document: Document) -> list[ApprovalRoute]:
    routes = document.routes.prefetch_related(
        Prefetch("steps", queryset=ApprovalStep.objects.select_related("approver").order_by("order"))
    )
    return list(routes.order_by("-created_at", "-pk"))


def document_with_routes(document: Document) -> Document:
    """Load the document's routes (newest first) with their steps and approvers, for the API's detail."""
    steps = Prefetch("steps", queryset=ApprovalStep.objects.select_related("approver").order_by("order"))
    routes = ApprovalRoute.objects.prefetch_related(steps).order_by("-created_at", "-pk")
    prefetch_related_objects([document], Prefetch("routes", queryset=routes))
    return document


def approval_inbox(user: User) -> QuerySet[ApprovalStep]:
    """Steps waiting for this user's decision now."""
    return (
        ApprovalStep.objects.filter(
            approver=user, decision=Decision.PENDING, asked_at__isnull=False, route__status=RouteStatus.IN_PROGRESS
        )
        .select_related("route__document__party", "route__created_by")
        .order_by("asked_at", "pk")
    )


def contract_list_for(user: User) -> QuerySet[Contract]:
    return contracts_visible_to(user).select_related("party", "owner").order_by("-created_at", "-pk")


def template_list() -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.order_by("kind", "format", "-is_default", "name")


def active_templates() -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.filter(is_active=True).order_by("kind", "format", "-is_default", "name")


def template_by_pk(pk: int) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(pk=pk).first()


def contract_events(contract: Contract) -> QuerySet[DocumentEvent]:
    return DocumentEvent.objects.filter(contract=contract).select_related("actor").order_by("-at", "-pk")


def approver_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")
