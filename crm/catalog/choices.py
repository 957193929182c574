from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("product")
    SERVICE = "service", _("service")


class VatRate(models.TextChoices):
    """Russian VAT rates (Tax Code art. 164); "none" is a sale without VAT (simplified taxation)."""

    NONE = "none", _("without VAT")
    ZERO = "0", "0%"
    FIVE = "5", "5%"
    SEVEN = "7", "7%"
    TEN = "10", "10%"
    TWENTY = "20", "20%"
    TWENTY_TWO = "22", "22%"
