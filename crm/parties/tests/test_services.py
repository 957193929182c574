"""Writes to clients: requisites checksums, phones, custom fields, versions, history, trash, reassign, merge."""

import pytest
from django.core.exceptions import ValidationError

from crm.accounts.models import User
from crm.activities.models import Interaction, InteractionType, Task
from crm.activities.services import interaction_log, task_create
from crm.parties import services
from crm.parties.choices import ContactKind, CustomFieldType, PartyKind
from crm.parties.models import ClassifierNode, ContactPoint, Party, PartyClassification, PartyContact, PartyEvent
from crm.parties.tests.factories import (
    VALID_ACCOUNT,
    VALID_BIK,
    VALID_CORRESPONDENT_ACCOUNT,
    VALID_INN,
    VALID_KPP,
    VALID_OGRN,
    ClassifierFactory,
    ClassifierNodeFactory,
    ContactPointFactory,
    CustomFieldFactory,
    PartyContactFactory,
    PartyFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

VALID_ORG = {
    "kind": PartyKind.ORGANIZATION,
    "name": "ООО Ромашка",
    "legal_form": "ooo",
    "inn": VALID_INN,
    "kpp": VALID_KPP,
    "ogrn": VALID_OGRN,
    "bik": VALID_BIK,
    "account": VALID_ACCOUNT,
    "correspondent_account": VALID_CORRESPONDENT_ACCOUNT,
}


def test_create_organisation_with_valid_requisites_records_creation(manager: User) -> None:
    party = services.party_create(actor=manager, data=VALID_ORG)
    party.refresh_from_db()
    assert (party.name, party.inn, party.responsible, party.created_by, party.version) == (
        "ООО Ромашка", VALID_INN, manager, manager, 1,
    )  # fmt: skip
    assert list(PartyEvent.objects.filter(party=party).values_list("kind", "actor", "data")) == [
        (PartyEvent.Kind.CREATED, manager.pk, {"name": "ООО Ромашка"})
    ]


@pytest.mark.parametrize(
    ("field", "value", "code", "message_part"),
    [
        ("inn", "7707083894", "invalid_inn", "ИНН"),
        ("inn", "770708389", "invalid_inn", "ИНН"),
        ("kpp", "77070100", "invalid_kpp", "КПП"),
        ("ogrn", "1027700132194", "invalid_ogrn", "ОГРН"),
        ("bik", "144525225", "invalid_bik", "БИК"),
        ("account", "40702810938000000002", "invalid_account", "БИК"),
        ("correspondent_account", "30101810400000000226", "invalid_account", "БИК"),
    ],
)
def test_create_refuses_a_wrong_checksum_naming_the_field(
    manager: User, field: str, value: str, code: str, message_part: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=manager, data={**VALID_ORG, field: value})
    assert list(caught.value.message_dict) == [field]
    assert caught.value.error_dict[field][0].code == code
    assert message_part in caught.value.message_dict[field][0]  # the (Russian) message names the field
    assert Party.objects.count() == 0
    assert PartyEvent.objects.count() == 0


def test_person_inn_of_twelve_digits_is_accepted_but_not_for_a_legal_entity(manager: User) -> None:
    person = services.party_create(
        actor=manager,
        data={"kind": PartyKind.PERSON, "last_name": "Петров", "first_name": "Пётр", "inn": "500100732259"},
    )
    assert person.name == "Петров Пётр"
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=manager, data={**VALID_ORG, "inn": "500100732259"})
    assert list(caught.value.message_dict) == ["inn"]


def test_requisites_with_spaces_are_stored_without_them(manager: User) -> None:
    party = services.party_create(actor=manager, data={**VALID_ORG, "inn": "7707 083 893", "bik": " 044525225 "})
    party.refresh_from_db()
    assert (party.inn, party.bik) == (VALID_INN, VALID_BIK)


@pytest.mark.parametrize("raw", ["8 (916) 123-45-67", "+7 916 123 45 67", "89161234567", "+79161234567"])
def test_phones_are_stored_in_e164_and_searched_by_national_digits(manager: User, raw: str) -> None:
    party = services.party_create(
        actor=manager, data=VALID_ORG, contact_points=[{"kind": ContactKind.PHONE, "value": raw}]
    )
    point = ContactPoint.objects.get(party=party)
    assert (point.value, point.search_key) == ("+79161234567", "9161234567")


def test_an_invalid_phone_is_refused_and_nothing_is_created(manager: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.party_create(actor=manager, data=VALID_ORG, contact_points=[{"kind": "phone", "value": "12"}])
    assert list(caught.value.message_dict) == ["value"]
    assert (Party.objects.count(), ContactPoint.objects.count()) == (0, 0)


def test_emails_keep_their_case_and_are_searched_lower_cased(manager: User) -> None:
    party = PartyFactory(responsible=manager)
    point = services.contact_point_add(actor=manager, party=party, kind="email", value=" Ivan@Example.COM ")
    assert (point.value, point.search_key) == ("Ivan@Example.COM", "ivan@example.com")
    event = PartyEvent.objects.get(party=party)
    assert (event.kind, event.data) == (PartyEvent.Kind.CONTACT_ADDED, {"kind": "email", "value": "Ivan@Example.COM"})


def test_custom_fields_are_validated_by_type(manager: User) -> None:
    CustomFieldFactory(key="employees", label="Сотрудников", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(key="founded", label="Основана", field_type=CustomFieldType.DATE)
    CustomFieldFactory(key="tier", label="Уровень", field_type=CustomFieldType.CHOICE, options=["A", "B"])
    CustomFieldFactory(key="inn_note", label="Обязательное", field_type=CustomFieldType.TEXT, is_required=True)
    party = services.party_create(
        actor=manager,
        data=VALID_ORG,
        custom_data={"employees": "1 200", "founded": "2001-02-03", "tier": "B", "inn_note": "есть"},
    )
    assert party.custom_data == {"employees": 1200, "founded": "2001-02-03", "tier": "B", "inn_note": "есть"}
    with pytest.raises(ValidationError) as caught:
        services.party_create(
            actor=manager,
            data={**VALID_ORG, "name": "ООО Другая"},
            custom_data={"employees": "много", "founded": "вчера", "tier": "C", "unknown": "1"},
        )
    assert sorted(caught.value.message_dict) == [
        "custom_employees", "custom_founded", "custom_inn_note", "custom_tier", "custom_unknown",
    ]  # fmt: skip
    assert Party.objects.count() == 1


def test_custom_fields_of_persons_do_not_apply_to_organisations(manager: User) -> None:
    CustomFieldFactory(key="hobby", target="person", is_required=True)
    party = services.party_create(actor=manager, data=VALID_ORG)
    assert party.custom_data == {}


def test_update_records_each_changed_field_with_old_and_new_values(manager: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Старое", region="Москва")
    services.party_update(
        actor=manager, party=party, data={"name": "ООО Новое", "region": "Тверь", "notes": ""}, expected_version=1
    )
    party.refresh_from_db()
    assert (party.name, party.region, party.version) == ("ООО Новое", "Тверь", 2)
    event = PartyEvent.objects.get(party=party)
    assert (event.kind, event.actor) == (PartyEvent.Kind.CHANGED, manager)
    assert [(c["field"], c["old"], c["new"]) for c in event.data["changes"]] == [
        ("name", "ООО Старое", "ООО Новое"),
        ("region", "Москва", "Тверь"),
    ]


def test_update_with_a_stale_version_is_refused_and_changes_nothing(manager: User, colleague: User) -> None:
    party = PartyFactory(responsible=manager, name="ООО Было")
    services.party_update(
        actor=manager, party=Party.objects.get(pk=party.pk), data={"region": "Тула"}, expected_version=1
    )
    stale = Party.objects.get(pk=party.pk)
    with pytest.raises(ValidationError) as caught:
        services.party_update(actor=manager, party=stale, data={"name": "ООО Стало"}, expected_version=1)
    assert caught.value.code == "stale"
    party.refresh_from_db()
    assert (party.name, party.region, party.version) == ("ООО Было", "Тула", 2)
    assert PartyEvent.objects.filter(party=party).count() == 1


def test_update_with_a_bad_checksum_changes_nothing(manager: User) -> None:
    party = PartyFactory(responsible=manager, inn=VALID_INN)
    with pytest.raises(ValidationError):
        services.party_update(
            actor=manager, party=Party.objects.get(pk=party.pk), data={"inn": "1234567890"}, expected_version=1
        )
    party.refresh_from_db()
    assert (party.inn, party.version, PartyEvent.objects.count()) == (VALID_INN, 1, 0)


def test_custom_field_changes_are_recorded(manager: User) -> None:
    CustomFieldFactory(key="tier", field_type=CustomFieldType.CHOICE, options=["A", "B"])
    party = PartyFactory(responsible=manager, custom_data={"tier": "A"})
    services.party_update(actor=manager, party=party, data={}, expected_version=1, custom_data={"tier": "B"})
    changes = PartyEvent.objects.get(party=party).data["changes"]
    assert [(c["field"], c["old"], c["new"]) for c in changes] == [("custom:tier", "A", "B")]


def test_trash_and_restore_keep_the_client_and_record_both(manager: User, administrator: User) -> None:
    party = PartyFactory(responsible=manager)
    services.party_delete(actor=manager, party=party)
    party.refresh_from_db()
    assert (party.is_deleted, party.deleted_by) == (True, manager)
    services.party_restore(actor=administrator, party=party)
    party.refresh_from_db()
    assert (party.is_deleted, party.deleted_at, party.deleted_by) == (False, None, None)
    assert list(PartyEvent.objects.filter(party=party).order_by("pk").values_list("kind", "actor")) == [
        (PartyEvent.Kind.DELETED, manager.pk),
        (PartyEvent.Kind.RESTORED, administrator.pk),
    ]


def test_reassign_single_client_moves_its_contact_persons_of_the_same_manager(
    manager: User, colleague: User, head_of_sales: User
) -> None:
    link = PartyContactFactory(organization__responsible=manager)
    foreign_person = PersonFactory(responsible=head_of_sales)
    PartyContactFactory(organization=link.organization, person=foreign_person)
    moved = services.party_reassign(
        actor=head_of_sales, parties=Party.objects.filter(pk=link.organization.pk), responsible=colleague
    )
    assert moved == 1
    assert Party.objects.get(pk=link.organization.pk).responsible == colleague
    assert Party.objects.get(pk=link.person.pk).responsible == colleague
    assert Party.objects.get(pk=foreign_person.pk).responsible == head_of_sales
    event = PartyEvent.objects.get(party=link.organization)
    assert (event.kind, event.data) == (PartyEvent.Kind.REASSIGNED, {"old": str(manager), "new": str(colleague)})


def test_bulk_reassign_counts_only_clients_that_moved(manager: User, colleague: User, head_of_sales: User) -> None:
    mine = PartyFactory.create_batch(3, responsible=manager)
    already = PartyFactory(responsible=colleague)
    moved = services.party_reassign(
        actor=head_of_sales,
        parties=Party.objects.filter(pk__in=[p.pk for p in [*mine, already]]),
        responsible=colleague,
    )
    assert moved == 3
    assert set(Party.objects.values_list("responsible", flat=True)) == {colleague.pk}
    assert PartyEvent.objects.filter(kind=PartyEvent.Kind.REASSIGNED).count() == 3


def test_reassign_to_a_deactivated_user_is_refused(manager: User, colleague: User, head_of_sales: User) -> None:
    party = PartyFactory(responsible=manager)
    colleague.is_active = False
    colleague.save()
    with pytest.raises(ValidationError) as caught:
        services.party_reassign(actor=head_of_sales, parties=Party.objects.all(), responsible=colleague)
    assert list(caught.value.message_dict) == ["responsible"]
    party.refresh_from_db()
    assert party.responsible == manager


def test_merge_keeps_everything_of_the_duplicate(manager: User, head_of_sales: User) -> None:
    call = InteractionType.objects.get(code="call")
    keep = PartyFactory(responsible=manager, name="ООО Ромашка", region="")
    duplicate = PartyFactory(responsible=manager, name="Ромашка ООО", region="Тверь", industry="IT")
    ContactPointFactory(party=keep, value="+79161234567")
    ContactPointFactory(party=duplicate, value="+79161234567")  # the same phone: kept once
    other_phone = ContactPointFactory(party=duplicate, value="+79167654321")
    email = ContactPointFactory(party=duplicate, kind="email", value="info@romashka.ru", search_key="info@romashka.ru")
    tree = ClassifierFactory()
    shared, own = ClassifierNodeFactory(classifier=tree), ClassifierNodeFactory(classifier=tree)
    PartyClassification.objects.create(party=keep, node=shared)
    PartyClassification.objects.create(party=duplicate, node=shared)
    PartyClassification.objects.create(party=duplicate, node=own)
    person = PartyContactFactory(organization=duplicate).person
    services.party_update(actor=manager, party=duplicate, data={"notes": "важный"}, expected_version=1)
    interaction = interaction_log(actor=manager, party=duplicate, type=call, subject="Звонок")
    import datetime

    from django.utils import timezone

    task = task_create(
        actor=manager, title="Перезвонить", due_at=timezone.now() + datetime.timedelta(days=1), party=duplicate
    )
    duplicate_events = set(PartyEvent.objects.filter(party=duplicate).values_list("pk", flat=True))

    services.party_merge(actor=head_of_sales, keep=keep, duplicate=duplicate)

    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert (keep.region, keep.industry, keep.notes, keep.version) == ("Тверь", "IT", "важный", 2)
    assert duplicate.is_deleted
    assert sorted(keep.contact_points.values_list("value", flat=True)) == sorted(
        ["+79161234567", other_phone.value, email.value]
    )
    assert set(keep.classifications.values_list("node_id", flat=True)) == {shared.pk, own.pk}
    assert list(PartyContact.objects.filter(organization=keep).values_list("person_id", flat=True)) == [person.pk]
    assert duplicate_events <= set(PartyEvent.objects.filter(party=keep).values_list("pk", flat=True))
    assert PartyEvent.objects.filter(party=keep, kind=PartyEvent.Kind.MERGED).get().data == {
        "merged": "Ромашка ООО", "merged_id": duplicate.pk,
    }  # fmt: skip
    assert Interaction.objects.get(pk=interaction.pk).party_id == keep.pk
    assert Task.objects.get(pk=task.pk).party_id == keep.pk
    assert not ContactPoint.objects.filter(party=duplicate).exists()
    assert not PartyClassification.objects.filter(party=duplicate).exists()


def test_merge_of_persons_keeps_their_employers(manager: User, head_of_sales: User) -> None:
    keep = PersonFactory(responsible=manager)
    link = PartyContactFactory(organization__responsible=manager, person__responsible=manager)
    services.party_merge(actor=head_of_sales, keep=keep, duplicate=link.person)
    assert list(PartyContact.objects.values_list("organization_id", "person_id")) == [(link.organization.pk, keep.pk)]


def test_merge_of_an_organisation_and_a_person_is_refused(manager: User, head_of_sales: User) -> None:
    organisation, person = PartyFactory(responsible=manager), PersonFactory(responsible=manager)
    with pytest.raises(ValidationError):
        services.party_merge(actor=head_of_sales, keep=organisation, duplicate=person)
    person.refresh_from_db()
    assert not person.is_deleted


def test_classifier_nodes_get_materialised_paths_and_delete_takes_the_subtree(administrator: User) -> None:
    tree = services.classifier_create(actor=administrator, name="Отрасль")
    other = services.classifier_create(actor=administrator, name="Температура")
    top = services.classifier_node_create(actor=administrator, classifier=tree, name="Производство")
    middle = services.classifier_node_create(actor=administrator, classifier=tree, name="Пищевое", parent=top)
    leaf = services.classifier_node_create(actor=administrator, classifier=tree, name="Молочное", parent=middle)
    sibling = services.classifier_node_create(actor=administrator, classifier=tree, name="Торговля")
    hot = services.classifier_node_create(actor=administrator, classifier=other, name="Горячий")
    assert (top.path, middle.path, leaf.path) == (
        f"{top.pk}/",
        f"{top.pk}/{middle.pk}/",
        f"{top.pk}/{middle.pk}/{leaf.pk}/",
    )
    assert (top.depth, middle.depth, leaf.depth) == (0, 1, 2)
    party = PartyFactory()
    services.party_set_classification(actor=administrator, party=party, nodes=[leaf, hot])
    # The party keeps its nodes and every ancestor, for the indexed "in X or below" filter.
    assert Party.objects.get(pk=party.pk).node_ids == sorted([top.pk, middle.pk, leaf.pk, hot.pk])

    services.classifier_node_delete(actor=administrator, node=middle)

    remaining = ClassifierNode.objects.filter(classifier__in=[tree, other]).values_list("pk", flat=True)
    assert set(remaining) == {top.pk, sibling.pk, hot.pk}
    assert list(party.classifications.values_list("node_id", flat=True)) == [hot.pk]
    assert Party.objects.get(pk=party.pk).node_ids == [hot.pk]


def test_rebuilding_node_ids_in_bulk_matches_the_classifications(administrator: User) -> None:
    tree = services.classifier_create(actor=administrator, name="Отрасль")
    top = services.classifier_node_create(actor=administrator, classifier=tree, name="Производство")
    leaf = services.classifier_node_create(actor=administrator, classifier=tree, name="Пищевое", parent=top)
    placed, stale, bare = PartyFactory(), PartyFactory(), PartyFactory()
    # Rows written in bulk (as seed_demo and imports do) and a stale denormalised value.
    PartyClassification.objects.create(party=placed, node=leaf)
    Party.objects.filter(pk=stale.pk).update(node_ids=[top.pk])

    services.parties_rebuild_node_ids()

    assert dict(Party.objects.filter(pk__in=[placed.pk, stale.pk, bare.pk]).values_list("pk", "node_ids")) == {
        placed.pk: [top.pk, leaf.pk], stale.pk: [], bare.pk: [],
    }  # fmt: skip


def test_node_names_are_unique_per_level_and_parent_must_be_of_the_tree(administrator: User) -> None:
    tree = services.classifier_create(actor=administrator, name="Отрасль")
    other = services.classifier_create(actor=administrator, name="Другое")
    services.classifier_node_create(actor=administrator, classifier=tree, name="Торговля")
    with pytest.raises(ValidationError) as caught:
        services.classifier_node_create(actor=administrator, classifier=tree, name="Торговля")
    assert list(caught.value.message_dict) == ["name"]
    foreign = services.classifier_node_create(actor=administrator, classifier=other, name="Узел")
    with pytest.raises(ValidationError) as caught:
        services.classifier_node_create(actor=administrator, classifier=tree, name="Под", parent=foreign)
    assert list(caught.value.message_dict) == ["parent"]


def test_set_classification_records_added_and_removed_names(manager: User) -> None:
    party = PartyFactory(responsible=manager)
    a, b, c = ClassifierNodeFactory(name="А"), ClassifierNodeFactory(name="Б"), ClassifierNodeFactory(name="В")
    services.party_set_classification(actor=manager, party=party, nodes=[a, b])
    services.party_set_classification(actor=manager, party=party, nodes=[b, c])
    services.party_set_classification(actor=manager, party=party, nodes=[c, b])  # no change, no event
    events = PartyEvent.objects.filter(party=party, kind=PartyEvent.Kind.CLASSIFIED).order_by("pk")
    assert [e.data for e in events] == [{"added": ["А", "Б"], "removed": []}, {"added": ["В"], "removed": ["А"]}]


def test_contact_person_create_links_a_person_owned_by_the_organisations_manager(
    colleague: User, manager: User
) -> None:
    organisation = PartyFactory(responsible=manager)
    link = services.contact_person_create(
        actor=colleague, organization=organisation, data={"last_name": "Смирнова", "first_name": "Анна"},
        position="Бухгалтер", contact_points=[{"kind": "phone", "value": "8 (916) 123-45-67"}],
    )  # fmt: skip
    assert (link.person.name, link.person.kind, link.person.responsible, link.position) == (
        "Смирнова Анна", PartyKind.PERSON, manager, "Бухгалтер",
    )  # fmt: skip
    assert link.person.contact_points.get().value == "+79161234567"
