"""Every write to clients, their contacts, classifications and custom fields."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.core.models import field_value_for_history
from crm.core.phones import national_digits, to_e164
from crm.core.versioning import bump_version
from crm.parties.choices import ContactKind, CustomFieldTarget, CustomFieldType, PartyKind
from crm.parties.fields import FIELD_GROUPS, GROUPS
from crm.parties.models import (
    Classifier,
    ClassifierNode,
    ContactPoint,
    CustomField,
    Party,
    PartyClassification,
    PartyContact,
    PartyEvent,
)

# Fields a user edits on the card; the rest are derived or managed by dedicated services.
EDITABLE_FIELDS = (
    "kind", "name", "full_name", "legal_form", "last_name", "first_name", "middle_name", "birthday",
    "inn", "kpp", "ogrn", "bank_name", "bik", "account", "correspondent_account", "industry", "region",
    "size", "relationship", "source", "source_detail", "triggering_event", "purchase_probability", "notes",
)  # fmt: skip


def _custom_target(party: Party) -> str:
    return CustomFieldTarget.ORGANIZATION if party.kind == PartyKind.ORGANIZATION else CustomFieldTarget.PERSON


def clean_custom_data(party: Party, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate custom field values against their definitions; unknown keys are refused."""
    fields = {f.key: f for f in CustomField.objects.filter(target=_custom_target(party), is_active=True)}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key in raw:
        if key not in fields:
            errors[f"custom_{key}"] = _("There is no custom field %(key)s.") % {"key": key}
    for key, field in fields.items():
        value = raw.get(key, party.custom_data.get(key))
        if value in (None, ""):
            if field.is_required:
                errors[f"custom_{key}"] = _("%(label)s is required.") % {"label": field.label}
            continue
        try:
            cleaned[key] = _clean_custom_value(field, value)
        except (ValueError, InvalidOperation):
            errors[f"custom_{key}"] = _("%(label)s: enter a valid %(type)s.") % {
                "label": field.label,
                "type": field.get_field_type_display(),
            }
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_custom_value(field: CustomField, value: Any) -> Any:
    if field.field_type == CustomFieldType.NUMBER:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
        if not number.is_finite():
            raise ValueError(value)
        return float(number) if number != number.to_integral_value() else int(number)
    if field.field_type == CustomFieldType.DATE:
        return (
            value.isoformat()
            if isinstance(value, datetime.date)
            else datetime.date.fromisoformat(str(value)).isoformat()
        )
    if field.field_type == CustomFieldType.CHOICE:
        if str(value) not in field.options:
            raise ValueError(value)
        return str(value)
    return str(value)[:1000]


def _record(party: Party, actor: User | None, event_kind: str, **data: Any) -> PartyEvent:
    return PartyEvent.objects.create(party=party, actor=actor, kind=event_kind, data=data)


def _changes(before: Mapping[str, Any], party: Party, fields: Iterable[str]) -> list[dict[str, Any]]:
    changes = []
    for field in fields:
        old, new = before.get(field), getattr(party, field)
        if old != new:
            label = str(getattr(Party._meta.get_field(field), "verbose_name", field))
            changes.append(
                {
                    "field": field,
                    "label": label,
                    "old": field_value_for_history(old),
                    "new": field_value_for_history(new),
                }
            )
    return changes


@transaction.atomic
def party_create(
    *,
    actor: User,
    data: Mapping[str, Any],
    responsible: User | None = None,
    contact_points: Iterable[Mapping[str, Any]] = (),
    custom_data: Mapping[str, Any] | None = None,
    nodes: Iterable[ClassifierNode] = (),
    co_owners: Iterable[User] = (),
) -> Party:
    """Create a client of either form with its contacts and classification; the actor owns it by default."""
    party = Party(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    party.responsible = responsible or actor
    party.created_by = actor
    party.custom_data = clean_custom_data(party, custom_data or {})
    party.full_clean()
    party.save()
    for point in contact_points:
        contact_point_add(actor=actor, party=party, record=False, **point)
    if co_owners:
        party.co_owners.set(co_owners)
    chosen = list(nodes)
    for node in chosen:
        PartyClassification.objects.get_or_create(party=party, node=node)
    if chosen:
        party_refresh_node_ids(party)
    _record(party, actor, PartyEvent.Kind.CREATED, name=party.name)
    return party


@transaction.atomic
def party_update(
    *,
    actor: User,
    party: Party,
    data: Mapping[str, Any],
    expected_version: int | None,
    custom_data: Mapping[str, Any] | None = None,
    co_owners: Iterable[User] | None = None,
) -> Party:
    """Change a client's fields; refused if someone saved it since `expected_version`."""
    fields = [k for k in data if k in EDITABLE_FIELDS and k != "kind"]
    before = {f: getattr(party, f) for f in (*fields, "name")}
    before_custom = dict(party.custom_data)
    for field in fields:
        setattr(party, field, data[field])
    if custom_data is not None:
        party.custom_data = clean_custom_data(party, custom_data)
    party.full_clean()
    bump_version(party, expected_version)
    party.save()
    changes = _changes(before, party, sorted({*fields, "name"}))
    for key in sorted(set(before_custom) | set(party.custom_data)):
        if before_custom.get(key) != party.custom_data.get(key):
            changes.append(
                {
                    "field": f"custom:{key}",
                    "label": key,
                    "old": before_custom.get(key),
                    "new": party.custom_data.get(key),
                }
            )
    if co_owners is not None:
        old_owners = sorted(str(u) for u in party.co_owners.all())
        party.co_owners.set(list(co_owners))
        new_owners = sorted(str(u) for u in party.co_owners.all())
        if old_owners != new_owners:
            label = str(Party._meta.get_field("co_owners").verbose_name)
            changes.append(
                {"field": "co_owners", "label": label, "old": ", ".join(old_owners), "new": ", ".join(new_owners)}
            )
    if changes:
        _record(party, actor, PartyEvent.Kind.CHANGED, changes=changes)
    return party


@transaction.atomic
def party_delete(*, actor: User, party: Party) -> Party:
    """Move a client to the trash; nothing is lost and an administrator can restore it."""
    party.is_deleted, party.deleted_at, party.deleted_by = True, timezone.now(), actor
    party.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record(party, actor, PartyEvent.Kind.DELETED)
    return party


@transaction.atomic
def party_restore(*, actor: User, party: Party) -> Party:
    party.is_deleted, party.deleted_at, party.deleted_by = False, None, None
    party.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
    _record(party, actor, PartyEvent.Kind.RESTORED)
    return party


def normalize_contact(kind: str, value: str) -> tuple[str, str]:
    """The stored value and the search key of a contact point, or a ValidationError naming the field."""
    value = value.strip()
    if not value:
        raise ValidationError({"value": _("Enter a value.")})
    if kind == ContactKind.PHONE:
        e164 = to_e164(value)
        if e164 is None:
            raise ValidationError({"value": _("%(value)s is not a valid phone number.") % {"value": value}})
        return e164, national_digits(e164)
    if kind == ContactKind.EMAIL:
        from django.core.validators import validate_email

        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError({"value": _("%(value)s is not a valid e-mail address.") % {"value": value}}) from None
        return value, value.lower()
    if kind == ContactKind.MESSENGER:
        return value, value.lower().lstrip("@")
    return value, value.lower()[:320]


def contact_point_add(
    *,
    actor: User,
    party: Party,
    kind: str,
    value: str,
    label: str = "",
    is_primary: bool = False,
    confirmed_at: datetime.datetime | None = None,
    record: bool = True,
) -> ContactPoint:
    """Add a phone, e-mail, site, messenger or address to a party."""
    if kind not in ContactKind.values:
        raise ValidationError({"kind": _("Unknown contact type.")})
    stored, key = normalize_contact(kind, value)
    point = ContactPoint(
        party=party, kind=kind, label=label, value=stored, search_key=key, is_primary=is_primary,
        confirmed_at=confirmed_at or timezone.now(),
    )  # fmt: skip
    point.full_clean(exclude=["search_key"])
    point.save()
    if record:
        _record(party, actor, PartyEvent.Kind.CONTACT_ADDED, kind=kind, value=stored)
    return point


@transaction.atomic
def contact_point_update(*, actor: User, point: ContactPoint, value: str, label: str, is_primary: bool) -> ContactPoint:
    old = point.value
    point.value, point.search_key = normalize_contact(point.kind, value)
    point.label, point.is_primary = label, is_primary
    point.confirmed_at = timezone.now()
    point.save()
    _record(point.party, actor, PartyEvent.Kind.CONTACT_CHANGED, kind=point.kind, old=old, new=point.value)
    return point


@transaction.atomic
def contact_point_confirm(*, actor: User, point: ContactPoint) -> ContactPoint:
    """Mark a contact point as checked today (S15)."""
    point.confirmed_at = timezone.now()
    point.save(update_fields=["confirmed_at", "updated_at"])
    return point


@transaction.atomic
def contact_point_remove(*, actor: User, point: ContactPoint) -> None:
    _record(point.party, actor, PartyEvent.Kind.CONTACT_REMOVED, kind=point.kind, value=point.value)
    point.delete()


def _ancestor_ids(paths: Iterable[str]) -> list[int]:
    return sorted({int(part) for path in paths for part in path.strip("/").split("/") if part})


def party_refresh_node_ids(party: Party) -> None:
    """Recompute the party's denormalised `node_ids` (its nodes and all their ancestors)."""
    paths = ClassifierNode.objects.filter(classifications__party=party).values_list("path", flat=True)
    party.node_ids = _ancestor_ids(paths)
    Party.objects.filter(pk=party.pk).update(node_ids=party.node_ids)


def parties_refresh_co_owner_ids(party_ids: Iterable[int]) -> None:
    """Copy these parties' co-owners into `co_owner_ids` (indexed with the manager on PostgreSQL, migration 0008)."""
    ids = set(party_ids)
    owners: dict[int, list[int]] = {party_id: [] for party_id in ids}
    rows = Party.co_owners.through.objects.filter(party_id__in=ids).order_by("user_id")
    for party_id, user_id in rows.values_list("party_id", "user_id"):
        owners[party_id].append(user_id)
    for party_id, user_ids in owners.items():
        Party.objects.filter(pk=party_id).update(co_owner_ids=user_ids)


def copy_co_owners(
    sender: type, instance: Party | User, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: object
) -> None:
    """m2m_changed of Party.co_owners, whoever writes it (services, forms, tests): keep `co_owner_ids` equal."""
    if action == "pre_clear" and reverse:
        instance._cleared_party_ids = list(instance.co_owned_parties.values_list("pk", flat=True))  # type: ignore[union-attr]
    elif action in ("post_add", "post_remove", "post_clear"):
        if not reverse:
            parties_refresh_co_owner_ids([instance.pk])
            if isinstance(instance, Party):  # the instance in hand too: a later save() of it keeps the copy
                instance.co_owner_ids = sorted(instance.co_owners.values_list("pk", flat=True))
        elif action == "post_clear":
            parties_refresh_co_owner_ids(getattr(instance, "_cleared_party_ids", []))
        else:
            parties_refresh_co_owner_ids(pk_set or [])


def parties_rebuild_co_owner_ids() -> None:
    """Recompute `co_owner_ids` of every party: after bulk loads that wrote co-owners directly."""
    through = Party.co_owners.through
    with transaction.atomic():
        Party.objects.exclude(co_owner_ids=[]).update(co_owner_ids=[])
        owners: dict[int, list[int]] = {}
        for party_id, user_id in through.objects.values_list("party_id", "user_id").order_by("user_id").iterator():
            owners.setdefault(party_id, []).append(user_id)
        batch = [Party(pk=party_id, co_owner_ids=ids) for party_id, ids in owners.items()]
        Party.objects.bulk_update(batch, ["co_owner_ids"], batch_size=2000)


# PostgreSQL does the whole table in two statements; the path "3/17/42/" names a node and its ancestors.
_REBUILD_NODE_IDS_SQL = """
UPDATE parties_party p SET node_ids = s.ids
FROM (
    SELECT c.party_id, jsonb_agg(DISTINCT a.id::bigint ORDER BY a.id::bigint) AS ids
    FROM parties_partyclassification c
    JOIN parties_classifiernode n ON n.id = c.node_id
    CROSS JOIN LATERAL unnest(string_to_array(rtrim(n.path, '/'), '/')) AS a(id)
    {where}
    GROUP BY c.party_id
) s
WHERE p.id = s.party_id
"""


def parties_rebuild_node_ids(party_ids: list[int] | None = None) -> None:
    """Recompute `node_ids` for these parties (all when None): after bulk loads and subtree deletes."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if party_ids is None:
                    cursor.execute("UPDATE parties_party SET node_ids = '[]'::jsonb WHERE node_ids <> '[]'::jsonb")
                    cursor.execute(_REBUILD_NODE_IDS_SQL.format(where=""))
                else:
                    cursor.execute("UPDATE parties_party SET node_ids = '[]'::jsonb WHERE id = ANY(%s)", [party_ids])
                    cursor.execute(_REBUILD_NODE_IDS_SQL.format(where="WHERE c.party_id = ANY(%s)"), [party_ids])
            return
        targets = Party.objects.all() if party_ids is None else Party.objects.filter(pk__in=party_ids)
        paths: dict[int, list[str]] = {}
        rows = PartyClassification.objects.values_list("party_id", "node__path")
        if party_ids is not None:
            rows = rows.filter(party_id__in=party_ids)
        for party_id, path in rows.iterator(chunk_size=5000):
            paths.setdefault(party_id, []).append(path)
        batch: list[Party] = []
        for party in targets.only("pk", "node_ids").iterator(chunk_size=5000):
            wanted = _ancestor_ids(paths.get(party.pk, []))
            if party.node_ids != wanted:
                party.node_ids = wanted
                batch.append(party)
            if len(batch) >= 2000:
                Party.objects.bulk_update(batch, ["node_ids"])
                batch = []
        Party.objects.bulk_update(batch, ["node_ids"])


@transaction.atomic
def party_set_classification(*, actor: User, party: Party, nodes: Iterable[ClassifierNode]) -> Party:
    """Place the party in exactly these nodes (any number, across trees and within one)."""
    wanted = {node.pk: node for node in nodes}
    current = set(party.classifications.values_list("node_id", flat=True))
    added, removed = set(wanted) - current, current - set(wanted)
    if not (added or removed):
        return party
    party.classifications.filter(node_id__in=removed).delete()
    PartyClassification.objects.bulk_create([PartyClassification(party=party, node_id=pk) for pk in added])
    party_refresh_node_ids(party)
    names = dict(ClassifierNode.objects.filter(pk__in=added | removed).values_list("pk", "name"))
    _record(
        party, actor, PartyEvent.Kind.CLASSIFIED,
        added=sorted(names[pk] for pk in added), removed=sorted(names[pk] for pk in removed),
    )  # fmt: skip
    return party


@transaction.atomic
def contact_person_link(
    *, actor: User, organization: Party, person: Party, position: str = "", is_primary: bool = False
) -> PartyContact:
    """Make `person` a contact person of `organization` (a person may serve several organisations)."""
    if not organization.is_organization or person.is_organization:
        raise ValidationError(_("A contact person is an individual linked to a legal entity."))
    link, _created = PartyContact.objects.update_or_create(
        organization=organization, person=person, defaults={"position": position, "is_primary": is_primary}
    )
    _record(organization, actor, PartyEvent.Kind.PERSON_LINKED, person=person.name, position=position)
    return link


@transaction.atomic
def contact_person_create(
    *,
    actor: User,
    organization: Party,
    data: Mapping[str, Any],
    position: str = "",
    contact_points: Iterable[Mapping[str, Any]] = (),
    custom_data: Mapping[str, Any] | None = None,
) -> PartyContact:
    """Create a person as a contact of an organisation; the organisation's manager becomes responsible."""
    person = party_create(
        actor=actor,
        data={**data, "kind": PartyKind.PERSON, "relationship": "contact"},
        responsible=organization.responsible,
        contact_points=contact_points,
        custom_data=custom_data,
    )
    return contact_person_link(actor=actor, organization=organization, person=person, position=position)


@transaction.atomic
def contact_person_unlink(*, actor: User, link: PartyContact) -> None:
    _record(link.organization, actor, PartyEvent.Kind.PERSON_UNLINKED, person=link.person.name)
    link.delete()


@transaction.atomic
def party_reassign(*, actor: User, parties: QuerySet[Party], responsible: User) -> int:
    """Hand clients (and contact persons they share a manager with) to another manager (S24)."""
    if not responsible.is_active:
        raise ValidationError({"responsible": _("This user is deactivated.")})
    moved = 0
    # Lock by primary key: a filtered queryset may be DISTINCT, which PostgreSQL refuses to lock FOR UPDATE.
    locked = Party.objects.filter(pk__in=parties.values("pk")).select_related("responsible")
    for party in locked.select_for_update(of=("self",)).order_by("pk").iterator(chunk_size=500):
        if party.responsible_id == responsible.pk:
            continue
        previous = party.responsible
        persons = Party.objects.filter(employer_links__organization=party, responsible_id=previous.pk)
        persons.update(responsible=responsible, updated_at=timezone.now())
        party.responsible = responsible
        party.save(update_fields=["responsible", "updated_at"])
        _record(party, actor, PartyEvent.Kind.REASSIGNED, old=str(previous), new=str(responsible))
        moved += 1
    return moved


@transaction.atomic
def party_merge(*, actor: User, keep: Party, duplicate: Party) -> Party:
    """Merge `duplicate` into `keep`: every contact, link, classification and history row moves over (X2)."""
    if keep.pk == duplicate.pk:
        raise ValidationError(_("Choose two different clients to merge."))
    if keep.kind != duplicate.kind:
        raise ValidationError(_("A legal entity and an individual cannot be merged."))
    from django.apps import apps

    for field in EDITABLE_FIELDS:
        if not getattr(keep, field) and getattr(duplicate, field):
            setattr(keep, field, getattr(duplicate, field))
    keep.custom_data = {**duplicate.custom_data, **keep.custom_data}
    existing = {(p.kind, p.search_key) for p in keep.contact_points.all()}
    for point in duplicate.contact_points.all():
        if (point.kind, point.search_key) in existing:
            point.delete()
        else:
            point.party = keep
            point.save(update_fields=["party"])
    keep_nodes = set(keep.classifications.values_list("node_id", flat=True))
    duplicate.classifications.filter(node_id__in=keep_nodes).delete()
    duplicate.classifications.update(party=keep)
    for link in PartyContact.objects.filter(organization=duplicate):
        if PartyContact.objects.filter(organization=keep, person=link.person).exists():
            link.delete()
        else:
            PartyContact.objects.filter(pk=link.pk).update(organization=keep)
    for link in PartyContact.objects.filter(person=duplicate):
        if PartyContact.objects.filter(organization=link.organization, person=keep).exists():
            link.delete()
        else:
            PartyContact.objects.filter(pk=link.pk).update(person=keep)
    keep.co_owners.add(*duplicate.co_owners.all())
    PartyEvent.objects.filter(party=duplicate).update(party=keep)
    # Rows of higher apps that point at parties (interactions, tasks, ...) follow the kept client.
    for model in apps.get_models():
        if model._meta.app_label == "parties":
            continue
        for relation in model._meta.get_fields():
            if getattr(relation, "many_to_one", False) and getattr(relation, "related_model", None) is Party:
                model._default_manager.filter(**{relation.name: duplicate}).update(**{relation.name: keep})
    party_refresh_node_ids(keep)
    keep.full_clean()
    keep.version += 1
    keep.save()
    party_delete(actor=actor, party=duplicate)
    _record(keep, actor, PartyEvent.Kind.MERGED, merged=duplicate.name, merged_id=duplicate.pk)
    return keep


@transaction.atomic
def classifier_create(*, actor: User, name: str, description: str = "") -> Classifier:
    classifier = Classifier(name=name.strip(), description=description)
    classifier.full_clean()
    classifier.save()
    return classifier


@transaction.atomic
def classifier_node_create(
    *, actor: User, classifier: Classifier, name: str, parent: ClassifierNode | None = None
) -> ClassifierNode:
    """Add a node under `parent` (or at the top of the tree); depth is unlimited."""
    if parent is not None and parent.classifier_id != classifier.pk:
        raise ValidationError({"parent": _("The parent node belongs to another classifier.")})
    node = ClassifierNode(classifier=classifier, parent=parent, name=name.strip())
    node.full_clean(exclude=["path"])
    if ClassifierNode.objects.filter(classifier=classifier, parent=parent, name=node.name).exists():
        raise ValidationError({"name": _("This level already has a node with that name.")})
    node.save()
    node.path = f"{parent.path if parent else ''}{node.pk}/"
    node.depth = parent.depth + 1 if parent else 0
    node.save(update_fields=["path", "depth"])
    return node


@transaction.atomic
def classifier_node_rename(*, actor: User, node: ClassifierNode, name: str) -> ClassifierNode:
    node.name = name.strip()
    node.full_clean(exclude=["path"])
    node.save(update_fields=["name", "updated_at"])
    return node


@transaction.atomic
def classifier_node_delete(*, actor: User, node: ClassifierNode) -> None:
    """Delete a node with its subtree; clients placed there simply leave it."""
    subtree = ClassifierNode.objects.filter(classifier=node.classifier, path__startswith=node.path)
    affected = list(PartyClassification.objects.filter(node__in=subtree).values_list("party_id", flat=True).distinct())
    subtree.delete()
    parties_rebuild_node_ids(affected)


@transaction.atomic
def custom_field_save(*, actor: User, field: CustomField) -> CustomField:
    if field.field_type == CustomFieldType.CHOICE and not field.options:
        raise ValidationError({"options": _("A choice field needs at least one option.")})
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def field_access_set(*, actor: User, grants: Mapping[Group, Iterable[str]]) -> None:
    """Let each role named see exactly these groups of sensitive client data (X4); other roles keep theirs."""
    chosen = {role: set(codes) for role, codes in grants.items()}
    unknown = sorted({code for codes in chosen.values() for code in codes} - set(GROUPS))
    if unknown:
        raise ValidationError(_("Unknown groups of client data: %(codes)s.") % {"codes": ", ".join(unknown)})
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="parties", codename__in=[g.codename for g in FIELD_GROUPS]
        )
    }
    for role, codes in chosen.items():
        wanted = [permissions[GROUPS[code].codename] for code in codes]
        role.permissions.remove(*(p for p in permissions.values() if p not in wanted))
        role.permissions.add(*wanted)


# Events recorded for the apps built on clients (sales, documents, files), which may not write here directly.
RECORDABLE_EVENTS = {PartyEvent.Kind.DEAL_CREATED, PartyEvent.Kind.DOCUMENT_GENERATED, PartyEvent.Kind.FILE_ATTACHED}


@transaction.atomic
def party_record_event(
    *, actor: User | None, party: Party, kind: str, value: str, data: Mapping[str, Any]
) -> PartyEvent:
    """Write one line of the client's history for something a higher app did (a deal, a document, a file).

    `value` is what the timeline shows after the kind ("Deal opened: Поставка оборудования").
    """
    if kind not in RECORDABLE_EVENTS:
        raise ValueError(f"{kind!r} is not recorded by other apps")
    return PartyEvent.objects.create(party=party, actor=actor, kind=kind, data={**data, "value": value})
