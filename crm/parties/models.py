"""Clients of both forms (S2), their contact points (S15), contact persons and classifier trees (S1)."""

from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import BusinessRecord, TimeStampedModel
from crm.parties import choices, validators


def _refuse_masked(row: models.Model) -> None:
    """A row whose hidden fields were blanked for one reader's page (crm.parties.fields) is never written back."""
    if getattr(row, "masked_for_display", False):
        raise ValueError(f"{row._meta.label} {row.pk} was masked for display and must not be saved")


class Party(BusinessRecord):
    """A client of either form: a legal entity or an individual (also a contact person)."""

    kind = models.CharField(_("form"), max_length=16, choices=choices.PartyKind.choices)
    name = models.CharField(_("name"), max_length=300, db_index=True)
    # The name case-folded: SQLite's LIKE ignores the case of ASCII letters only (see core.db).
    search_name = models.CharField(max_length=300, default="", editable=False)
    full_name = models.CharField(_("full legal name"), max_length=500, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=16, choices=choices.LegalForm.choices, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Month and day of the birthday, kept so "birthdays this week" is an indexed range query.
    birthday_key = models.PositiveSmallIntegerField(null=True, blank=True, editable=False, db_index=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN / OGRNIP"), max_length=15, blank=True)
    bank_name = models.CharField(_("bank"), max_length=300, blank=True)
    bik = models.CharField(_("BIK"), max_length=9, blank=True)
    account = models.CharField(_("settlement account"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True, db_index=True)
    size = models.CharField(_("size"), max_length=16, choices=choices.CompanySize.choices, blank=True)
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=choices.Relationship.choices, default=choices.Relationship.PROSPECT
    )
    source = models.CharField(_("how they learned about us"), max_length=16, choices=choices.Source.choices, blank=True)
    source_detail = models.CharField(_("source details"), max_length=300, blank=True)
    triggering_event = models.CharField(_("event that made them come"), max_length=300, blank=True)
    purchase_probability = models.PositiveSmallIntegerField(_("purchase probability, %"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="responsible_parties",
        verbose_name=_("responsible manager"),
    )
    co_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_owned_parties", verbose_name=_("co-owners")
    )
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Ids of every classifier node the party sits in and of their ancestors, kept by the services:
    # on PostgreSQL a GIN index answers "in node X or below" for a million clients in milliseconds.
    node_ids = models.JSONField(default=list, blank=True, editable=False)
    # The co-owners' user ids, a copy of `co_owners` kept by the services. PostgreSQL indexes it together with
    # the responsible manager, the nodes and the name (migration 0008), so that a manager's list, count and
    # search are one index scan; the visibility rule still checks `co_owners` itself (a stale copy hides a
    # client, it never shows one).
    co_owner_ids = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        permissions = [
            ("view_all_parties", _("Can see every client")),
            ("change_any_party", _("Can change any client")),
            ("reassign_party", _("Can reassign clients between managers")),
            ("export_parties", _("Can export clients")),
            ("import_parties", _("Can import clients")),
            ("merge_parties", _("Can merge duplicate clients")),
            ("restore_party", _("Can restore clients from the trash")),
            ("manage_classifiers", _("Can edit classifier trees")),
            ("manage_custom_fields", _("Can edit custom fields")),
            # Sensitive data, one permission per group of fields (crm/parties/fields.py, X4).
            ("view_party_phones", _("Can see clients' phones")),
            ("view_party_emails", _("Can see clients' e-mails and messengers")),
            ("view_party_addresses", _("Can see clients' addresses")),
            ("view_party_bank", _("Can see clients' bank details")),
            ("view_party_personal", _("Can see clients' personal data (birthday)")),
            ("view_party_notes", _("Can see notes on clients")),
            ("manage_field_access", _("Can choose which roles see which client data")),
        ]
        indexes = [
            models.Index(fields=["responsible", "is_deleted", "name"], name="party_responsible_name"),
            models.Index(fields=["is_deleted", "name", "id"], name="party_name_keyset"),
            models.Index(fields=["is_deleted", "-updated_at", "id"], name="party_updated_keyset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(purchase_probability__isnull=True) | Q(purchase_probability__lte=100),
                name="parties_party_probability_lte_100",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_organization(self) -> bool:
        return self.kind == choices.PartyKind.ORGANIZATION

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Field checks (lengths, blank) run before clean(): normalise first, so "7707 083 893" fits its
        # 12 characters and a person's name, derived from its parts, is not reported as missing.
        for field in ("inn", "kpp", "ogrn", "bik", "account", "correspondent_account"):
            setattr(self, field, "".join(getattr(self, field).split()))
        excluded = set(exclude or ())
        if not self.is_organization:
            self.name = " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p.strip())
            excluded.add("name")  # clean() reports an empty name on last_name
        super().clean_fields(exclude=excluded)

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_masked(self)
        # Kept on every save, whatever path wrote the name; bulk loaders set it themselves.
        self.search_name = self.name.casefold()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        elif update_fields is None and not self._state.adding and not kwargs.get("force_insert"):
            # co_owner_ids is written by its m2m receiver only (services.copy_co_owners): an instance loaded
            # before the co-owners changed must not write its stale copy back.
            kwargs["update_fields"] = [
                f.attname for f in self._meta.concrete_fields if not f.primary_key and f.name != "co_owner_ids"
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Check requisites by their checksums and derive the display name of a person."""
        errors: dict[str, list[ValidationError]] = {}

        def check(field: str, validator: Callable[[str], None]) -> None:
            value = getattr(self, field)
            if value:
                try:
                    validator(value)
                except ValidationError as error:
                    errors.setdefault(field, []).append(error)

        for field in ("inn", "kpp", "ogrn", "bik", "account", "correspondent_account"):
            setattr(self, field, "".join(getattr(self, field).split()))
        if self.is_organization:
            check(
                "inn",
                validators.validate_inn_legal if self.legal_form != choices.LegalForm.IP else validators.validate_inn,
            )
            check("kpp", validators.validate_kpp)
            if not self.name.strip():
                errors.setdefault("name", []).append(ValidationError(_("Enter the organisation's name.")))
        else:
            check("inn", validators.validate_inn)
            self.name = " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p.strip())
            if not self.name:
                errors.setdefault("last_name", []).append(ValidationError(_("Enter the person's last or first name.")))
        check("ogrn", validators.validate_ogrn)
        check("bik", validators.validate_bik)
        check("account", lambda value: validators.validate_account(value, self.bik))
        check("correspondent_account", lambda value: validators.validate_correspondent_account(value, self.bik))
        self.birthday_key = self.birthday.month * 100 + self.birthday.day if self.birthday else None
        if errors:
            raise ValidationError(errors)


class PartyContact(TimeStampedModel):
    """A person acting as a contact of an organisation; one person may serve several."""

    organization = models.ForeignKey(
        Party, models.CASCADE, related_name="contact_links", verbose_name=_("organisation")
    )
    person = models.ForeignKey(Party, models.CASCADE, related_name="employer_links", verbose_name=_("contact person"))
    position = models.CharField(pgettext_lazy("job title", "position"), max_length=200, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        constraints = [models.UniqueConstraint(fields=["organization", "person"], name="parties_contact_unique")]

    def __str__(self) -> str:
        return f"{self.person} ({self.organization})"


class ContactPoint(TimeStampedModel):
    """A phone, e-mail, site, messenger handle or address of a party, with when it was last confirmed."""

    party = models.ForeignKey(Party, models.CASCADE, related_name="contact_points", verbose_name=_("client"))
    kind = models.CharField(_("type"), max_length=16, choices=choices.ContactKind.choices)
    label = models.CharField(
        pgettext_lazy("contact point", "kind"), max_length=16, choices=choices.ContactLabel.choices, blank=True
    )
    value = models.CharField(_("value"), max_length=500)
    # Normalised for search: national digits of a phone, a lower-cased e-mail or handle.
    search_key = models.CharField(max_length=320, editable=False, db_index=True)
    is_primary = models.BooleanField(_("main"), default=False)
    confirmed_at = models.DateTimeField(_("last confirmed"), default=timezone.now)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["kind", "-is_primary", "id"]
        indexes = [models.Index(fields=["kind", "search_key"], name="contact_kind_key")]

    def __str__(self) -> str:
        return self.value

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_masked(self)
        super().save(*args, **kwargs)


class Classifier(TimeStampedModel):
    """A tree of categories defined by an administrator: temperature, loyalty, size, industry..."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("classifier")
        verbose_name_plural = _("classifiers")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ClassifierNode(TimeStampedModel):
    """A node of a classifier tree; `path` ("3/17/42/") lets one range query find all descendants."""

    classifier = models.ForeignKey(Classifier, models.CASCADE, related_name="nodes", verbose_name=_("classifier"))
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(max_length=1000, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("classifier node")
        verbose_name_plural = _("classifier nodes")
        ordering = ["classifier", "path"]
        constraints = [
            models.UniqueConstraint(fields=["classifier", "parent", "name"], name="parties_node_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PartyClassification(models.Model):
    """A party placed in a classifier node; a party may sit in many nodes, several of one tree too."""

    party = models.ForeignKey(Party, models.CASCADE, related_name="classifications")
    node = models.ForeignKey(ClassifierNode, models.CASCADE, related_name="classifications")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["party", "node"], name="parties_classification_unique")]
        indexes = [models.Index(fields=["node", "party"], name="classification_node_party")]

    def __str__(self) -> str:
        return f"{self.party_id} in {self.node_id}"


class CustomField(TimeStampedModel):
    """An administrator-defined field on legal entities or on individuals and contact persons (X3)."""

    target = models.CharField(_("applies to"), max_length=16, choices=choices.CustomFieldTarget.choices)
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(pgettext_lazy("custom field", "caption"), max_length=200)
    field_type = models.CharField(_("type"), max_length=16, choices=choices.CustomFieldType.choices)
    options = models.JSONField(_("choices"), default=list, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["target", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="parties_custom_field_unique_key")]

    def __str__(self) -> str:
        return self.label


class PartyEvent(models.Model):
    """One line of a party's history and audit trail; written by services, never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("moved to trash")
        RESTORED = "restored", _("restored")
        REASSIGNED = "reassigned", _("reassigned")
        MERGED = "merged", _("merged")
        CONTACT_ADDED = "contact_added", _("contact added")
        CONTACT_CHANGED = "contact_changed", _("contact changed")
        CONTACT_REMOVED = "contact_removed", _("contact removed")
        CLASSIFIED = "classified", _("classification changed")
        PERSON_LINKED = "person_linked", _("contact person linked")
        PERSON_UNLINKED = "person_unlinked", _("contact person unlinked")
        DEAL_CREATED = "deal_created", _("deal opened")
        DOCUMENT_GENERATED = "document_generated", _("document generated")
        FILE_ATTACHED = "file_attached", _("file attached")

    party = models.ForeignKey(Party, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["party", "-at"], name="party_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.party_id} {self.at:%Y-%m-%d}"
