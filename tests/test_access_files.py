"""Who may do what with files and the sales materials library: URL x method x persona (style guide 6, 10).

A file follows the record it is attached to: a client's file the client's rules, a deal's the deal's, an
interaction's the interaction's. Attaching and moving to the trash need the right to change the record (or to
log contacts with the client: a call-centre operator); the library is browsed by everyone and kept by the
roles holding `files.manage_sales_materials`. Columns are those of tests/access.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from crm.accounts.models import User
from crm.activities import services as activity_services
from crm.activities.models import Interaction, InteractionType
from crm.files import services
from crm.files.models import Attachment, FileEvent, SalesMaterial
from crm.files.tests.factories import grant_library_roles, make_deal, make_material, pdf_bytes, upload
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.sales.models import Deal, DealEvent
from tests.access import Case, anonymous_status, check_access, everyone, only, send_request


@dataclass
class FilesWorld:
    """A client, a deal and an interaction of `manager`, each with a file, and one material in the library."""

    party: Party
    deal: Deal
    interaction: Interaction
    party_file: Attachment
    deal_file: Attachment
    interaction_file: Attachment
    material: SalesMaterial


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def world(manager: User, head_of_sales: User) -> FilesWorld:
    grant_library_roles()
    party = PartyFactory(responsible=manager, name="ООО Ромашка")
    deal = make_deal(manager, party)
    call = InteractionType.objects.get(code="call")
    interaction = activity_services.interaction_log(actor=manager, party=party, type=call, subject="Звонок")

    def attach(record: Party | Deal | Interaction) -> Attachment:
        return services.attachment_upload(actor=manager, record=record, upload=upload("Файл.pdf", pdf_bytes()))

    return FilesWorld(
        party, deal, interaction, attach(party), attach(deal), attach(interaction), make_material(head_of_sales)
    )


FilesCase = Case[FilesWorld]

#              manager colleague lead outsider head marketer operator admin
SEE_PARTY = (200, 404, 200, 404, 200, 200, 200, 200)
SEE_DEAL = (200, 404, 200, 404, 200, 200, 404, 200)


def attach_party(ok: int) -> tuple[int, ...]:
    """Owner, head of sales, administrator change the client; an operator logs contacts with any client."""
    return (ok, 404, 403, 404, ok, 403, ok, ok)


def attach_deal(ok: int) -> tuple[int, ...]:
    return (ok, 404, 403, 404, ok, 403, 404, ok)


LIBRARY = ("head_of_sales", "marketer", "administrator")
PARTY: Callable[[FilesWorld], list[Any]] = lambda w: [w.party.pk]  # noqa: E731
DEAL: Callable[[FilesWorld], list[Any]] = lambda w: [w.deal.pk]  # noqa: E731
INTERACTION: Callable[[FilesWorld], list[Any]] = lambda w: [w.interaction.pk]  # noqa: E731
MATERIAL: Callable[[FilesWorld], list[Any]] = lambda w: [w.material.pk]  # noqa: E731


def _file(w: FilesWorld) -> dict[str, Any]:
    return {"file": upload("Новый.pdf", pdf_bytes())}


def _pick(w: FilesWorld) -> dict[str, Any]:
    return {"materials": [w.material.pk]}


MATERIAL_FORM = {"title": "Буклет", "category": "brochure", "description": "", "language": "ru", "is_active": "on"}

CASES: list[FilesCase] = [
    # fragments on the cards: GET lists, POST uploads
    Case("files:party-files", "get", SEE_PARTY, PARTY),
    Case("files:party-files", "post", attach_party(302), PARTY, _file),
    Case("files:party-attach-materials", "post", attach_party(302), PARTY, _pick),
    Case("files:deal-files", "get", SEE_DEAL, DEAL),
    Case("files:deal-files", "post", attach_deal(302), DEAL, _file),
    Case("files:deal-attach-materials", "post", attach_deal(302), DEAL, _pick),
    Case("files:interaction-files", "get", SEE_PARTY, INTERACTION),
    Case("files:interaction-files", "post", attach_party(302), INTERACTION, _file),
    # one file: downloads follow the record's visibility, the trash its change rule
    Case("files:attachment-download", "get", SEE_PARTY, lambda w: [w.party_file.pk]),
    Case("files:attachment-download", "get", SEE_DEAL, lambda w: [w.deal_file.pk]),
    Case("files:attachment-download", "get", SEE_PARTY, lambda w: [w.interaction_file.pk]),
    Case("files:attachment-delete", "post", attach_party(302), lambda w: [w.party_file.pk]),
    Case("files:attachment-delete", "post", attach_deal(302), lambda w: [w.deal_file.pk]),
    Case("files:attachment-delete", "post", attach_party(302), lambda w: [w.interaction_file.pk]),
    # the library
    Case("files:material-list", "get", everyone(200)),
    Case("files:material-download", "get", everyone(200), MATERIAL),
    Case("files:material-create", "get", only(200, *LIBRARY)),
    Case(
        "files:material-create",
        "post",
        only(302, *LIBRARY),
        data=lambda w: {**MATERIAL_FORM, "upload": _file(w)["file"]},
    ),
    Case("files:material-update", "get", only(200, *LIBRARY), MATERIAL),
    Case("files:material-update", "post", only(302, *LIBRARY), MATERIAL, MATERIAL_FORM),
    Case("files:material-deactivate", "post", only(302, *LIBRARY), MATERIAL),
    # API
    Case("api:party-attachment-list", "get", SEE_PARTY, PARTY),
    Case("api:party-attachment-list", "post", attach_party(201), PARTY, _file),
    Case("api:party-attachment-from-library", "post", attach_party(201), PARTY, _pick, json=True),
    Case("api:deal-attachment-list", "get", SEE_DEAL, DEAL),
    Case("api:deal-attachment-list", "post", attach_deal(201), DEAL, _file),
    Case("api:deal-attachment-from-library", "post", attach_deal(201), DEAL, _pick, json=True),
    Case("api:interaction-attachment-list", "get", SEE_PARTY, INTERACTION),
    Case("api:interaction-attachment-list", "post", attach_party(201), INTERACTION, _file),
    Case("api:attachment-detail", "get", SEE_PARTY, lambda w: [w.party_file.pk]),
    Case("api:attachment-detail", "delete", attach_deal(204), lambda w: [w.deal_file.pk]),
    Case("api:attachment-download", "get", SEE_DEAL, lambda w: [w.deal_file.pk]),
    Case("api:sales-material-list", "get", everyone(200)),
    Case("api:sales-material-download", "get", everyone(200), MATERIAL),
]


def _snapshot(world: FilesWorld) -> dict[str, Any]:
    """Everything a refused request could have changed."""
    return {
        "counts": {m.__name__: m._default_manager.count() for m in (Attachment, FileEvent, SalesMaterial, DealEvent)},
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "materials": list(SalesMaterial.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(request: pytest.FixtureRequest, world: FilesWorld, case: FilesCase) -> None:
    check_access(request, case, world, _snapshot)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.method == "get"], ids=lambda c: c.id)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, world: FilesWorld, case: FilesCase) -> None:
    assert send_request(client, case, world) == anonymous_status(case, {})
