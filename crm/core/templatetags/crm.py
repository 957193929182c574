"""Template filters shared by every app."""

from django import template

from crm.core.phones import display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+79161234567 shown as +7 916 123-45-67."""
    return display(value) if value and value.startswith("+") else value
