"""Checksums of Russian requisites: INN, KPP, OGRN/OGRNIP, BIK and bank accounts.

INN and OGRN follow python-stdnum; KPP, BIK and account checks follow the Central Bank's
rules (the account key is computed over the BIK's last three digits, or "0" and the BIK's fifth
and sixth digits for a correspondent account).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_ACCOUNT_WEIGHTS = [7, 1, 3] * 7 + [7, 1]


def validate_inn(value: str) -> None:
    if not (value.isdigit() and len(value) in (10, 12) and stdnum_inn.is_valid(value)):
        raise ValidationError(_("INN must be 10 or 12 digits with a correct check digit."), code="invalid_inn")


def validate_inn_legal(value: str) -> None:
    validate_inn(value)
    if len(value) != 10:
        raise ValidationError(_("A legal entity's INN has 10 digits."), code="invalid_inn")


def validate_kpp(value: str) -> None:
    if not _KPP.match(value):
        raise ValidationError(
            _("KPP must be 9 characters: 4 digits, 2 digits or letters, 3 digits."), code="invalid_kpp"
        )


def validate_ogrn(value: str) -> None:
    if not (value.isdigit() and len(value) in (13, 15) and stdnum_ogrn.is_valid(value)):
        raise ValidationError(_("OGRN must be 13 digits (OGRNIP 15) with a correct check digit."), code="invalid_ogrn")


def validate_bik(value: str) -> None:
    if not (value.isdigit() and len(value) == 9 and value.startswith("04")):
        raise ValidationError(_("BIK must be 9 digits starting with 04."), code="invalid_bik")


def _account_key_ok(prefix: str, account: str) -> bool:
    digits = prefix + account
    return sum(int(d) * w for d, w in zip(digits, _ACCOUNT_WEIGHTS, strict=True)) % 10 == 0


def validate_account(value: str, bik: str) -> None:
    """A settlement account of 20 digits whose key matches the bank's BIK."""
    if not (value.isdigit() and len(value) == 20):
        raise ValidationError(_("An account number has 20 digits."), code="invalid_account")
    if bik and not _account_key_ok(bik[-3:], value):
        raise ValidationError(_("The account number does not match the bank's BIK."), code="invalid_account")


def validate_correspondent_account(value: str, bik: str) -> None:
    if not (value.isdigit() and len(value) == 20 and value.startswith("301")):
        raise ValidationError(_("A correspondent account has 20 digits starting with 301."), code="invalid_account")
    if bik and not _account_key_ok("0" + bik[4:6], value):
        raise ValidationError(_("The correspondent account does not match the bank's BIK."), code="invalid_account")
