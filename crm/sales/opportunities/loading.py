"""Writing the parsed data set with batched inserts: a handful of statements per table, never one save() per row."""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.accounts import roles
from crm.accounts.models import Team, User
from crm.catalog.choices import VatRate
from crm.catalog.models import Currency, PriceList, PriceListItem, Product, ProductGroup
from crm.parties.choices import CompanySize, PartyKind, Relationship
from crm.parties.models import Party, PartyEvent
from crm.parties.services import parties_rebuild_node_ids
from crm.sales.models import Deal, DealEvent, DealLine, DealStageChange, Pipeline, Stage
from crm.sales.opportunities.reading import (
    BATCH,
    CURRENCY,
    PIPELINE_NAME,
    PRICE_LIST_NAME,
    SOURCE,
    STAGES,
    Account,
    Data,
    ImportResult,
    Opportunity,
    Tally,
    normalised,
)


def username_for(name: str) -> str:
    """ "Mei-Mei Johns" -> "mei-mei.johns": stable, so a second run finds the same user."""
    return ".".join(slugify(part) for part in name.split())[:150]


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = name.strip().partition(" ")
    return first, last.strip()


def _size(employees: int | None) -> str:
    if employees is None:
        return ""
    if employees <= 15:
        return CompanySize.MICRO
    if employees <= 100:
        return CompanySize.SMALL
    if employees <= 250:
        return CompanySize.MEDIUM
    return CompanySize.LARGE


def _moment(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the CRM's time zone: dates of the file become the times of the history."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class Loader:
    """Writes the parsed data with batched inserts: a handful of statements per table, never one save() per row."""

    def __init__(self, data: Data, result: ImportResult) -> None:
        self.data = data
        self.result = result
        self.now = timezone.now()
        self.users: dict[str, User] = {}
        self.products: dict[str, Product] = {}
        self.parties: dict[str, Party] = {}
        self.stages: dict[str, Stage] = {}

    def tally(self, entity: str) -> Tally:
        return self.result.tallies[entity]

    def load(self) -> None:
        self.currency = self.load_currency()
        self.load_people()
        self.load_products()
        self.load_pipeline()
        self.load_parties()
        self.load_deals()

    def load_currency(self) -> Currency:
        currency, created = Currency.objects.get_or_create(
            code=CURRENCY, defaults={"name": _("US dollar"), "symbol": "$"}
        )
        if created:
            self.tally("currencies").created += 1
        return currency

    def load_people(self) -> None:
        """Agents and managers as users with no usable password, in one team per (office, manager)."""
        groups = roles.ensure_roles()
        people: dict[str, str] = {}  # name -> role
        for agent, (manager, _office) in self.data.agents.items():
            people.setdefault(manager, roles.TEAM_LEAD)
            people.setdefault(agent, roles.SALES_MANAGER)
        names = {username_for(name): name for name in people}
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        unusable = make_password(None)
        fresh = []
        for username, name in names.items():
            if username in existing:
                self.users[name] = existing[username]
                continue
            first, last = _split_name(name)
            fresh.append(User(username=username, first_name=first, last_name=last, password=unusable))
        for user in User.objects.bulk_create(fresh, batch_size=BATCH):
            self.users[names[user.username]] = user
        self.tally("users").created += len(fresh)

        wanted = {(office, manager) for manager, office in self.data.agents.values()}
        team_names = {f"{office} / {manager}": (office, manager) for office, manager in sorted(wanted)}
        teams = {t.name: t for t in Team.objects.filter(name__in=team_names)}
        changed_teams = []
        for name, (_office, manager) in team_names.items():
            head = self.users[manager]
            team = teams.get(name)
            if team is None:
                teams[name] = Team.objects.create(name=name, head=head)
                self.tally("teams").created += 1
            elif team.head_id != head.pk:
                team.head = head
                changed_teams.append(team)
            else:
                self.tally("teams").unchanged += 1
        Team.objects.bulk_update(changed_teams, ["head"])
        self.tally("teams").updated += len(changed_teams)

        team_of: dict[str, Team] = {}
        for agent, (manager, office) in self.data.agents.items():
            team_of[agent] = team_of.setdefault(manager, teams[f"{office} / {manager}"])
        moved = []
        for name, user in self.users.items():
            if user.team_id != team_of[name].pk:
                user.team = team_of[name]
                moved.append(user)
        User.objects.bulk_update(moved, ["team"])
        for username in existing:
            if existing[username] in moved:
                self.tally("users").updated += 1
            else:
                self.tally("users").unchanged += 1
        membership = User.groups.through
        membership.objects.bulk_create(
            [membership(user_id=self.users[name].pk, group_id=groups[role].pk) for name, role in people.items()],
            ignore_conflicts=True,
        )

    def load_products(self) -> None:
        """Series as product groups, products by article number, their list prices in one USD price list."""
        rows = list(self.data.products.values())
        groups = {g.name: g for g in ProductGroup.objects.filter(parent=None, name__in={r.series for r in rows})}
        for series in sorted({r.series for r in rows} - set(groups)):
            group = ProductGroup.objects.create(name=series)
            group.path = f"{group.pk}/"
            group.save(update_fields=["path"])
            groups[series] = group
            self.tally("product groups").created += 1
        existing = {p.sku: p for p in Product.objects.filter(sku__in=[r.sku for r in rows])}
        fresh, changed = [], []
        for row in rows:
            product = existing.get(row.sku)
            group = groups[row.series]
            if product is None:
                fresh.append(
                    Product(sku=row.sku, name=row.name, group=group, vat_rate=VatRate.NONE, cost_currency=self.currency)
                )
            elif (product.name, product.group_id, product.is_deleted) != (row.name, group.pk, False):
                product.name, product.group, product.is_deleted = row.name, group, False
                changed.append(product)
            else:
                self.tally("products").unchanged += 1
        Product.objects.bulk_create(fresh, batch_size=BATCH)
        Product.objects.bulk_update(changed, ["name", "group", "is_deleted"])
        self.tally("products").created += len(fresh)
        self.tally("products").updated += len(changed)
        self.products = {p.name: p for p in [*existing.values(), *fresh]}

        price_list, created = PriceList.objects.get_or_create(
            name=PRICE_LIST_NAME, defaults={"currency": self.currency, "vat_included": True}
        )
        self.tally("price lists").created += int(created)
        self.tally("price lists").unchanged += int(not created)
        self.price_list = price_list
        items = {i.product_id: i for i in PriceListItem.objects.filter(price_list=price_list)}
        fresh_items, changed_items = [], []
        for row in rows:
            product = self.products[row.name]
            item = items.get(product.pk)
            if item is None:
                fresh_items.append(PriceListItem(price_list=price_list, product=product, price=row.price))
            elif item.price != row.price:
                item.price = row.price
                changed_items.append(item)
            else:
                self.tally("prices").unchanged += 1
        PriceListItem.objects.bulk_create(fresh_items)
        PriceListItem.objects.bulk_update(changed_items, ["price"])
        self.tally("prices").created += len(fresh_items)
        self.tally("prices").updated += len(changed_items)

    def load_pipeline(self) -> None:
        pipeline, created = Pipeline.objects.get_or_create(name=PIPELINE_NAME)
        self.tally("pipelines").created += int(created)
        self.tally("pipelines").unchanged += int(not created)
        self.pipeline = pipeline
        existing = {s.name: s for s in pipeline.stages.all()}
        for position, (name, kind, probability) in enumerate(STAGES):
            stage = existing.get(name)
            if stage is None:
                stage = Stage.objects.create(
                    pipeline=pipeline, name=name, position=position, kind=kind, probability=probability
                )
                self.tally("stages").created += 1
            elif stage.kind != kind:
                # Reports count won and lost deals by the stage type: the file's meaning must hold.
                stage.kind = kind
                stage.save(update_fields=["kind", "updated_at"])
                self.tally("stages").updated += 1
            else:
                self.tally("stages").unchanged += 1
            self.stages[name] = stage

    def _responsible(self) -> dict[str, User]:
        """Each account's manager: the agent with most of its opportunities (ties: the first in name order)."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for o in self.data.opportunities:
            counts[o.account][o.agent] += 1
        fallback = sorted(self.data.agents)[0]
        chosen = {}
        for account in self.data.accounts:
            ranked = sorted(counts[account].items(), key=lambda item: (-item[1], item[0]))
            chosen[account] = self.users[ranked[0][0] if ranked else fallback]
        return chosen

    def _notes(self, account: Account) -> str:
        lines = []
        if account.year_established is not None:
            lines.append(_("Established in %(year)s.") % {"year": account.year_established})
        if account.revenue is not None:
            lines.append(_("Annual revenue: %(amount)s million USD.") % {"amount": account.revenue})
        if account.employees is not None:
            lines.append(_("Employees: %(count)s.") % {"count": account.employees})
        if account.subsidiary_of:
            lines.append(_("Subsidiary of %(name)s.") % {"name": account.subsidiary_of})
        return "\n".join(lines)

    def load_parties(self) -> None:
        """Accounts as organisations, written in batches with the derived columns Party.save() would set."""
        responsible = self._responsible()
        won = {o.account for o in self.data.opportunities if o.stage == "Won"}
        folded = {name.casefold(): name for name in self.data.accounts}
        existing = Party.objects.filter(
            kind=PartyKind.ORGANIZATION, is_deleted=False, search_name__in=list(folded)
        ).order_by("pk")
        for party in existing:
            self.parties.setdefault(folded[party.search_name], party)
        fresh: list[Party] = []
        changed: list[Party] = []
        for name, account in self.data.accounts.items():
            values: dict[str, Any] = {
                "industry": account.industry,
                "region": account.region,
                "size": _size(account.employees),
                "relationship": Relationship.CLIENT if name in won else Relationship.PROSPECT,
                "notes": self._notes(account),
            }
            found = self.parties.get(name)
            if found is None:
                party = Party(
                    kind=PartyKind.ORGANIZATION, name=name, search_name=name.casefold(),
                    responsible=responsible[name], created_by=None, created_at=self.now,
                    custom_data={}, **values,
                )  # fmt: skip
                fresh.append(party)
                self.parties[name] = party
            elif any(getattr(found, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(found, key, value)
                found.updated_at = self.now  # bulk_update does not touch auto_now fields
                changed.append(found)
            else:
                self.tally("clients").unchanged += 1
        Party.objects.bulk_create(fresh, batch_size=BATCH)
        Party.objects.bulk_update(changed, [*values, "updated_at"])
        PartyEvent.objects.bulk_create(
            [
                PartyEvent(party=p, kind=PartyEvent.Kind.CREATED, at=self.now, data={"name": p.name, "source": SOURCE})
                for p in fresh
            ],
            batch_size=BATCH,
        )
        # The denormalised classifier node ids, as after any bulk load (none yet: the accounts are unclassified).
        parties_rebuild_node_ids([p.pk for p in fresh])
        self.tally("clients").created += len(fresh)
        self.tally("clients").updated += len(changed)

    def _history(self, o: Opportunity) -> list[tuple[Stage, datetime.datetime]]:
        """The stages the opportunity entered, with when: the file knows the engage and close dates only.

        No date says when a prospect was first met, so Prospecting is recorded only for current prospects
        (as of the import when the file has no date); an engaged deal starts in Engaging at its engage date.
        """
        stage = self.stages[o.stage]
        start = self.now if o.engaged is None else _moment(o.engaged)
        if stage.is_open:
            return [(stage, start)]
        assert o.closed is not None  # read_files refuses a closed opportunity without a close date
        closed = _moment(o.closed)
        return [(self.stages["Engaging"], start if o.engaged else closed), (stage, closed)]

    def _amount(self, o: Opportunity) -> tuple[Decimal, Decimal]:
        """The line's list price (products.csv) and its price: the close value, or the list price while open."""
        list_price = self.data.products[normalised(o.product)].price
        return list_price, list_price if o.value is None else o.value

    def load_deals(self) -> None:
        # The whole pipeline rather than an IN list of 8,800 ids (SQLite caps the parameters of a query).
        existing = {
            d.external_id: d
            for d in Deal.objects.filter(pipeline=self.pipeline).exclude(external_id="").select_related("stage")
        }
        fresh: list[tuple[Opportunity, Deal, list[tuple[Stage, datetime.datetime]]]] = []
        changed: list[Deal] = []
        moves: list[tuple[Deal, Stage, Stage, datetime.datetime]] = []
        events: list[DealEvent] = []
        for o in self.data.opportunities:
            history = self._history(o)
            _list_price, amount = self._amount(o)
            values: dict[str, Any] = {
                "owner_id": self.users[o.agent].pk,
                "party_id": self.parties[o.account].pk,
                "stage_id": history[-1][0].pk,
                "amount": amount,
                "closed_at": None if self.stages[o.stage].is_open else history[-1][1],
            }
            deal = existing.get(o.external_id)
            if deal is None:
                deal = Deal(
                    title=f"{o.product}: {o.account}", pipeline=self.pipeline, currency=self.currency,
                    stage_entered_at=history[-1][1], probability=history[-1][0].probability,
                    price_list=self.price_list, external_id=o.external_id, created_at=history[0][1],
                    source_detail=SOURCE, **values,
                )  # fmt: skip
                fresh.append((o, deal, history))
                continue
            before = {k: getattr(deal, k) for k in values}
            if before == values:
                self.tally("deals").unchanged += 1
                continue
            if before["stage_id"] != values["stage_id"]:
                moves.append((deal, deal.stage, history[-1][0], history[-1][1]))
                deal.stage_entered_at = history[-1][1]
                deal.probability = history[-1][0].probability
            for key, value in values.items():
                setattr(deal, key, value)
            deal.version += 1
            deal.updated_at = self.now  # bulk_update does not touch auto_now fields
            changed.append(deal)
            diff = [
                {"field": k, "old": str(before[k]), "new": str(values[k])} for k in values if before[k] != values[k]
            ]
            events.append(
                DealEvent(deal=deal, kind=DealEvent.Kind.CHANGED, at=self.now, data={"source": SOURCE, "changes": diff})
            )
        DealEvent.objects.bulk_create(events, batch_size=BATCH)
        self._write_new_deals(fresh)
        self._write_changed_deals(changed, moves)

    def _write_new_deals(self, fresh: list[tuple[Opportunity, Deal, list[tuple[Stage, datetime.datetime]]]]) -> None:
        Deal.objects.bulk_create([deal for _o, deal, _h in fresh], batch_size=BATCH)
        lines, changes, events = [], [], []
        source = _("Close value of the CRM Sales Opportunities data set; list price from its products.csv.")
        for o, deal, history in fresh:
            product = self.products[o.product]
            list_price, price = self._amount(o)
            lines.append(
                DealLine(
                    deal=deal, position=1, product=product, quantity=Decimal(1), unit=product.unit,
                    list_price=list_price, price=price, vat_rate=product.vat_rate, vat_included=True,
                    price_list=self.price_list, price_source=source,
                )
            )  # fmt: skip
            previous: Stage | None = None
            for stage, at in history:
                changes.append(DealStageChange(deal=deal, from_stage=previous, stage=stage, at=at))
                if previous is None:
                    data = {"title": deal.title, "stage": stage.name, "stage_id": stage.pk, "source": SOURCE,
                            "product": o.product, "price": str(price)}  # fmt: skip
                    events.append(DealEvent(deal=deal, kind=DealEvent.Kind.CREATED, at=at, data=data))
                else:
                    data = {"from": previous.pk, "to": stage.pk, "from_name": previous.name, "to_name": stage.name}
                    events.append(DealEvent(deal=deal, kind=DealEvent.Kind.STAGE_CHANGED, at=at, data=data))
                previous = stage
        DealLine.objects.bulk_create(lines, batch_size=BATCH)
        DealStageChange.objects.bulk_create(changes, batch_size=BATCH)
        DealEvent.objects.bulk_create(events, batch_size=BATCH)
        self.tally("deals").created += len(fresh)

    def _write_changed_deals(
        self, changed: list[Deal], moves: list[tuple[Deal, Stage, Stage, datetime.datetime]]
    ) -> None:
        fields = ["owner", "party", "stage", "amount", "closed_at", "stage_entered_at", "probability", "version"]
        Deal.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=BATCH)
        DealStageChange.objects.bulk_create(
            [DealStageChange(deal=d, from_stage=old, stage=new, at=at) for d, old, new, at in moves], batch_size=BATCH
        )
        DealEvent.objects.bulk_create(
            [
                DealEvent(deal=d, kind=DealEvent.Kind.STAGE_CHANGED, at=at,
                          data={"from": old.pk, "to": new.pk, "from_name": old.name, "to_name": new.name})
                for d, old, new, at in moves
            ],
            batch_size=BATCH,
        )  # fmt: skip
        lines = {line.deal_id: line for line in DealLine.objects.filter(deal__in=changed, position=1)}
        repriced = []
        for deal in changed:
            line = lines.get(deal.pk)
            if line is not None and line.price != deal.amount:
                line.price = deal.amount
                repriced.append(line)
        DealLine.objects.bulk_update(repriced, ["price"])
        self.tally("deals").updated += len(changed)
