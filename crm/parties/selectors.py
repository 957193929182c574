"""Reads of clients for pages, the API, exports and reports; all built on parties_visible_to."""

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from crm.accounts.models import User
from crm.core.db import (
    contains_casefold,
    contains_casefold_sql,
    fetch_rows,
    has_indexed_json_containment,
    in_sql,
    is_false_sql,
    models_from_rows,
    prefix_match,
    prefix_range_sql,
    prefix_sql,
)
from crm.core.phones import search_digits, search_prefixes
from crm.parties.access import (
    parties_visible_branches,
    parties_visible_in_nodes,
    parties_visible_to,
    visible_branches_sql,
)
from crm.parties.choices import ContactKind
from crm.parties.models import ClassifierNode, ContactPoint, CustomField, Party, PartyClassification, PartyContact

SORTABLE = {"name", "created_at", "updated_at", "region", "relationship", "inn", "kind"}
_PHONEISH = re.compile(r"^[\d\s()+\-.]+$")


# What a search result shows (the dropdown, the search page and the API), read by a hand-written query.
SEARCH_RESULT_FIELDS = (
    "id",
    "kind",
    "name",
    "search_name",
    "inn",
    "region",
    "relationship",
    "updated_at",
    "responsible_id",
)
RESPONSIBLE_FIELDS = ("id", "first_name", "last_name", "username")
# What a row of the client list shows (the page and the API) and sorts by; the rest of the party is not read.
LIST_ROW_FIELDS = (
    *SORTABLE,
    "responsible",
    *(f"responsible__{name}" for name in RESPONSIBLE_FIELDS[1:]),
)
SUMMARY_POINT_FIELDS = ("id", "party_id", "kind", "label", "value", "is_primary", "confirmed_at")


def party_search(user: User, query: str, *, limit: int = 20) -> list[Party]:
    """Find clients and contact persons by a name part, a phone in any form, an e-mail or an INN (S22).

    Search as you type is the busiest read of the CRM, so it is hand-written SQL (composing it with the ORM
    cost several times what the database spent answering):

    1. Phone, e-mail and INN prefixes first collect the ids of their parties from their indexes, at most
       5 x `limit` per prefix, in one prepared statement (`_prefix_matches`).
    2. One UNION ALL of a branch per way of matching and per visibility branch
       (access.visible_branches_sql), each sorted and cut on its own, merged here. The candidates come in as
       an id list, so on PostgreSQL this statement too is prepared once per connection and only executed
       after that (parsing and planning it had cost ten times its execution). A prefix with more candidates
       than that (the first digits of a number) is matched in place instead and the statement planned for
       its values; so is a name part, whose best plan depends on its length.

    An OR of the matches under one ORDER BY ... LIMIT made PostgreSQL walk the whole name index (seconds on a
    million rows). Prefix matches read in name order; name parts sort their matches by the case-folded name.
    """
    query = query.replace("\x00", "").strip()  # PostgreSQL's text holds no NUL
    if len(query) < 2:
        return []
    prefixes: list[_Prefix] = []
    contains: tuple[str, list[Any]] | None = None
    if "@" in query:
        prefixes.append(_points_prefix(ContactKind.EMAIL, query.lower()))
    elif _PHONEISH.match(query):
        if len(search_digits(query)) >= 3:
            prefixes += [_points_prefix(ContactKind.PHONE, number) for number in search_prefixes(query)]
            prefixes.append(_inn_prefix(re.sub(r"\D", "", query)))
    else:
        contains = contains_casefold_sql("p.name", "p.search_name", query)
        if len(query) >= 3:
            prefixes.append(_points_prefix(ContactKind.EMAIL, query.lower()))
    matches, generic = _prefix_matches(prefixes, cap=limit * 5)
    if contains is not None:
        matches.append((*contains, "search_name"))
        generic = False
    columns = ", ".join([*(f"p.{c}" for c in SEARCH_RESULT_FIELDS), *(f"u.{c}" for c in RESPONSIBLE_FIELDS)])
    source = f"{Party._meta.db_table} p JOIN {User._meta.db_table} u ON u.id = p.responsible_id"
    parts: list[str] = []
    params: list[Any] = []
    for visible, visible_params in visible_branches_sql(user, "p") if matches else []:
        for match, match_params, order in matches:
            where = f"{visible} AND {match} ORDER BY p.{order}, p.id LIMIT {int(limit)}"
            parts.append(f"SELECT * FROM (SELECT {columns} FROM {source} WHERE {where}) AS b{len(parts)}")
            params += [*visible_params, *match_params]
    if not parts:
        return []
    rows = fetch_rows(" UNION ALL ".join(parts), params, prepare=generic)
    # A party matching in several branches comes once per branch.
    unique = sorted({row[0]: row for row in rows}.values(), key=lambda row: (row[3], row[0]))[:limit]
    width = len(SEARCH_RESULT_FIELDS)
    parties = models_from_rows(Party, SEARCH_RESULT_FIELDS, [row[:width] for row in unique])
    # One model per manager: a manager's search finds mostly the manager's own clients.
    managers = {row[width]: row[width:] for row in unique}
    responsible = {m.pk: m for m in models_from_rows(User, RESPONSIBLE_FIELDS, list(managers.values()))}
    for party in parties:
        party.responsible = responsible[party.responsible_id]
    return with_card_summary(parties)


class _Prefix(NamedTuple):
    """A prefix match two ways: the ids of its parties from an index range, and the match in place."""

    candidates: str  # SELECT <party id> FROM ... WHERE <range>, with parameters `candidate_params`
    candidate_params: list[Any]
    match: str  # a condition on the party `p`, with parameters `match_params`
    match_params: list[Any]


def _points_prefix(kind: str, prefix: str) -> _Prefix:
    """The party has a contact point of `kind` starting with `prefix` (an index range scan).

    One prefix per candidate query: an OR of two ranges would make PostgreSQL read both whole ranges into a
    bitmap instead of stopping at the first rows.
    """
    table = ContactPoint._meta.db_table
    in_range, range_params = prefix_range_sql("c.search_key", prefix)
    like, like_params = prefix_sql("c.search_key", prefix)
    return _Prefix(
        f"SELECT c.party_id FROM {table} c WHERE c.kind = %s AND {in_range}",
        [kind, *range_params],
        f"p.id IN (SELECT c.party_id FROM {table} c WHERE c.kind = %s AND {like})",
        [kind, *like_params],
    )


def _inn_prefix(digits: str) -> _Prefix:
    in_range, range_params = prefix_range_sql("p.inn", digits)
    return _Prefix(
        f"SELECT p.id FROM {Party._meta.db_table} p WHERE {in_range}", range_params, *prefix_sql("p.inn", digits)
    )


def _prefix_matches(prefixes: list[_Prefix], cap: int) -> tuple[list[tuple[str, list[Any], str]], bool]:
    """The search branches of these prefixes, and whether all of them fit a prepared statement's generic plan.

    One statement reads up to `cap` + 1 candidate ids per prefix. A prefix with at most `cap` becomes a
    `p.id IN (ids)` branch; one with more is matched in place, in a statement planned for its values (it
    walks the name index and stops at the first `limit` visible matches). Either way each prefix keeps a
    branch of its own, cut at `limit` in name order, as matching in place does.
    """
    if not prefixes:
        return [], True
    sql = " UNION ALL ".join(
        f"SELECT {n}, x.* FROM ({prefix.candidates} LIMIT {int(cap) + 1}) AS x" for n, prefix in enumerate(prefixes)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for n, party_id in fetch_rows(sql, [p for prefix in prefixes for p in prefix.candidate_params], prepare=True):
        found[n].append(party_id)
    matches = [
        (prefix.match, prefix.match_params, "name") if len(found[n]) > cap else (*in_sql("p.id", found[n]), "name")
        for n, prefix in enumerate(prefixes)
        if found[n]
    ]
    return matches, all(len(ids) <= cap for ids in found.values())


def with_card_summary(parties: list[Party]) -> list[Party]:
    """Attach the main phone, e-mail and organisations to each party: one query for all of them.

    Lists and search call this for every page they show, so the query is hand-written: contact points
    (phones and e-mails) and, for people, the live organisations they work for, as one UNION ALL.
    """
    points: dict[int, list[ContactPoint]] = defaultdict(list)
    employers: dict[int, list[PartyContact]] = defaultdict(list)
    if parties:
        ids, ids_params = in_sql("c.party_id", [p.pk for p in parties])
        persons, persons_params = in_sql("l.person_id", [p.pk for p in parties if not p.is_organization] or [0])
        point_columns = ", ".join(f"c.{c}" for c in SUMMARY_POINT_FIELDS)
        sql = (
            f"SELECT 1, {point_columns}, NULL, NULL FROM {ContactPoint._meta.db_table} c "
            f"WHERE {ids} AND c.kind IN (%s, %s) "
            f"UNION ALL SELECT 2, l.id, l.person_id, NULL, NULL, l.position, NULL, NULL, l.organization_id, o.name "
            f"FROM {PartyContact._meta.db_table} l JOIN {Party._meta.db_table} o ON o.id = l.organization_id "
            f"WHERE {persons} AND {is_false_sql('o.is_deleted')} "
            "ORDER BY 1, 4, 7 DESC, 2"
        )
        params = [*ids_params, str(ContactKind.PHONE), str(ContactKind.EMAIL), *persons_params]
        rows = fetch_rows(sql, params, prepare=True)
        # The main point of each kind comes first (primary, then oldest): only those become models.
        main_points: dict[tuple[int, str], tuple[Any, ...]] = {}
        for row in rows:
            if row[0] == 1:
                main_points.setdefault((row[2], row[3]), row[1:8])
        for point in models_from_rows(ContactPoint, SUMMARY_POINT_FIELDS, list(main_points.values())):
            points[point.party_id].append(point)
        link_rows = [row for row in rows if row[0] == 2]
        links = models_from_rows(PartyContact, ("id", "person_id", "position"), [r[1:3] + r[5:6] for r in link_rows])
        organisations = models_from_rows(Party, ("id", "name"), [r[8:10] for r in link_rows])
        for link, organisation in zip(links, organisations, strict=True):
            link.organization = organisation
            employers[link.person_id].append(link)
    for party in parties:
        own = points[party.pk]
        party.main_phone = next((p for p in own if p.kind == ContactKind.PHONE), None)  # type: ignore[attr-defined]
        party.main_email = next((p for p in own if p.kind == ContactKind.EMAIL), None)  # type: ignore[attr-defined]
        party.employers = employers[party.pk]  # type: ignore[attr-defined]
    return parties


def nodes_by_tree(nodes: Iterable[int | ClassifierNode]) -> list[list[ClassifierNode]]:
    """The nodes grouped by classifier tree; nodes given by id are read (a filter form hands over the nodes)."""
    given = list(nodes)
    selected = [n for n in given if isinstance(n, ClassifierNode)]
    ids = [n for n in given if not isinstance(n, ClassifierNode)]
    if ids:
        selected += ClassifierNode.objects.filter(pk__in=ids).only("classifier_id", "path")
    by_tree: dict[int, list[ClassifierNode]] = defaultdict(list)
    for node in selected:
        by_tree[node.classifier_id].append(node)
    return list(by_tree.values())


def nodes_filter(nodes: Iterable[int | ClassifierNode]) -> Q:
    """AND across classifier trees, OR within one tree; a node includes its descendants (S1).

    PostgreSQL: each party keeps its nodes and their ancestors in `node_ids` (GIN-indexed), so
    "in X or below" is one containment test. SQLite: the subtrees are resolved to node ids first and
    each party is probed in the (party, node) unique index.
    """
    condition = Q()
    for in_tree in nodes_by_tree(nodes):
        if has_indexed_json_containment():
            within = Q(pk__in=[])
            for node in in_tree:
                within |= Q(node_ids__contains=[node.pk])
            condition &= within
            continue
        subtree = Q(pk__in=[])
        for node in in_tree:
            subtree |= prefix_match("path", node.path)
        ids = list(ClassifierNode.objects.filter(subtree).values_list("pk", flat=True))
        condition &= Q(Exists(PartyClassification.objects.filter(party_id=OuterRef("pk"), node_id__in=ids)))
    return condition


def contact_person_candidates(party: Party) -> QuerySet[Party]:
    """Who may be named as the contact person of a contact with `party`: its live contact persons or itself."""
    linked = PartyContact.objects.filter(organization=party, person_id=OuterRef("pk"))
    return Party.objects.filter(Exists(linked) | Q(pk=party.pk), is_deleted=False)


def party_list_for(user: User) -> QuerySet[Party]:
    """The base of every client list: visible parties with what a row shows."""
    return parties_visible_to(user).select_related("responsible")


class PartyListBranches(NamedTuple):
    """The filtered client list as disjoint querysets (one per visibility branch), for merged paging."""

    rows: list[QuerySet[Party]]
    counted: list[QuerySet[Party]]  # the same parties, in the shape the database counts fastest


def party_list_branches(user: User, params: Mapping[str, Any]) -> PartyListBranches:
    """The client list filtered by `params`: what each page reads, and what its capped total counts.

    With classifier nodes chosen, PostgreSQL counts a manager's or a team's clients through their
    (owner, node) keys (parties_visible_in_nodes); the page itself keeps the form that lets it walk
    the name index when the nodes are broad.
    """
    from crm.parties.filters import PartyFilter

    # The filters once (their form reads custom fields and classifier nodes), then each branch within them.
    party_filter = PartyFilter(params, queryset=Party.objects.all(), apply_nodes=False)
    filtered = party_filter.qs
    nodes = party_filter.form.cleaned_data.get("node") or []
    in_nodes = filtered.filter(nodes_filter(nodes)) if nodes else filtered
    trees = [[node.pk for node in tree] for tree in nodes_by_tree(nodes)]
    # The manager joined, not prefetched: a prefetch is one more query only for a branch that found rows.
    rows = [branch.select_related("responsible").only(*LIST_ROW_FIELDS) for branch in parties_visible_branches(user)]
    counted = parties_visible_in_nodes(user, trees)
    if filtered.query.distinct:  # a multiple-choice filter asked for DISTINCT; both sides must say it
        rows = [branch.distinct() for branch in rows]
        counted = counted.distinct() if counted is not None else None
    rows = [branch & in_nodes for branch in rows]
    return PartyListBranches(rows, rows if counted is None else [counted & filtered])


def party_detail_for(party: Party) -> Party:
    """Load what the card shows in a fixed number of queries."""
    party.points = list(party.contact_points.all())  # type: ignore[attr-defined]
    party.contacts = list(  # type: ignore[attr-defined]
        party.contact_links.filter(person__is_deleted=False)
        .select_related("person")
        .prefetch_related(Prefetch("person__contact_points"))
    )
    party.employers = list(  # type: ignore[attr-defined]
        party.employer_links.filter(organization__is_deleted=False).select_related("organization")
    )
    party.nodes = list(  # type: ignore[attr-defined]
        ClassifierNode.objects.filter(classifications__party=party).select_related("classifier")
    )
    party.co_owner_list = list(party.co_owners.all())  # type: ignore[attr-defined]
    fields = CustomField.objects.filter(target="organization" if party.is_organization else "person", is_active=True)
    party.custom_values = [(f, party.custom_data.get(f.key)) for f in fields]  # type: ignore[attr-defined]
    return party


def stale_contact_points_for(user: User) -> QuerySet[ContactPoint]:
    """Phones, e-mails and addresses of the user's own clients not confirmed for too long (S15)."""
    limit = timezone.now() - datetime.timedelta(days=settings.CRM_CONTACT_STALE_DAYS)
    return (
        ContactPoint.objects.filter(
            party__responsible=user,
            party__is_deleted=False,
            kind__in=[ContactKind.PHONE, ContactKind.EMAIL, ContactKind.ADDRESS],
            confirmed_at__lt=limit,
        )
        .select_related("party")
        .order_by("confirmed_at", "pk")
    )


def possible_duplicates(
    user: User, *, inn: str = "", phones: Iterable[str] = (), emails: Iterable[str] = (), name: str = "",
    exclude_pk: int | None = None,
) -> list[Party]:  # fmt: skip
    """Existing clients with the same INN, phone or e-mail, or a similar name (X2)."""
    from crm.core.phones import national_digits, to_e164

    condition = Q(pk__in=[])
    if inn:
        condition |= Q(inn=inn)
    keys = [national_digits(e164) for e164 in filter(None, (to_e164(p) for p in phones if p))]
    if keys:
        points = ContactPoint.objects.filter(kind=ContactKind.PHONE, search_key__in=keys).values("party_id")
        condition |= Q(pk__in=points)
    lowered = [e.strip().lower() for e in emails if e and e.strip()]
    if lowered:
        points = ContactPoint.objects.filter(kind=ContactKind.EMAIL, search_key__in=lowered).values("party_id")
        condition |= Q(pk__in=points)
    core = _name_core(name)
    if len(core) >= 4:
        condition |= contains_casefold("name", "search_name", core)
    found = Party.objects.filter(is_deleted=False).filter(condition)
    if exclude_pk:
        found = found.exclude(pk=exclude_pk)
    # Duplicates are reported even if owned by someone else, but only by name and manager, so nobody
    # creates a second card for a client a colleague already serves.
    return list(found.select_related("responsible").order_by("name")[:10])


_LEGAL_WORDS = re.compile(r"\b(ооо|оао|зао|пао|ао|ип|llc|ltd|inc|jsc|группа|компания)\b|[«»\"'.,]", re.IGNORECASE)


def _name_core(name: str) -> str:
    return " ".join(_LEGAL_WORDS.sub(" ", name).split())


def birthdays_between(user: User, start: datetime.date, days: int) -> QuerySet[Party]:
    """Visible persons whose birthday falls within `days` days from `start` (month-day keys, year wrap aware)."""
    keys = sorted(
        {
            (start + datetime.timedelta(days=i)).month * 100 + (start + datetime.timedelta(days=i)).day
            for i in range(days)
        }
    )
    first = start.month * 100 + start.day
    # Calendar order from `start`: across a year end December's birthdays come before January's.
    after_year_end = Case(When(birthday_key__lt=first, then=Value(1)), default=Value(0))
    return (
        parties_visible_to(user)
        .filter(birthday_key__in=keys)
        .prefetch_related(Prefetch("employer_links", queryset=PartyContact.objects.select_related("organization")))
        .order_by(after_year_end, "birthday_key", "name")
    )
