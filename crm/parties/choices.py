from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PartyKind(models.TextChoices):
    ORGANIZATION = "organization", _("legal entity")
    PERSON = "person", _("individual")


class LegalForm(models.TextChoices):
    OOO = "ooo", _("LLC (OOO)")
    AO = "ao", _("JSC (AO)")
    PAO = "pao", _("PJSC (PAO)")
    IP = "ip", _("sole proprietor (IP)")
    GUP = "gup", _("state unitary enterprise (GUP)")
    NKO = "nko", _("non-profit organisation")
    OTHER = "other", _("other")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("micro (up to 15)")
    SMALL = "small", _("small (16-100)")
    MEDIUM = "medium", _("medium (101-250)")
    LARGE = "large", _("large (over 250)")


class Relationship(models.TextChoices):
    CLIENT = "client", pgettext_lazy("relationship", "client")
    PROSPECT = "prospect", _("prospect")
    PARTNER = "partner", _("partner")
    SUPPLIER = "supplier", _("supplier")
    COMPETITOR = "competitor", _("competitor")
    CONTACT = "contact", _("contact person")


class Source(models.TextChoices):
    ARTICLE = "article", _("article")
    EXHIBITION = "exhibition", _("exhibition")
    REFERRAL = "referral", _("referral")
    SITE = "site", _("web site")
    ADVERTISING = "advertising", _("advertising")
    COLD_CALL = "cold_call", _("cold call")
    SOCIAL = "social", _("social networks")
    OTHER = "other", _("other")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    SITE = "site", _("web site")
    MESSENGER = "messenger", _("messenger")
    ADDRESS = "address", _("address")


class ContactLabel(models.TextChoices):
    WORK = "work", _("work")
    MOBILE = "mobile", _("mobile")
    HOME = "home", _("home")
    FAX = "fax", _("fax")
    LEGAL = "legal", _("legal address")
    POSTAL = "postal", _("postal address")
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    VK = "vk", _("VK")
    OTHER = "other", _("other")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")


class CustomFieldTarget(models.TextChoices):
    ORGANIZATION = "organization", _("legal entities")
    PERSON = "person", _("individuals and contact persons")
