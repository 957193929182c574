"""Template side of crm.documents.access: whether the reader may open generated documents."""

from django import template

from crm.accounts.models import User
from crm.documents.access import document_hidden_groups

register = template.Library()


@register.filter
def sees_document_content(user: User) -> bool:
    """False where the documents print client data the user's role does not see (download links hide)."""
    return not document_hidden_groups(user)
