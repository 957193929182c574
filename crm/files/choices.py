from django.db import models
from django.utils.translation import gettext_lazy as _


class MaterialCategory(models.TextChoices):
    BROCHURE = "brochure", _("brochure")
    PRESENTATION = "presentation", _("presentation")
    PRICE_SHEET = "price_sheet", _("price sheet")
    CATALOG = "catalog", _("catalogue")
    CASE_STUDY = "case_study", _("case study")
    CERTIFICATE = "certificate", _("certificate")
    OTHER = "other", _("other")
