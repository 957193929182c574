from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal stage", "open")
    WON = "won", pgettext_lazy("deal stage", "won")
    LOST = "lost", pgettext_lazy("deal stage", "lost")


class RequirementKind(models.TextChoices):
    INTERACTION = "interaction", _("an interaction of the type is logged for the deal")
    DOCUMENT = "document", _("a document of the kind is generated for the deal")
    FIELD = "field", _("a field of the deal is filled in")


class RequiredField(models.TextChoices):
    CONTACT = "contact", _("contact person")
    LINES = "lines", _("line items")
    EXPECTED_CLOSE = "expected_close_date", _("expected close date")
    AMOUNT = "amount", _("amount")


class DealSource(models.TextChoices):
    CAMPAIGN = "campaign", _("campaign")
    CHANNEL = "channel", _("channel")
    REFERRAL = "referral", _("referral")
    LEAD = "lead", _("lead")
    OTHER = "other", _("other")


class LeadChannel(models.TextChoices):
    FORM = "form", _("web form")
    EMAIL = "email", _("e-mail")
    CALL = "call", _("call")
    OTHER = "other", _("other")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead", "new")
    ASSIGNED = "assigned", pgettext_lazy("lead", "assigned")
    QUALIFIED = "qualified", pgettext_lazy("lead", "qualified")
    REJECTED = "rejected", pgettext_lazy("lead", "rejected")


class LeadRuleKind(models.TextChoices):
    TERRITORY = "territory", _("territory")
    INDUSTRY = "industry", _("industry")
    ROUND_ROBIN = "round_robin", _("round robin")
    LOAD = "load", _("least loaded")


class DocumentKind(models.TextChoices):
    """The kinds of generated documents; stage requirements and the documents app share these codes."""

    PROPOSAL = "proposal", _("commercial proposal")
    CONTRACT = "contract", _("supply contract")
    SPECIFICATION = "specification", _("specification")
    PRICE_PROTOCOL = "price_protocol", _("price agreement protocol")
    INVOICE = "invoice", _("invoice for payment")
    OTHER = "other", _("other document")
