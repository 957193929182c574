"""Leads (S24): intake validation, distribution by rules, manual assignment, qualification and rejection."""

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.parties.models import ContactPoint, Party, PartyContact, PartyEvent
from crm.parties.tests.factories import PartyFactory
from crm.sales.choices import DealSource, LeadChannel, LeadRuleKind, LeadStatus
from crm.sales.leads import services
from crm.sales.leads.access import can_change_lead, can_view_lead, get_lead_for, leads_visible_to
from crm.sales.leads.selectors import lead_client_candidates, lead_list_for, manager_loads
from crm.sales.models import Deal, Lead, LeadRule
from crm.sales.tests.conftest import Flow
from crm.sales.tests.factories import DealFactory, LostStageFactory

VALID_INN = "7707083893"


def intake(**data: Any) -> Lead:
    return services.lead_create(actor=None, data={"phone": "+7 916 123-45-67", **data})


def rule(kind: str, managers: list[User], values: str = "", name: str = "", **extra: Any) -> LeadRule:
    return services.lead_rule_create(
        actor=managers[0], data={"name": name or kind, "kind": kind, "match_values": values, **extra}, managers=managers
    )


# intake


def test_intake_normalises_the_phone_and_email(db: None) -> None:
    lead = intake(phone="8 (916) 123-45-67", email=" Ivan@Example.COM ", contact_name="  Иван   Петров ")
    lead.refresh_from_db()
    assert (lead.phone, lead.email, lead.contact_name) == ("+79161234567", "ivan@example.com", "Иван Петров")
    assert (lead.status, lead.owner, lead.channel) == (LeadStatus.NEW, None, LeadChannel.FORM)


def test_intake_takes_the_title_from_the_first_line_of_the_message(db: None) -> None:
    lead = intake(message="Нужен счёт на 10 ноутбуков\nСрочно")
    assert lead.title == "Нужен счёт на 10 ноутбуков"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"phone": "12345"}, {"phone": ["12345 is not a valid phone number."]}),
        ({"email": "ivan@"}, {"email": ["ivan@ is not a valid e-mail address."]}),
        ({"inn": "7707083894"}, {"inn": ["INN must be 10 or 12 digits with a correct check digit."]}),
        ({"phone": ""}, {"phone": ["Give a phone or an e-mail, so the manager can reach the client."]}),
        ({"channel": "pigeon"}, {"channel": ["Value 'pigeon' is not a valid choice."]}),
    ],
)
def test_bad_intake_is_refused_field_by_field_and_nothing_is_saved(
    db: None, data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        intake(**data)
    assert caught.value.message_dict == errors
    assert Lead.objects.count() == 0


def test_inn_with_spaces_is_accepted_without_them(db: None) -> None:
    assert intake(inn="7707 083 893").inn == VALID_INN


# distribution


def test_territory_rule_takes_leads_of_its_regions_ignoring_case(manager: User, colleague: User) -> None:
    moscow = rule(LeadRuleKind.TERRITORY, [manager], "Москва\nМосковская область")
    lead = intake(region="  московская   ОБЛАСТЬ ")
    assert (lead.owner, lead.status, lead.assigned_by_rule) == (manager, LeadStatus.ASSIGNED, moscow)
    other = intake(region="Тверь")
    assert (other.owner, other.status) == (None, LeadStatus.NEW)


def test_industry_rule_matches_case_insensitively(manager: User, colleague: User) -> None:
    rule(LeadRuleKind.INDUSTRY, [colleague], "Розничная торговля\nIT")
    assert intake(industry="it").owner == colleague
    assert intake(industry="РОЗНИЧНАЯ ТОРГОВЛЯ").owner == colleague
    assert intake(industry="Строительство").owner is None


def test_round_robin_hands_out_in_turn(manager: User, colleague: User, team_lead: User) -> None:
    rule(LeadRuleKind.ROUND_ROBIN, [colleague, manager, team_lead])
    by_pk = sorted([manager, colleague, team_lead], key=lambda u: u.pk)
    owners = [intake().owner for _ in range(7)]
    assert owners == [*by_pk, *by_pk, by_pk[0]]


def test_round_robin_continues_its_turn_after_a_restart(manager: User, colleague: User, team_lead: User) -> None:
    # given: two leads handed out; a restart loses everything but the database
    turn = rule(LeadRuleKind.ROUND_ROBIN, [manager, colleague, team_lead])
    by_pk = sorted([manager, colleague, team_lead], key=lambda u: u.pk)
    first = [intake().owner, intake().owner]
    turn.refresh_from_db()
    # when
    later = [intake().owner for _ in range(4)]
    # then: nobody is skipped or served twice in a row
    assert first + later == [*by_pk, *by_pk]
    assert LeadRule.objects.get(pk=turn.pk).last_assigned == by_pk[2]


def test_round_robin_skips_a_deactivated_manager(manager: User, colleague: User) -> None:
    rule(LeadRuleKind.ROUND_ROBIN, [manager, colleague])
    colleague.is_active = False
    colleague.save()
    assert [intake().owner for _ in range(3)] == [manager, manager, manager]


def test_load_rule_picks_the_manager_with_fewest_open_leads_and_deals(
    manager: User, colleague: User, team_lead: User, flow: Flow
) -> None:
    # manager: 2 open deals; colleague: 1 open deal + 1 assigned lead; team lead: 1 open deal and 2 closed ones
    DealFactory.create_batch(2, owner=manager, pipeline=flow.pipeline, stage=flow.qualification)
    DealFactory(owner=colleague, pipeline=flow.pipeline, stage=flow.demo)
    services.lead_assign(actor=manager, leads=[intake()], owner=colleague)
    DealFactory(owner=team_lead, pipeline=flow.pipeline, stage=flow.qualification)
    DealFactory(owner=team_lead, pipeline=flow.pipeline, stage=flow.won)
    DealFactory(owner=team_lead, pipeline=flow.pipeline, stage=LostStageFactory(pipeline=flow.pipeline))
    assert manager_loads([manager.pk, colleague.pk, team_lead.pk]) == {manager.pk: 2, colleague.pk: 2, team_lead.pk: 1}
    rule(LeadRuleKind.LOAD, [manager, colleague, team_lead])
    # The least loaded first; each new lead adds to its owner's load; a tie goes to the earliest user
    # (the team lead, then the manager, then the colleague were created in that order).
    assert [intake().owner for _ in range(3)] == [team_lead, team_lead, manager]


def test_rules_are_tried_in_order_and_the_first_that_fits_wins(manager: User, colleague: User) -> None:
    rule(LeadRuleKind.TERRITORY, [manager], "Москва", name="Москва")
    rule(LeadRuleKind.ROUND_ROBIN, [colleague], name="Остальные")
    assert intake(region="Москва").owner == manager
    assert intake(region="Казань").owner == colleague


def test_a_rule_moved_up_is_tried_first(manager: User, colleague: User) -> None:
    rule(LeadRuleKind.TERRITORY, [manager], "Москва", name="Москва")
    everyone = rule(LeadRuleKind.ROUND_ROBIN, [colleague], name="Все")
    services.lead_rule_move(actor=manager, rule=everyone, offset=-1)
    assert list(LeadRule.objects.values_list("name", "position")) == [("Все", 0), ("Москва", 1)]
    assert intake(region="Москва").owner == colleague


def test_without_a_fitting_rule_the_lead_waits_in_the_inbox(manager: User, colleague: User) -> None:
    rule(LeadRuleKind.TERRITORY, [manager], "Москва")
    rule(LeadRuleKind.ROUND_ROBIN, [colleague], is_active=False)
    lead = intake(region="Тверь")
    assert (lead.owner, lead.status, lead.assigned_by_rule) == (None, LeadStatus.NEW, None)
    assert Notification.objects.count() == 0


def test_the_chosen_manager_is_notified_with_a_link_to_the_lead(manager: User) -> None:
    manager.language = "en"  # notifications are written in the recipient's language; English is the source
    manager.save(update_fields=["language"])
    rule(LeadRuleKind.ROUND_ROBIN, [manager])
    lead = intake(title="Нужны кассы")
    note = Notification.objects.get()
    assert (note.user, note.key, note.title, note.url, note.read_at) == (
        manager, f"lead:{lead.pk}", "New lead: Нужны кассы", f"/sales/leads/{lead.pk}/", None,
    )  # fmt: skip


def test_a_rule_needs_managers_who_can_take_leads_and_values_for_territory(manager: User, operator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.lead_rule_create(actor=manager, data={"name": "Юг", "kind": LeadRuleKind.TERRITORY}, managers=[])
    assert caught.value.message_dict == {
        "match_values": ["List the regions or industries this rule takes, one per line."],
        "managers": ["Choose at least one manager."],
    }
    with pytest.raises(ValidationError) as caught:
        services.lead_rule_create(
            actor=manager, data={"name": "Все", "kind": LeadRuleKind.ROUND_ROBIN}, managers=[operator]
        )
    assert caught.value.message_dict == {"managers": [f"These users cannot take leads: {operator}."]}
    assert LeadRule.objects.count() == 0


# manual assignment


def test_head_of_sales_assigns_many_leads_at_once(head_of_sales: User, colleague: User) -> None:
    leads = [intake(), intake(), intake()]
    assert services.lead_assign(actor=head_of_sales, leads=leads[:2], owner=colleague) == 2
    owners = dict(Lead.objects.values_list("pk", "owner"))
    assert owners == {leads[0].pk: colleague.pk, leads[1].pk: colleague.pk, leads[2].pk: None}
    assigned = Lead.objects.filter(owner=colleague)
    assert list(assigned.values_list("status", flat=True)) == [LeadStatus.ASSIGNED, LeadStatus.ASSIGNED]
    assert list(assigned.values_list("assigned_by_rule", flat=True)) == [None, None]
    assert Notification.objects.filter(user=colleague).count() == 2


def test_a_closed_lead_in_the_batch_refuses_the_whole_batch(head_of_sales: User, manager: User) -> None:
    rejected = services.lead_reject(actor=head_of_sales, lead=intake(title="Спам"), reason="спам")
    fresh = intake()
    with pytest.raises(ValidationError) as caught:
        services.lead_assign(actor=head_of_sales, leads=[fresh, rejected], owner=manager)
    assert caught.value.messages == ["The lead “Спам” is already rejected."]
    assert Lead.objects.get(pk=fresh.pk).owner is None


def test_leads_go_only_to_those_who_can_take_them(head_of_sales: User, operator: User) -> None:
    lead = intake()
    with pytest.raises(ValidationError) as caught:
        services.lead_assign(actor=head_of_sales, leads=[lead], owner=operator)
    assert caught.value.message_dict == {"owner": [f"{operator} cannot take leads."]}
    assert Lead.objects.get(pk=lead.pk).owner is None


# qualification and rejection


def test_qualifying_creates_a_company_its_contact_person_and_a_deal(manager: User, flow: Flow) -> None:
    lead = services.lead_create(
        actor=manager,
        owner=manager,
        data={"title": "Кассы для сети", "company_name": "ООО Ромашка", "contact_name": "Иванов Иван Иванович",
              "phone": "+79161234567", "email": "ivan@romashka.ru", "inn": VALID_INN, "region": "Москва",
              "message": "Нужно 10 касс"},
    )  # fmt: skip
    services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline)
    lead.refresh_from_db()
    party, deal = lead.party, lead.deal
    assert party is not None
    assert deal is not None
    assert (lead.status, lead.closed_at is not None) == (LeadStatus.QUALIFIED, True)
    assert (party.kind, party.name, party.inn, party.region, party.responsible) == (
        "organization", "ООО Ромашка", VALID_INN, "Москва", manager,
    )  # fmt: skip
    assert sorted(ContactPoint.objects.filter(party=party).values_list("kind", "value")) == [
        ("email", "ivan@romashka.ru"), ("phone", "+79161234567"),
    ]  # fmt: skip
    person = PartyContact.objects.get(organization=party).person
    assert (person.last_name, person.first_name, person.middle_name) == ("Иванов", "Иван", "Иванович")
    assert (deal.title, deal.party, deal.contact, deal.owner, deal.stage, deal.source) == (
        "Кассы для сети", party, person, manager, flow.qualification, DealSource.LEAD,
    )  # fmt: skip
    assert deal.description == "Нужно 10 касс"
    assert PartyEvent.objects.filter(party=party, kind=PartyEvent.Kind.CREATED).count() == 1


def test_qualifying_a_person_splits_the_name(manager: User, flow: Flow) -> None:
    lead = services.lead_create(
        actor=manager, owner=manager, data={"contact_name": "Петров Пётр", "phone": "+79161234567"}
    )
    services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline, party_kind="person", stage=flow.demo)
    party = Party.objects.get()
    assert (party.kind, party.last_name, party.first_name, party.name) == ("person", "Петров", "Пётр", "Петров Пётр")
    assert Deal.objects.get().stage == flow.demo


def test_qualifying_with_an_existing_client_reuses_it(manager: User, outsider: User, flow: Flow) -> None:
    existing = PartyFactory(responsible=outsider, inn=VALID_INN, name="ООО Ромашка")
    lead = services.lead_create(
        actor=manager, owner=manager, data={"company_name": "Ромашка", "inn": VALID_INN, "phone": "+79161234567"}
    )
    assert lead_client_candidates(manager, lead) == [existing]
    services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline, party=existing)
    lead.refresh_from_db()
    assert (lead.party, Party.objects.count()) == (existing, 1)
    assert lead.deal is not None
    assert (lead.deal.party, lead.deal.owner) == (existing, manager)


def test_a_client_that_cannot_be_made_from_the_lead_is_reported_and_nothing_changes(manager: User, flow: Flow) -> None:
    lead = services.lead_create(actor=manager, owner=manager, data={"contact_name": "Иван", "phone": "+79161234567"})
    with pytest.raises(ValidationError) as caught:
        services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline, party_kind="organization")
    assert caught.value.message_dict == {
        "party_kind": ["The lead names no company: make an individual of it, or pick an existing client."]
    }
    lead.refresh_from_db()
    assert (lead.status, Party.objects.count(), Deal.objects.count()) == (LeadStatus.ASSIGNED, 0, 0)


def test_a_new_client_with_a_wrong_field_is_reported_on_the_client_choice(manager: User, flow: Flow) -> None:
    lead = services.lead_create(
        actor=manager,
        owner=manager,
        data={"company_name": "ИП Сидоров", "phone": "+79161234567", "inn": "500100732259"},
    )
    Lead.objects.filter(pk=lead.pk).update(email="not-an-email")
    lead.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline)
    assert caught.value.message_dict == {
        "party": ["A client cannot be made from this lead: not-an-email is not a valid e-mail address."]
    }
    assert (Party.objects.count(), Deal.objects.count()) == (0, 0)


def test_a_pipeline_without_an_open_stage_refuses_and_no_client_is_left_behind(manager: User) -> None:
    closed_only = LostStageFactory().pipeline
    lead = services.lead_create(
        actor=manager, owner=manager, data={"company_name": "ООО Ромашка", "phone": "+79161234567"}
    )
    with pytest.raises(ValidationError):
        services.lead_qualify(actor=manager, lead=lead, pipeline=closed_only)
    assert (Party.objects.count(), Lead.objects.get().status) == (0, LeadStatus.ASSIGNED)


def test_rejection_requires_a_reason(manager: User) -> None:
    lead = services.lead_create(actor=manager, owner=manager, data={"phone": "+79161234567"})
    with pytest.raises(ValidationError) as caught:
        services.lead_reject(actor=manager, lead=lead, reason="   ")
    assert caught.value.message_dict == {"reason": ["Say why the lead is rejected."]}
    assert Lead.objects.get().status == LeadStatus.ASSIGNED
    services.lead_reject(actor=manager, lead=lead, reason="Ошиблись номером")
    lead.refresh_from_db()
    assert (lead.status, lead.reject_reason, lead.closed_at is not None) == (
        LeadStatus.REJECTED, "Ошиблись номером", True,
    )  # fmt: skip


def test_a_closed_lead_cannot_be_qualified_again(manager: User, flow: Flow) -> None:
    lead = services.lead_create(actor=manager, owner=manager, data={"phone": "+79161234567"})
    services.lead_reject(actor=manager, lead=lead, reason="Дубль")
    with pytest.raises(ValidationError) as caught:
        services.lead_qualify(actor=manager, lead=lead, pipeline=flow.pipeline, party_kind="person")
    assert caught.value.messages == [f"The lead “{lead.title}” is already rejected."]
    assert Party.objects.count() == 0


def test_a_deactivated_user_gets_no_leads(head_of_sales: User, manager: User) -> None:
    manager.is_active = False
    manager.save()
    with pytest.raises(ValidationError) as caught:
        services.lead_assign(actor=head_of_sales, leads=[intake()], owner=manager)
    assert caught.value.message_dict == {"owner": [f"{manager} cannot take leads."]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_leads_arriving_at_once_are_still_handed_out_in_turn(manager: User, colleague: User) -> None:
    # given: a round robin between two managers and eight leads posted at the same moment
    rule(LeadRuleKind.ROUND_ROBIN, [manager, colleague])
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def post() -> None:
        try:
            start.wait(timeout=10)
            intake()
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then: the lock on the rule row makes each lead see the previous one's turn
    assert failures == []
    assert sorted(Lead.objects.values_list("owner", flat=True)) == sorted([manager.pk] * 4 + [colleague.pk] * 4)


# who entered it


def test_the_lead_remembers_who_entered_it_and_the_site_form_enters_nobody(operator: User) -> None:
    by_phone = services.lead_create(actor=operator, data={"phone": "+79161234567", "channel": LeadChannel.CALL})
    from_site = intake()
    assert (by_phone.created_by, from_site.created_by) == (operator, None)


def test_the_operator_follows_the_leads_they_entered_but_works_on_none(
    operator: User, manager: User, colleague: User
) -> None:
    rule(LeadRuleKind.ROUND_ROBIN, [manager])
    entered = services.lead_create(actor=operator, data={"phone": "+79161234567", "channel": LeadChannel.CALL})
    taken_by_colleague = services.lead_create(actor=colleague, data={"email": "a@example.com"}, owner=colleague)
    assert entered.owner == manager
    assert list(leads_visible_to(operator)) == [entered]
    assert list(lead_list_for(operator, "mine")) == [entered]
    assert (can_view_lead(operator, entered), can_change_lead(operator, entered)) == (True, False)
    assert can_view_lead(operator, taken_by_colleague) is False
    with pytest.raises(PermissionDenied):
        get_lead_for(operator, entered.pk, action="change")
    with pytest.raises(Http404):
        get_lead_for(operator, taken_by_colleague.pk)


def test_a_closed_lead_leaves_the_enterers_mine_tab_but_stays_visible(operator: User, manager: User) -> None:
    entered = services.lead_create(actor=operator, data={"phone": "+79161234567"})
    services.lead_reject(actor=manager, lead=entered, reason="Спам")
    assert list(lead_list_for(operator, "mine")) == []
    assert list(lead_list_for(operator, "all")) == [entered]


def test_a_manager_sees_what_they_entered_for_a_colleague_but_cannot_change_it(manager: User, outsider: User) -> None:
    rule(LeadRuleKind.ROUND_ROBIN, [outsider])
    entered = services.lead_create(actor=manager, data={"phone": "+79161234567"})
    assert entered.owner == outsider
    assert (can_view_lead(manager, entered), can_change_lead(manager, entered)) == (True, False)
    assert list(lead_list_for(manager, "mine")) == [entered]
