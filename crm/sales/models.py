"""Pipelines with configurable stages, deals with line items, stage history, leads and their distribution (S4, S23, S24)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import BusinessRecord, TimeStampedModel
from crm.sales import choices


class Pipeline(TimeStampedModel):
    """An ordered set of stages a deal goes through: new sales, repeat sales, projects..."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    position = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "name"]
        permissions = [("manage_pipelines", _("Can configure pipelines, stages and scripts"))]

    def __str__(self) -> str:
        return self.name


class Stage(TimeStampedModel):
    """A column of a pipeline: its type, default probability, who performs it and what must be done to leave it."""

    pipeline = models.ForeignKey(Pipeline, models.CASCADE, related_name="stages", verbose_name=_("pipeline"))
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("display order"), default=0)
    kind = models.CharField(
        _("stage type"), max_length=8, choices=choices.StageKind.choices, default=choices.StageKind.OPEN
    )
    probability = models.PositiveSmallIntegerField(
        _("default win probability, %"), default=0, validators=[MaxValueValidator(100)]
    )
    performer_role = models.ForeignKey(
        "auth.Group", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("performer role")
    )
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("performer")
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="sales_stage_unique_name"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_stage_probability_lte_100"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.kind == choices.StageKind.OPEN

    @property
    def is_won(self) -> bool:
        return self.kind == choices.StageKind.WON

    @property
    def is_lost(self) -> bool:
        return self.kind == choices.StageKind.LOST


class StageRequirement(models.Model):
    """Something that must be in the deal's history before it may leave `stage` forwards."""

    stage = models.ForeignKey(Stage, models.CASCADE, related_name="requirements", verbose_name=_("stage"))
    kind = models.CharField(_("requirement"), max_length=16, choices=choices.RequirementKind.choices)
    interaction_type = models.ForeignKey(
        "activities.InteractionType",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interaction type"),
    )
    document_kind = models.CharField(
        _("document kind"), max_length=32, choices=choices.DocumentKind.choices, blank=True
    )
    field = models.CharField(_("field"), max_length=32, choices=choices.RequiredField.choices, blank=True)
    label = models.CharField(_("caption"), max_length=200, help_text=_("What users read, e.g. “demonstration held”."))

    class Meta:
        verbose_name = _("stage requirement")
        verbose_name_plural = _("stage requirements")
        ordering = ["stage", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="interaction") & Q(interaction_type__isnull=False))
                | (Q(kind="document") & ~Q(document_kind=""))
                | (Q(kind="field") & ~Q(field="")),
                name="sales_requirement_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.label


class Deal(BusinessRecord):
    """A chance to sell to one client; moves through the stages of one pipeline."""

    title = models.CharField(_("title"), max_length=300)
    party = models.ForeignKey("parties.Party", models.PROTECT, related_name="deals", verbose_name=_("client"))
    contact = models.ForeignKey(
        "parties.Party",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_deals",
        verbose_name=_("contact person"),
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="deals", verbose_name=_("owner"))
    pipeline = models.ForeignKey(Pipeline, models.PROTECT, related_name="deals", verbose_name=_("pipeline"))
    stage = models.ForeignKey(Stage, models.PROTECT, related_name="deals", verbose_name=_("stage"))
    stage_entered_at = models.DateTimeField(_("in the stage since"), default=timezone.now)
    currency = models.ForeignKey("catalog.Currency", models.PROTECT, related_name="+", verbose_name=_("currency"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    # True when a user typed the amount; otherwise it is the sum of the lines.
    amount_is_manual = models.BooleanField(_("amount entered by hand"), default=False)
    cost = models.DecimalField(_("cost"), max_digits=18, decimal_places=2, default=Decimal("0"), editable=False)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability, %"), default=0, validators=[MaxValueValidator(100)])
    probability_is_manual = models.BooleanField(_("probability set by hand"), default=False)
    price_list = models.ForeignKey(
        "catalog.PriceList", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("price list")
    )
    source = models.CharField(_("source"), max_length=16, choices=choices.DealSource.choices, blank=True)
    source_detail = models.CharField(_("source details"), max_length=300, blank=True)
    lost_reason = models.ForeignKey(
        "parties.ClassifierNode", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lost reason")
    )
    competitors = models.ManyToManyField(
        "parties.Party", blank=True, related_name="competing_deals", verbose_name=_("competitors")
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    external_id = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        permissions = [
            ("view_all_deals", _("Can see every deal")),
            ("change_any_deal", _("Can change any deal")),
            ("distribute_leads", _("Can distribute leads among managers")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_deal_probability_lte_100"),
        ]
        indexes = [
            # The kanban board: one pipeline's live deals by stage, newest first.
            models.Index(fields=["pipeline", "is_deleted", "stage", "-updated_at"], name="deal_board"),
            # The board's column totals (count and sum per currency) read only this index.
            models.Index(
                fields=["pipeline", "is_deleted", "stage", "currency", "owner", "amount"], name="deal_board_totals"
            ),
            models.Index(fields=["owner", "is_deleted", "-updated_at"], name="deal_owner"),
        ]

    def __str__(self) -> str:
        return self.title


class DealLine(models.Model):
    """A line item: a product or service, quantity, price (from a price list, explainable), discount, cost and VAT."""

    deal = models.ForeignKey(Deal, models.CASCADE, related_name="lines", verbose_name=_("deal"))
    position = models.PositiveIntegerField(_("No."), default=0)
    product = models.ForeignKey(
        "catalog.Product", models.PROTECT, related_name="+", verbose_name=_("product or service")
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(_("unit"), max_length=16)
    list_price = models.DecimalField(_("list price"), max_digits=18, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=2)
    vat_rate = models.CharField(_("VAT rate"), max_length=4)
    vat_included = models.BooleanField(_("price includes VAT"), default=True)
    cost = models.DecimalField(_("unit cost"), max_digits=18, decimal_places=2, default=Decimal("0"))
    price_list = models.ForeignKey(
        "catalog.PriceList", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("price list")
    )
    # How the list price was found, in words users read ("Dealer: rule 2, client in “Dealers”").
    price_source = models.CharField(_("price source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("line item")
        verbose_name_plural = _("line items")
        ordering = ["deal", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="sales_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.product_id} x {self.quantity}"


class DealStageChange(models.Model):
    """A deal entered `stage` at `at`: the time spent in each stage is the gap to the next row."""

    deal = models.ForeignKey(Deal, models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, models.PROTECT, null=True, blank=True, related_name="+")
    stage = models.ForeignKey(Stage, models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deal", "at", "pk"]
        indexes = [models.Index(fields=["deal", "at"], name="deal_stage_change_deal")]

    def __str__(self) -> str:
        return f"{self.deal_id} -> {self.stage_id} {self.at:%Y-%m-%d}"


class DealInteraction(models.Model):
    """An interaction logged for a deal (a demonstration, a call...): stage requirements look here."""

    deal = models.ForeignKey(Deal, models.CASCADE, related_name="interaction_links")
    interaction = models.ForeignKey("activities.Interaction", models.CASCADE, related_name="deal_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "interaction"], name="sales_deal_interaction_unique")]

    def __str__(self) -> str:
        return f"{self.deal_id}/{self.interaction_id}"


class DealEvent(models.Model):
    """One line of a deal's history and audit trail; written by services, never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        STAGE_CHANGED = "stage_changed", _("stage changed")
        LINE_ADDED = "line_added", _("line added")
        LINE_CHANGED = "line_changed", _("line changed")
        LINE_REMOVED = "line_removed", _("line removed")
        INTERACTION_LOGGED = "interaction_logged", _("interaction logged")
        DOCUMENT_GENERATED = "document_generated", _("document generated")
        FILE_ATTACHED = "file_attached", _("file attached")
        FILE_REMOVED = "file_removed", _("file removed")
        DELETED = "deleted", _("moved to trash")
        RESTORED = "restored", _("restored")
        REASSIGNED = "reassigned", _("reassigned")

    deal = models.ForeignKey(Deal, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["deal", "-at"], name="deal_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.deal_id} {self.at:%Y-%m-%d}"


class DiscountLimit(models.Model):
    """The largest discount a role may give on a line without approval."""

    role = models.OneToOneField("auth.Group", models.CASCADE, related_name="discount_limit", verbose_name=_("role"))
    max_percent = models.DecimalField(
        _("largest discount, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")

    def __str__(self) -> str:
        return f"{self.role}: {self.max_percent}%"


class Lead(BusinessRecord):
    """An unqualified request (a form, an e-mail, a call) that a manager qualifies into a client and a deal, or rejects."""

    title = models.CharField(_("request"), max_length=300)
    contact_name = models.CharField(_("contact name"), max_length=300, blank=True)
    company_name = models.CharField(_("company"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=choices.LeadChannel.choices, default=choices.LeadChannel.FORM
    )
    status = models.CharField(
        _("status"), max_length=16, choices=choices.LeadStatus.choices, default=choices.LeadStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="leads", verbose_name=_("manager")
    )
    assigned_by_rule = models.ForeignKey(
        "sales.LeadRule", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("assigned by rule")
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    party = models.ForeignKey(
        "parties.Party", models.PROTECT, null=True, blank=True, related_name="leads", verbose_name=_("client")
    )
    deal = models.ForeignKey(Deal, models.PROTECT, null=True, blank=True, related_name="leads", verbose_name=_("deal"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Who entered it (a call-centre operator, a manager, the API); None for a site's form.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [models.Index(fields=["status", "owner", "-created_at"], name="lead_inbox")]

    def __str__(self) -> str:
        return self.title


class LeadRule(TimeStampedModel):
    """A distribution rule: leads matching it go to one of its managers (by territory, industry, in turn or by load)."""

    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("rule"), max_length=16, choices=choices.LeadRuleKind.choices)
    # For territory and industry: the values that match, one per line, compared case-insensitively.
    match_values = models.TextField(_("matching values"), blank=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("managers"))
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead distribution rule")
        verbose_name_plural = _("lead distribution rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name
