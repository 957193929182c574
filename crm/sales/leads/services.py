"""Every write to leads and their distribution rules: intake, distribution, assignment, qualification, rejection.

A lead's history lives in its own fields (who owns it and by which rule, status, reason, the client
and deal it became, when it closed); the client and deal it turns into record their own events.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.models import Notification
from crm.catalog.models import Currency
from crm.core.phones import to_e164
from crm.core.versioning import bump_version
from crm.parties.choices import ContactKind, LegalForm, PartyKind
from crm.parties.models import Party
from crm.parties.services import contact_person_create, party_create
from crm.parties.validators import validate_inn
from crm.sales.choices import DealSource, LeadChannel, LeadRuleKind, LeadStatus
from crm.sales.leads.access import OPEN_STATUSES, can_own_leads, lead_owner_candidates
from crm.sales.leads.selectors import manager_loads
from crm.sales.models import Lead, LeadRule, Pipeline, Stage
from crm.sales.services import deal_create

# What intake accepts; owner, status, links and dates are set by the services below.
LEAD_FIELDS = (
    "title", "contact_name", "company_name", "phone", "email", "inn", "region", "industry", "message", "channel",
)  # fmt: skip
RULE_FIELDS = ("name", "kind", "match_values", "is_active")


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _clean_intake(data: Mapping[str, Any]) -> dict[str, str]:
    """Normalise what arrived (phone to E.164, INN without spaces) and say what is wrong, field by field."""
    values = {field: _text(data.get(field, "")) for field in LEAD_FIELDS}
    values["message"] = str(data.get("message") or "").strip()
    values["inn"] = "".join(values["inn"].split())
    values["channel"] = values["channel"] or LeadChannel.FORM
    errors: dict[str, str] = {}
    if values["phone"]:
        e164 = to_e164(values["phone"])
        if e164 is None:
            errors["phone"] = _("%(value)s is not a valid phone number.") % {"value": values["phone"]}
        else:
            values["phone"] = e164
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = _("%(value)s is not a valid e-mail address.") % {"value": values["email"]}
        values["email"] = values["email"].lower()
    if values["inn"]:
        try:
            validate_inn(values["inn"])
        except ValidationError as error:
            errors["inn"] = str(error.messages[0])
    if not values["phone"] and not values["email"] and "phone" not in errors and "email" not in errors:
        errors["phone"] = _("Give a phone or an e-mail, so the manager can reach the client.")
    if errors:
        raise ValidationError(errors)
    if not values["title"]:
        first_line = values["message"].splitlines()[0].strip() if values["message"] else ""
        values["title"] = (first_line or values["company_name"] or values["contact_name"] or values["phone"]
                           or values["email"])[:300]  # fmt: skip
    return values


@transaction.atomic
def lead_create(*, actor: User | None, data: Mapping[str, Any], owner: User | None = None) -> Lead:
    """Register a lead from the lead form, the API or a site's form, then hand it out (S24).

    With `owner` (a manager who took the request themselves) it goes to them; otherwise the
    active rules place it, or it waits in the head of sales' inbox. `actor` is None for a site's form.
    """
    lead = Lead(**_clean_intake(data), created_by=actor)
    lead.full_clean(exclude=["owner", "assigned_by_rule", "party", "deal"])
    lead.save()
    if owner is not None:
        _check_owner(owner)
        _assign(lead, owner, rule=None)
    else:
        lead_distribute(lead=lead)
    return lead


def _matches(values: str, candidate: str) -> bool:
    """A territory or industry rule matches when one of its lines equals the lead's value, ignoring case."""
    wanted = _fold(candidate)
    return bool(wanted) and any(_fold(line) == wanted for line in values.splitlines())


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold().replace("ё", "е")


def _rule_fits(rule: LeadRule, lead: Lead) -> bool:
    if rule.kind == LeadRuleKind.TERRITORY:
        return _matches(rule.match_values, lead.region)
    if rule.kind == LeadRuleKind.INDUSTRY:
        return _matches(rule.match_values, lead.industry)
    return True  # round robin and load take every lead that reaches them


def _pick_manager(rule: LeadRule) -> User | None:
    """The rule's next manager, chosen under a lock on the rule row.

    The lock serialises concurrent distributions through one rule, so two leads arriving at once
    never go to the same "next" manager and the load rule counts the previous assignment. Territory
    and industry rules with several managers hand out in turn like round robin; `last_assigned` is
    stored, so the turn survives a restart.
    """
    locked = LeadRule.objects.select_for_update().get(pk=rule.pk)
    managers = list(locked.managers.filter(pk__in=lead_owner_candidates().values("pk")).order_by("pk"))
    if not managers:
        return None
    if locked.kind == LeadRuleKind.LOAD:
        loads = manager_loads(m.pk for m in managers)
        chosen = min(managers, key=lambda m: (loads[m.pk], m.pk))
    else:
        last = locked.last_assigned_id or 0
        chosen = next((m for m in managers if m.pk > last), managers[0])
    locked.last_assigned = chosen
    locked.save(update_fields=["last_assigned", "updated_at"])
    return chosen


@transaction.atomic
def lead_distribute(*, lead: Lead) -> Lead:
    """Give a new lead to a manager by the first active rule that fits it; with none it stays new, in the inbox."""
    for rule in LeadRule.objects.filter(is_active=True).order_by("position", "pk"):
        if not _rule_fits(rule, lead):
            continue
        manager = _pick_manager(rule)
        if manager is not None:
            _assign(lead, manager, rule=rule)
            break
    return lead


def _assign(lead: Lead, owner: User, *, rule: LeadRule | None) -> None:
    lead.owner, lead.status, lead.assigned_by_rule = owner, LeadStatus.ASSIGNED, rule
    bump_version(lead, None)
    lead.save(update_fields=["owner", "status", "assigned_by_rule", "updated_at"])
    _notify_owner(lead, owner)


def _notify_owner(lead: Lead, owner: User) -> None:
    """A message in the new owner's bell, in their language; a lead handed back to them is announced again."""
    with translation.override(owner.language):
        title = _("New lead: %(title)s") % {"title": lead.title}
    Notification.objects.update_or_create(
        user=owner,
        key=f"lead:{lead.pk}",
        defaults={
            "title": title[:300],
            "url": reverse("sales:lead-detail", args=[lead.pk]),
            "created_at": timezone.now(),
            "read_at": None,
        },
    )


def _check_owner(owner: User) -> None:
    if not can_own_leads(owner):
        raise ValidationError({"owner": _("%(name)s cannot take leads.") % {"name": owner}})


def _check_open(lead: Lead) -> None:
    if lead.status not in OPEN_STATUSES:
        raise ValidationError(
            _("The lead “%(title)s” is already %(status)s.")
            % {"title": lead.title, "status": lead.get_status_display()}
        )


@transaction.atomic
def lead_assign(*, actor: User, leads: Iterable[Lead], owner: User) -> int:
    """Hand leads to a manager by hand, one or many at once (S24); closed leads refuse the whole batch."""
    _check_owner(owner)
    locked = list(
        Lead.objects.filter(pk__in=[lead.pk for lead in leads], is_deleted=False).select_for_update().order_by("pk")
    )
    if not locked:
        raise ValidationError(_("Choose at least one lead."))
    for lead in locked:
        _check_open(lead)
    moved = 0
    for lead in locked:
        if lead.owner_id == owner.pk and lead.status == LeadStatus.ASSIGNED:
            continue
        _assign(lead, owner, rule=None)
        moved += 1
    return moved


def _split_name(full_name: str) -> dict[str, str]:
    """ "Иванов Иван Иванович" into its parts in the Russian order; a single word is taken as a first name."""
    parts = full_name.split()
    if len(parts) == 1:
        return {"first_name": parts[0]}
    return {"last_name": parts[0], "first_name": parts[1], "middle_name": " ".join(parts[2:])}


def _party_from_lead(*, actor: User, lead: Lead, kind: str, responsible: User) -> tuple[Party, Party | None]:
    """A new client (and its contact person) from what the lead says; a wrong field is reported on `party`."""
    points = [
        {"kind": ContactKind.PHONE, "value": lead.phone, "is_primary": True} if lead.phone else None,
        {"kind": ContactKind.EMAIL, "value": lead.email, "is_primary": True} if lead.email else None,
    ]
    contact_points = [p for p in points if p]
    if kind == PartyKind.ORGANIZATION and not lead.company_name.strip():
        raise ValidationError(
            {"party_kind": _("The lead names no company: make an individual of it, or pick an existing client.")}
        )
    if kind == PartyKind.PERSON and not (lead.contact_name.strip() or lead.company_name.strip()):
        raise ValidationError({"party_kind": _("The lead names nobody: pick an existing client.")})
    common = {"inn": lead.inn, "region": lead.region, "industry": lead.industry, "notes": lead.message}
    try:
        if kind == PartyKind.ORGANIZATION:
            legal_form = LegalForm.IP if len(lead.inn) == 12 else ""
            party = party_create(
                actor=actor,
                data={**common, "kind": kind, "name": lead.company_name, "legal_form": legal_form},
                responsible=responsible,
                contact_points=contact_points,
            )
            person = None
            if lead.contact_name.strip():
                link = contact_person_create(actor=actor, organization=party, data=_split_name(lead.contact_name))
                person = link.person
            return party, person
        person_data = {**common, "kind": kind, **_split_name(lead.contact_name or lead.company_name)}
        party = party_create(actor=actor, data=person_data, responsible=responsible, contact_points=contact_points)
        return party, None
    except ValidationError as error:
        raise ValidationError(
            {"party": _("A client cannot be made from this lead: %(errors)s") % {"errors": " ".join(error.messages)}}
        ) from None


@transaction.atomic
def lead_qualify(
    *,
    actor: User,
    lead: Lead,
    pipeline: Pipeline,
    stage: Stage | None = None,
    party: Party | None = None,
    party_kind: str = PartyKind.ORGANIZATION,
    deal_title: str = "",
    currency: Currency | str = "RUB",
) -> Lead:
    """Turn a lead into a client (an existing one or a new one from its data) and a deal; both are linked to it."""
    _check_open(lead)
    if party_kind not in PartyKind.values:
        raise ValidationError({"party_kind": _("Choose a legal entity or an individual.")})
    owner = lead.owner or actor
    contact = None
    if party is None:
        party, contact = _party_from_lead(actor=actor, lead=lead, kind=party_kind, responsible=owner)
    deal = deal_create(
        actor=actor,
        party=party,
        title=deal_title.strip() or lead.title,
        pipeline=pipeline,
        stage=stage,
        currency=currency,
        owner=owner,
        contact=contact,
        source=DealSource.LEAD,
        source_detail=(_("Lead #%(number)s: %(title)s") % {"number": lead.pk, "title": lead.title})[:300],
        description=lead.message,
    )
    lead.owner, lead.party, lead.deal = owner, party, deal
    lead.status, lead.closed_at = LeadStatus.QUALIFIED, timezone.now()
    bump_version(lead, None)
    lead.save(update_fields=["owner", "party", "deal", "status", "closed_at", "updated_at"])
    return lead


@transaction.atomic
def lead_reject(*, actor: User, lead: Lead, reason: str) -> Lead:
    """Close a lead as not worth a deal (spam, not our product...); the reason is required and kept."""
    _check_open(lead)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why the lead is rejected.")})
    lead.status, lead.reject_reason, lead.closed_at = LeadStatus.REJECTED, reason[:300], timezone.now()
    if lead.owner is None:
        lead.owner = actor
    bump_version(lead, None)
    lead.save(update_fields=["owner", "status", "reject_reason", "closed_at", "updated_at"])
    return lead


def _check_rule(rule: LeadRule, managers: list[User]) -> None:
    errors: dict[str, str] = {}
    if rule.kind in (LeadRuleKind.TERRITORY, LeadRuleKind.INDUSTRY) and not rule.match_values.strip():
        errors["match_values"] = _("List the regions or industries this rule takes, one per line.")
    if not managers:
        errors["managers"] = _("Choose at least one manager.")
    unfit = [str(m) for m in managers if not can_own_leads(m)]
    if unfit:
        errors["managers"] = _("These users cannot take leads: %(names)s.") % {"names": ", ".join(unfit)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def lead_rule_create(*, actor: User, data: Mapping[str, Any], managers: Iterable[User]) -> LeadRule:
    """Add a distribution rule at the end of the order."""
    rule = LeadRule(**{k: v for k, v in data.items() if k in RULE_FIELDS})
    rule.match_values = "\n".join(line.strip() for line in rule.match_values.splitlines() if line.strip())
    chosen = list(managers)
    rule.full_clean(exclude=["last_assigned", "position"])
    _check_rule(rule, chosen)
    last = LeadRule.objects.aggregate(last=Max("position"))["last"]
    rule.position = 0 if last is None else last + 1
    rule.save()
    rule.managers.set(chosen)
    return rule


@transaction.atomic
def lead_rule_update(
    *, actor: User, rule: LeadRule, data: Mapping[str, Any], managers: Iterable[User] | None = None
) -> LeadRule:
    """Change a rule's kind, values, managers or state; the round robin turn is kept."""
    for field in RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    rule.match_values = "\n".join(line.strip() for line in rule.match_values.splitlines() if line.strip())
    chosen = list(rule.managers.all()) if managers is None else list(managers)
    rule.full_clean(exclude=["last_assigned"])
    _check_rule(rule, chosen)
    rule.save()
    if managers is not None:
        rule.managers.set(chosen)
    return rule


@transaction.atomic
def lead_rule_move(*, actor: User, rule: LeadRule, offset: int = 0, position: int | None = None) -> LeadRule:
    """Move a rule by `offset` places (-1 up, +1 down) or to `position` in the order rules are tried.

    Positions are renumbered 0, 1, 2... so the order shown is the order used.
    """
    rules = list(LeadRule.objects.select_for_update().order_by("position", "pk"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    target = max(0, min(len(rules) - 1, index + offset if position is None else position))
    rules.insert(target, rules.pop(index))
    for position, item in enumerate(rules):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position", "updated_at"])
    rule.position = target
    return rule


@transaction.atomic
def lead_rule_delete(*, actor: User, rule: LeadRule) -> None:
    """Remove a rule; leads it placed keep their owner and forget the rule."""
    rule.delete()
