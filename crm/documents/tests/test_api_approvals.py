"""Approval routes over the API: send a document to approvers, see what waits for me, decide; as on the pages."""

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from crm.accounts.models import User
from crm.documents import services
from crm.documents.models import ApprovalRoute, ApprovalStep, Document, DocumentEvent
from crm.sales.models import Deal

SENT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
DECIDED = datetime.datetime(2026, 3, 2, 11, 30, tzinfo=datetime.UTC)


@pytest.fixture
def document(manager: User, deal: Deal) -> Document:
    return services.document_generate(actor=manager, deal=deal, kind="contract")


def as_user(user: User) -> Client:
    """A client of the user reading the interface in English (messages are asserted in the source language)."""
    if user.language != "en":
        user.language = "en"
        user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def post(user: User, url: str, data: dict[str, Any]) -> Any:
    return as_user(user).post(url, data, content_type="application/json")


def send_url(document: Document) -> str:
    return reverse("api:document-send-for-approval", args=[document.pk])


def decide_url(step: ApprovalStep) -> str:
    return reverse("api:approval-step-decide", args=[step.pk])


def inbox(user: User) -> list[tuple[int, str]]:
    response = as_user(user).get(reverse("api:approval-list"))
    assert response.status_code == 200
    return [(row["id"], row["number"]) for row in response.json()["results"]]


def test_a_document_goes_round_its_approvers_in_order_and_a_reject_stops_it(
    manager: User, colleague: User, head_of_sales: User, document: Document
) -> None:
    with time_machine.travel(SENT, tick=False):
        sent = post(manager, send_url(document), {"approvers": [colleague.pk, head_of_sales.pk]})
    assert sent.status_code == 201
    route = ApprovalRoute.objects.get()
    first, second = route.steps.order_by("order")
    assert sent.json() == {
        "id": route.pk, "document": document.pk, "status": "in_progress", "created_by": manager.pk,
        "created_at": "2026-03-02T12:00:00+03:00", "finished_at": None,
        "steps": [
            {"id": first.pk, "order": 1, "approver": colleague.pk, "approver_name": "Мария Сидорова",
             "decision": "pending", "comment": "", "asked_at": "2026-03-02T12:00:00+03:00", "decided_at": None},
            {"id": second.pk, "order": 2, "approver": head_of_sales.pk, "approver_name": "Анна Главная",
             "decision": "pending", "comment": "", "asked_at": None, "decided_at": None},
        ],
    }  # fmt: skip
    assert (inbox(colleague), inbox(head_of_sales), inbox(manager)) == ([(first.pk, document.number)], [], [])

    with time_machine.travel(DECIDED, tick=False):
        approved = post(colleague, decide_url(first), {"decision": "approved"})
    assert approved.status_code == 200
    assert (approved.json()["decision"], approved.json()["decided_at"]) == ("approved", "2026-03-02T14:30:00+03:00")
    assert (inbox(colleague), inbox(head_of_sales)) == ([], [(second.pk, document.number)])

    refused = post(head_of_sales, decide_url(second), {"decision": "rejected", "comment": "  "})
    assert (refused.status_code, refused.json()) == (400, {"comment": ["Say why the document is rejected."]})
    assert ApprovalStep.objects.get(pk=second.pk).decision == "pending"

    with time_machine.travel(DECIDED, tick=False):
        rejected = post(head_of_sales, decide_url(second), {"decision": "rejected", "comment": "Нет печати"})
    assert rejected.status_code == 200

    detail = as_user(manager).get(reverse("api:document-detail", args=[document.pk]))
    assert detail.status_code == 200
    [shown] = detail.json()["routes"]
    assert (shown["status"], shown["finished_at"]) == ("rejected", "2026-03-02T14:30:00+03:00")
    assert [(s["approver"], s["order"], s["decision"], s["comment"], s["decided_at"]) for s in shown["steps"]] == [
        (colleague.pk, 1, "approved", "", "2026-03-02T14:30:00+03:00"),
        (head_of_sales.pk, 2, "rejected", "Нет печати", "2026-03-02T14:30:00+03:00"),
    ]
    assert list(DocumentEvent.objects.filter(document=document).order_by("pk").values_list("kind", flat=True)) == [
        "generated", "sent_for_approval", "approved", "rejected",
    ]  # fmt: skip


def test_a_document_never_sent_shows_no_routes(manager: User, document: Document) -> None:
    detail = as_user(manager).get(reverse("api:document-detail", args=[document.pk]))
    assert (detail.status_code, detail.json()["routes"]) == (200, [])


@pytest.mark.parametrize(
    ("_case", "approvers", "errors"),
    [
        ("nobody named", lambda c, h, i: [], ["Name at least one approver."]),
        ("the same person twice", lambda c, h, i: [c.pk, c.pk], ["Each approver may appear only once."]),
        ("an unknown id", lambda c, h, i: [c.pk, 999999], ["Unknown user."]),
        ("a deactivated user", lambda c, h, i: [i.pk], ["Unknown user."]),
        ("more than five", lambda c, h, i: [c.pk] * 6, ["Ensure this field has no more than 5 elements."]),
    ],
)
def test_a_bad_list_of_approvers_is_a_400_and_nothing_is_sent(
    _case: str, approvers: Any, errors: list[str], manager: User, colleague: User, head_of_sales: User,
    outsider: User, document: Document,
) -> None:  # fmt: skip
    outsider.is_active = False
    outsider.save(update_fields=["is_active"])
    response = post(manager, send_url(document), {"approvers": approvers(colleague, head_of_sales, outsider)})
    assert (response.status_code, response.json()) == (400, {"approvers": errors})
    assert (ApprovalRoute.objects.count(), ApprovalStep.objects.count()) == (0, 0)


def test_a_document_already_on_approval_is_not_sent_again(
    manager: User, colleague: User, head_of_sales: User, document: Document
) -> None:
    assert post(manager, send_url(document), {"approvers": [colleague.pk]}).status_code == 201
    again = post(manager, send_url(document), {"approvers": [head_of_sales.pk]})
    assert (again.status_code, again.json()) == (400, {"approvers": ["The document is already on approval."]})
    assert ApprovalStep.objects.get().approver == colleague


@pytest.mark.parametrize(("persona", "status"), [("team_lead", 403), ("outsider", 404), ("colleague", 404)])
def test_only_who_may_change_the_deal_sends_its_document(
    persona: str, status: int, request: pytest.FixtureRequest, head_of_sales: User, document: Document
) -> None:
    user: User = request.getfixturevalue(persona)
    assert post(user, send_url(document), {"approvers": [head_of_sales.pk]}).status_code == status
    assert ApprovalRoute.objects.count() == 0


def test_only_the_approver_whose_turn_it_is_may_decide(
    manager: User, colleague: User, head_of_sales: User, document: Document
) -> None:
    route = services.approval_route_start(actor=manager, document=document, approvers=[colleague, head_of_sales])
    first, second = route.steps.order_by("order")
    # The second approver is not asked yet; the sender and a stranger are not asked at all: all look missing.
    assert post(head_of_sales, decide_url(second), {"decision": "approved"}).status_code == 404
    assert post(manager, decide_url(first), {"decision": "approved"}).status_code == 404
    bad = post(colleague, decide_url(first), {"decision": "maybe"})
    assert (bad.status_code, list(bad.json())) == (400, ["decision"])
    assert post(colleague, decide_url(first), {"decision": "approved"}).status_code == 200
    # A decided step cannot be decided again.
    assert post(colleague, decide_url(first), {"decision": "rejected", "comment": "Передумала"}).status_code == 404
    assert list(route.steps.order_by("order").values_list("decision", flat=True)) == ["approved", "pending"]


def test_the_approver_can_open_the_document_they_are_asked_about(
    manager: User, outsider: User, document: Document
) -> None:
    url = reverse("api:document-detail", args=[document.pk])
    assert as_user(outsider).get(url).status_code == 404
    services.approval_route_start(actor=manager, document=document, approvers=[outsider])
    response = as_user(outsider).get(url)
    assert (response.status_code, response.json()["routes"][0]["steps"][0]["approver"]) == (200, outsider.pk)
