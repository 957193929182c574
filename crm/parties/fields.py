"""Which sensitive data of clients a user sees (X4): the field groups, their masks, refused blind writes.

access.py answers which clients a user sees; this module answers which of their data. Each group below
is one permission, `parties.view_party_<code>`, held by roles (groups) and by every superuser. Pages,
lists, search, exports, vCard, the history and the API all ask `field_access(user)`:

- a card, a list row or a search hit shows a hidden phone as `+7 *** ***-**-67`, a hidden e-mail as
  `i***@example.com` and any other hidden value as "hidden" (`mask_card`, `mask_rows`, `mask_events`);
- the API returns a hidden value as null and names it in the object's `hidden_fields`;
- exports leave hidden columns out;
- a user who does not see a group does not write it: forms leave its fields out (saving keeps the stored
  values) and the API refuses a write naming the field (`refused_write`).

Search still finds a client by a hidden phone (the call centre types the caller's number); it only
does not show the number.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.accounts.models import User
from crm.core.phones import display
from crm.parties.choices import ContactKind
from crm.parties.models import ContactPoint, Party, PartyEvent


@dataclass(frozen=True)
class FieldGroup:
    """Sensitive data seen or hidden together: fields of the client and kinds of its contact points."""

    code: str
    label: Promise
    party_fields: tuple[str, ...] = ()
    contact_kinds: tuple[str, ...] = ()

    @property
    def codename(self) -> str:
        return f"view_party_{self.code}"

    @property
    def permission(self) -> str:
        return f"parties.{self.codename}"


FIELD_GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup("phones", gettext_lazy("Phones"), contact_kinds=(ContactKind.PHONE,)),
    FieldGroup(
        "emails", gettext_lazy("E-mails and messengers"), contact_kinds=(ContactKind.EMAIL, ContactKind.MESSENGER)
    ),
    FieldGroup("addresses", gettext_lazy("Addresses"), contact_kinds=(ContactKind.ADDRESS,)),
    FieldGroup(
        "bank", gettext_lazy("Bank details"), party_fields=("bank_name", "bik", "account", "correspondent_account")
    ),
    FieldGroup("personal", gettext_lazy("Personal data (birthday)"), party_fields=("birthday",)),
    FieldGroup("notes", gettext_lazy("Notes"), party_fields=("notes",)),
)
GROUPS = {group.code: group for group in FIELD_GROUPS}
_GROUP_OF_FIELD = {name: group.code for group in FIELD_GROUPS for name in group.party_fields}
_GROUP_OF_KIND = {kind: group.code for group in FIELD_GROUPS for kind in group.contact_kinds}
SENSITIVE_FIELDS = tuple(_GROUP_OF_FIELD)  # the client's own fields in some group; contact points go by kind
_CONTACT_EVENTS = {PartyEvent.Kind.CONTACT_ADDED, PartyEvent.Kind.CONTACT_CHANGED, PartyEvent.Kind.CONTACT_REMOVED}
HIDDEN = gettext_lazy("hidden")


class FieldAccess:
    """The groups of sensitive client data one user sees."""

    def __init__(self, visible: Iterable[str]) -> None:
        self.visible = frozenset(visible) & set(GROUPS)
        self.hidden = frozenset(GROUPS) - self.visible
        self.hidden_fields = tuple(name for name, group in _GROUP_OF_FIELD.items() if group in self.hidden)
        self.hidden_kinds = tuple(kind for kind, group in _GROUP_OF_KIND.items() if group in self.hidden)

    @classmethod
    def everything(cls) -> "FieldAccess":
        return cls(GROUPS)

    @property
    def sees_everything(self) -> bool:
        return not self.hidden

    def sees(self, group: str) -> bool:
        return group in self.visible

    def sees_field(self, name: str) -> bool:
        """A client's field: the sensitive ones by their group, every other one always."""
        return name not in self.hidden_fields

    def sees_kind(self, kind: str) -> bool:
        """A kind of contact point: phones, e-mails and messengers, addresses by their group; sites always."""
        return kind not in self.hidden_kinds

    def __repr__(self) -> str:
        return f"FieldAccess(visible={sorted(self.visible)})"


_CACHE = "_crm_field_access"


def field_access(user: User | AnonymousUser | None) -> FieldAccess:
    """What `user` sees, worked out once per user object (so once per request) from its permissions."""
    if user is None or not user.is_authenticated:
        return FieldAccess(())
    cached = vars(user).get(_CACHE)
    if cached is None:
        cached = FieldAccess(group.code for group in FIELD_GROUPS if user.has_perm(group.permission))
        vars(user)[_CACHE] = cached
    return cached


# ---------------------------------------------------------------------------- masks


def mask_phone(value: str) -> str:
    """+79161234567 as `+7 *** ***-**-67`: the country code and the last two digits stay."""
    shown = display(value)
    head, space, rest = shown.partition(" ")
    if not (space and head.startswith("+")):
        head, rest = "", shown
    total = sum(c.isdigit() for c in rest)
    kept, seen = [], 0
    for char in rest:
        if char.isdigit():
            seen += 1
            char = char if seen > total - 2 else "*"
        kept.append(char)
    return f"{head} {''.join(kept)}".strip()


def mask_contact(kind: str, value: str) -> str:
    """What a reader who may not see `value` is shown instead: a partial phone or e-mail, else "hidden"."""
    if kind == ContactKind.PHONE and value.startswith("+"):
        return mask_phone(value)
    if kind == ContactKind.EMAIL and "@" in value:
        local, domain = value.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"
    return str(HIDDEN)


def _blank(access: FieldAccess, party: Party) -> None:
    party.hidden_groups = access.hidden  # type: ignore[attr-defined]
    if not access.hidden_fields:
        return
    for name in access.hidden_fields:
        setattr(party, name, None if name == "birthday" else "")
    party.masked_for_display = True  # type: ignore[attr-defined]


def mask_points(access: FieldAccess, points: Iterable[ContactPoint | None]) -> None:
    """Replace the values of contact points `access` hides by their masks; mark each point `is_hidden`."""
    for point in points:
        if point is None:
            continue
        hidden = not access.sees_kind(point.kind)
        point.is_hidden = hidden  # type: ignore[attr-defined]
        if hidden:
            point.value, point.search_key = mask_contact(point.kind, point.value), ""
            point.masked_for_display = True  # type: ignore[attr-defined]


def mask_card(access: FieldAccess, party: Party) -> Party:
    """Blank what `access` hides on a card loaded by selectors.party_detail_for: for one reader's page only.

    The party, its contact points and its contact persons are marked so that a save raises: a masked
    row must never be written back.
    """
    _blank(access, party)
    mask_points(access, getattr(party, "points", ()))
    for link in getattr(party, "contacts", ()):
        _blank(access, link.person)
        mask_points(access, link.person.contact_points.all())
    return party


def mask_rows(access: FieldAccess, parties: Iterable[Party]) -> None:
    """The same for list rows and search hits with the card summary (main phone and e-mail) attached."""
    for party in parties:
        _blank(access, party)
        mask_points(access, (getattr(party, "main_phone", None), getattr(party, "main_email", None)))


def mask_events(access: FieldAccess, events: Iterable[PartyEvent]) -> None:
    """History lines keep saying what changed, but not the old and new values of hidden data."""
    if access.sees_everything:
        return
    for event in events:
        data: dict[str, Any] = dict(event.data)
        if isinstance(data.get("changes"), list):
            data["changes"] = [
                {**change, "old": str(HIDDEN), "new": str(HIDDEN)}
                if isinstance(change, dict) and not access.sees_field(str(change.get("field", "")))
                else change
                for change in data["changes"]
            ]
        kind = str(data.get("kind", ""))
        if event.kind in _CONTACT_EVENTS and not access.sees_kind(kind):
            for key in ("value", "old", "new"):
                if isinstance(data.get(key), str):
                    data[key] = mask_contact(kind, data[key])
        event.data = data
        event.masked_for_display = True  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- writes


def refused_write(access: FieldAccess, *, fields: Iterable[str] = (), kinds: Iterable[str] = ()) -> str | None:
    """A translated refusal naming the hidden fields and contact kinds a write touches; None if it may go on."""
    names = [
        str(getattr(Party._meta.get_field(name), "verbose_name", name))
        for name in dict.fromkeys(fields)
        if not access.sees_field(name)
    ]
    names += [str(ContactKind(kind).label) for kind in dict.fromkeys(kinds) if not access.sees_kind(kind)]
    if not names:
        return None
    return _("You may not change data hidden from you: %(fields)s.") % {"fields": ", ".join(names)}


# ---------------------------------------------------------------------------- roles


def field_access_grid() -> list[tuple[Group, frozenset[str]]]:
    """Every role with the groups of client data it sees, for the administrator's page (two queries)."""
    code_of = {group.codename: group.code for group in FIELD_GROUPS}
    granted: dict[int, set[str]] = defaultdict(set)
    rows = Group.permissions.through.objects.filter(
        permission__content_type__app_label="parties", permission__codename__in=code_of
    ).values_list("group_id", "permission__codename")
    for group_id, codename in rows:
        granted[group_id].add(code_of[codename])
    return [(group, frozenset(granted[group.pk])) for group in Group.objects.order_by("name")]
