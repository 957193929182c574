"""Template filters shared by every app."""

from django import template
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from crm.core.phones import display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+79161234567 shown as +7 916 123-45-67."""
    return display(value) if value and value.startswith("+") else value


@register.filter
def role_names(groups: "QuerySet[Group]") -> str:
    """The user's roles in the interface language (shipped roles are translated by code)."""
    from crm.accounts.roles import ROLE_NAMES

    return ", ".join(str(ROLE_NAMES.get(g.name, g.name)) for g in groups)
