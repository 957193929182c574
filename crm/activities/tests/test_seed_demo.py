"""The demo data generator: every row it writes in bulk is one the services would have accepted."""

import datetime

import pytest
from django.core.management import call_command
from django.core.validators import validate_email
from django.db.models import F, Max, Q
from django.utils import timezone

from crm.accounts import roles
from crm.accounts.models import User
from crm.activities.choices import TaskStatus
from crm.activities.models import Interaction, Task
from crm.core.phones import national_digits, to_e164
from crm.parties.choices import ContactKind, LegalForm, PartyKind, Relationship
from crm.parties.models import Classifier, ClassifierNode, ContactPoint, Party, PartyClassification, PartyContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", parties=200, seed=7, interactions_per_party=5, verbosity=0)


def test_every_party_passes_full_clean_and_keeps_derived_fields(seeded: None) -> None:
    parties = list(Party.objects.all())
    assert len(parties) == 200
    fields = [f.attname for f in Party._meta.concrete_fields if f.attname != "updated_at"]
    for party in parties:
        before = {f: getattr(party, f) for f in fields}
        party.full_clean()  # raises on a wrong INN, KPP, OGRN, BIK or account key
        # clean() derives the person's name, birthday_key and search columns: seeding set them the same way.
        assert {f: getattr(party, f) for f in fields} == before, party.pk


def test_organisations_carry_complete_requisites(seeded: None) -> None:
    organisations = Party.objects.filter(kind=PartyKind.ORGANIZATION)
    assert organisations.count() == 90
    for org in organisations:
        assert all((org.inn, org.ogrn, org.bik, org.account, org.correspondent_account, org.bank_name)), org.pk
        if org.legal_form == LegalForm.IP:
            assert (len(org.inn), len(org.ogrn), org.kpp) == (12, 15, "")
        else:
            assert (len(org.inn), len(org.ogrn), org.kpp[:4]) == (10, 13, org.inn[:4])


def test_phones_are_e164_and_searchable_by_national_digits(seeded: None) -> None:
    phones = ContactPoint.objects.filter(kind=ContactKind.PHONE)
    assert phones.count() >= 200
    for phone in phones:
        assert to_e164(phone.value) == phone.value
        assert national_digits(phone.value) == phone.search_key


def test_emails_are_valid_and_searchable_lower_cased(seeded: None) -> None:
    emails = ContactPoint.objects.filter(kind=ContactKind.EMAIL)
    assert emails.count() >= 90
    for email in emails:
        validate_email(email.value)
        assert email.search_key == email.value.lower()


def test_every_party_has_a_responsible_manager_in_a_team(seeded: None) -> None:
    assert not Party.objects.filter(responsible__team__isnull=True).exists()
    managers = User.objects.filter(groups__name=roles.SALES_MANAGER)
    assert set(managers.values_list("team__name", flat=True)) == {"Отдел продаж 1", "Отдел продаж 2"}
    for lead in ("lead1", "lead2"):
        assert User.objects.get(username=lead).led_teams.count() == 1


def test_contact_persons_work_for_organisations(seeded: None) -> None:
    contacts = Party.objects.filter(relationship=Relationship.CONTACT)
    assert contacts.count() == 80
    assert not contacts.filter(employer_links__isnull=True).exists()
    assert not PartyContact.objects.exclude(organization__kind=PartyKind.ORGANIZATION).exists()
    assert not PartyContact.objects.filter(position="").exists()
    linked = PartyContact.objects.values("organization").distinct().count()
    assert linked == PartyContact.objects.filter(is_primary=True).count()


def test_some_contact_persons_have_birthdays_this_week(seeded: None) -> None:
    today = timezone.localdate()
    week = [today - datetime.timedelta(days=today.weekday() - n) for n in range(7)]
    keys = [d.month * 100 + d.day for d in week]
    assert Party.objects.filter(kind=PartyKind.PERSON, birthday_key__in=keys).exists()


def test_history_belongs_to_clients_and_is_in_the_past(seeded: None) -> None:
    interactions = Interaction.objects.all()
    assert 600 <= interactions.count() <= 1400
    assert not interactions.filter(party__relationship=Relationship.CONTACT).exists()
    assert not interactions.filter(occurred_at__gt=timezone.now()).exists()
    assert not interactions.exclude(participants=F("author")).exists()
    with_contact = interactions.filter(contact_person__isnull=False)
    assert with_contact.exists()
    assert not with_contact.exclude(contact_person__employer_links__organization=F("party")).exists()


def test_each_manager_has_tasks_due_today_and_overdue(seeded: None) -> None:
    now = timezone.now()
    today = timezone.localdate()
    for manager in User.objects.filter(groups__name=roles.SALES_MANAGER):
        open_tasks = Task.objects.filter(assignees=manager, status=TaskStatus.OPEN)
        due_today = open_tasks.filter(due_at__date=today)
        overdue = open_tasks.filter(due_at__lt=now).exclude(due_at__date=today)
        assert due_today.count() >= 3, manager.username
        assert overdue.count() >= 3, manager.username
    assert Task.objects.filter(status=TaskStatus.DONE, done_at__isnull=False).exists()


def test_classifier_trees_are_materialised(seeded: None) -> None:
    shipped = {"Причины проигрыша"}  # the sales migration's lost reasons
    assert set(Classifier.objects.values_list("name", flat=True)) - shipped == {
        "Температура",
        "Лояльность",
        "Размер",
        "Отрасль",
    }
    for node in ClassifierNode.objects.select_related("parent"):
        expected = f"{node.parent.path if node.parent else ''}{node.pk}/"
        assert (node.path, node.depth) == (expected, node.parent.depth + 1 if node.parent else 0)
    assert ClassifierNode.objects.filter(classifier__name="Отрасль").aggregate(Max("depth"))["depth__max"] >= 2
    clients = Party.objects.exclude(relationship=Relationship.CONTACT)
    temperature = PartyClassification.objects.filter(node__classifier__name="Температура")
    assert temperature.count() == clients.count() == 120


def test_running_again_adds_parties_and_reuses_users_and_classifiers(seeded: None) -> None:
    users, nodes = User.objects.count(), ClassifierNode.objects.count()
    call_command("seed_demo", parties=50, seed=8, verbosity=0)
    assert (Party.objects.count(), User.objects.count(), ClassifierNode.objects.count()) == (250, users, nodes)
    assert not Party.objects.filter(Q(kind=PartyKind.ORGANIZATION) & ~Q(inn__regex=r"^\d{10}(\d{2})?$")).exists()
    assert User.objects.get(username="manager1").check_password("demo12345")
