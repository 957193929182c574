"""Phone numbers: stored in E.164, searched by the national number whatever way they were written."""

import re

import phonenumbers
from django.conf import settings

_DIGITS = re.compile(r"\D+")


def to_e164(raw: str, region: str | None = None) -> str | None:
    """The E.164 form of a phone written in any common way, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region or settings.CRM_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 phone: what a search by phone compares against."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.national_significant_number(number)


def search_digits(query: str) -> str:
    """Digits a typed phone fragment should match at the start of a national number.

    `8 (916) 123-45-67`, `+7 916 1234567` and `9161234567` all become `9161234567`: a leading
    trunk prefix 8 or country code 7 is dropped once the fragment is long enough to carry one.
    """
    digits = _DIGITS.sub("", query)
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    if query.strip().startswith("+7") and digits.startswith("7"):
        return digits[1:]
    return digits


def search_prefixes(query: str) -> list[str]:
    """The national numbers a typed phone fragment may be the start of: search_digits, and without a leading 8.

    "8 (916) 12" typed during a call: the 8 is the trunk prefix until all 11 digits are there, but a national
    number may start with 8 too (8 800 ..., or 8916... as a number of its own), so both readings count.
    """
    digits = search_digits(query)
    if query.strip().startswith("8") and 3 < len(digits) < 11:
        return [digits, digits[1:]]
    return [digits]


def display(e164: str) -> str:
    """A readable international form: +7 916 123-45-67."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
