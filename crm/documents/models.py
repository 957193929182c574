"""Document templates, generated documents with their numbers, contracts with expiry reminders, approval routes (S17, S12, S20, S21)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.documents import choices
from crm.sales.choices import DocumentKind


class CompanyProfile(models.Model):
    """Our own company's requisites (the seller in every document); a single row with pk=1."""

    name = models.CharField(_("short name"), max_length=300, blank=True)
    full_name = models.CharField(_("full legal name"), max_length=500, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN / OGRNIP"), max_length=15, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True)
    postal_address = models.CharField(_("postal address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    bank_name = models.CharField(_("bank"), max_length=300, blank=True)
    bik = models.CharField(_("BIK"), max_length=9, blank=True)
    account = models.CharField(_("settlement account"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    director_name = models.CharField(
        _("signatory's full name"), max_length=300, blank=True, help_text=_("Last, first and middle name.")
    )
    director_position = models.CharField(
        _("signatory's position"), max_length=200, blank=True, default="Генеральный директор"
    )
    director_basis = models.CharField(
        _("acts on the basis of"), max_length=200, blank=True, default="Устава", help_text=_("In the genitive case.")
    )
    accountant_name = models.CharField(_("chief accountant's full name"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("company requisites")
        verbose_name_plural = _("company requisites")

    def __str__(self) -> str:
        return self.name or str(_("Our company"))


class DocumentTemplate(TimeStampedModel):
    """A DOCX file (edited in Word) or an HTML source (printed to PDF) that documents of one kind are rendered from."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("document kind"), max_length=32, choices=DocumentKind.choices)
    format = models.CharField(_("format"), max_length=8, choices=choices.TemplateFormat.choices)
    file = models.FileField(_("DOCX file"), upload_to="document_templates/%Y/", blank=True)
    html_source = models.TextField(_("HTML source"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default for its kind"), default=False)
    # Which shipped template this row came from (`ensure_default_templates` adds each once); a DOCX row without
    # an uploaded file is built in code from it.
    builtin_code = models.CharField(max_length=64, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "format", "name"]
        permissions = [("manage_document_templates", _("Can manage document templates and company requisites"))]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "format"], condition=Q(is_default=True), name="documents_one_default_template"
            ),
            models.CheckConstraint(
                condition=Q(format="docx") | ~Q(html_source=""), name="documents_html_template_has_source"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentCounter(models.Model):
    """The last number given to documents of one kind in one year; locked while the next one is taken."""

    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="documents_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Document(models.Model):
    """A numbered document generated from a deal: the stored DOCX and/or PDF and the data it was rendered from."""

    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("document kind"), max_length=32, choices=DocumentKind.choices)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(editable=False)
    deal = models.ForeignKey("sales.Deal", models.PROTECT, related_name="documents", verbose_name=_("deal"))
    party = models.ForeignKey("parties.Party", models.PROTECT, related_name="documents", verbose_name=_("client"))
    contract = models.ForeignKey(
        "documents.Contract",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("contract"),
    )
    docx_template = models.ForeignKey(
        DocumentTemplate, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("DOCX template")
    )
    html_template = models.ForeignKey(
        DocumentTemplate, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("PDF template")
    )
    docx_file = models.FileField(_("DOCX"), upload_to="documents/%Y/%m/", blank=True)
    pdf_file = models.FileField(_("PDF"), upload_to="documents/%Y/%m/", blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3)
    context = models.JSONField(_("data it was rendered from"), default=dict, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("generated by")
    )
    created_at = models.DateTimeField(_("generated"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="documents_number_unique"),
        ]
        indexes = [
            models.Index(fields=["deal", "-created_at"], name="document_deal"),
            models.Index(fields=["party", "-created_at"], name="document_party"),
        ]

    def __str__(self) -> str:
        return self.number


class Contract(TimeStampedModel):
    """A contract with a client: dates, amount, status, the deals and documents under it, expiry reminders."""

    number = models.CharField(_("number"), max_length=60, unique=True)
    party = models.ForeignKey("parties.Party", models.PROTECT, related_name="contracts", verbose_name=_("client"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="contracts", verbose_name=_("owner")
    )
    signed_on = models.DateField(_("date signed"), null=True, blank=True)
    starts_on = models.DateField(_("start date"), null=True, blank=True)
    ends_on = models.DateField(_("expiry date"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    currency = models.ForeignKey("catalog.Currency", models.PROTECT, related_name="+", verbose_name=_("currency"))
    status = models.CharField(
        _("status"), max_length=16, choices=choices.ContractStatus.choices, default=choices.ContractStatus.DRAFT
    )
    reminder_days = models.PositiveIntegerField(
        _("remind before expiry, days"), default=30, validators=[MaxValueValidator(3650)]
    )
    deals = models.ManyToManyField("sales.Deal", blank=True, related_name="contracts", verbose_name=_("deals"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="documents_contract_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="documents_contract_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "ends_on"], name="contract_expiry")]

    def __str__(self) -> str:
        return self.number


class ContractReminder(models.Model):
    """One reminder to the owner before one expiry date of a contract; delivered once under a lease."""

    contract = models.ForeignKey(Contract, models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    remind_on = models.DateField()
    state = models.CharField(
        max_length=16, choices=choices.ReminderState.choices, default=choices.ReminderState.PENDING
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "due_on"], name="documents_contract_reminder_unique")
        ]
        indexes = [models.Index(fields=["state", "remind_on"], name="contract_reminder_due")]

    def __str__(self) -> str:
        return f"contract {self.contract_id} expires {self.due_on}"


class ApprovalRoute(models.Model):
    """A document sent to named users in order; each approves or rejects; a reject stops it."""

    document = models.ForeignKey(Document, models.CASCADE, related_name="routes", verbose_name=_("document"))
    status = models.CharField(
        _("status"), max_length=16, choices=choices.RouteStatus.choices, default=choices.RouteStatus.IN_PROGRESS
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval route")
        verbose_name_plural = _("approval routes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One route at a time per document; a new one may start after it finishes.
            models.UniqueConstraint(
                fields=["document"], condition=Q(status="in_progress"), name="documents_one_route_in_progress"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.status}"


class ApprovalStep(models.Model):
    """One approver's turn in a route; `asked_at` is set when the previous step is approved."""

    route = models.ForeignKey(ApprovalRoute, models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="approval_steps", verbose_name=_("approver")
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=choices.Decision.choices, default=choices.Decision.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["route", "order"]
        constraints = [models.UniqueConstraint(fields=["route", "order"], name="documents_step_unique_order")]
        indexes = [models.Index(fields=["approver", "decision"], name="approval_inbox")]

    def __str__(self) -> str:
        return f"{self.route_id}#{self.order}: {self.decision}"


class DocumentEvent(models.Model):
    """One line of the history of a document or a contract; written by services, never edited."""

    class Kind(models.TextChoices):
        GENERATED = "generated", _("generated")
        SENT_FOR_APPROVAL = "sent_for_approval", _("sent for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        ROUTE_APPROVED = "route_approved", _("approval completed")
        CONTRACT_CREATED = "contract_created", _("contract created")
        CONTRACT_CHANGED = "contract_changed", _("contract changed")
        LINKED = "linked", _("linked to a contract")

    document = models.ForeignKey(Document, models.CASCADE, null=True, blank=True, related_name="events")
    contract = models.ForeignKey(Contract, models.CASCADE, null=True, blank=True, related_name="events")
    party = models.ForeignKey("parties.Party", models.CASCADE, related_name="document_events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["party", "-at"], name="document_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
