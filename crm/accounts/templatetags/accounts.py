"""Template filters about users and roles."""

from django import template
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from crm.accounts.roles import ROLE_NAMES

register = template.Library()


@register.filter
def role_names(groups: "QuerySet[Group]") -> str:
    """The user's roles in the interface language (shipped roles are translated by code)."""
    return ", ".join(str(ROLE_NAMES.get(g.name, g.name)) for g in groups)
