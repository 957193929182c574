"""The shipped roles: groups holding permissions, editable by an administrator afterwards."""

from django.contrib.auth.models import Group, Permission
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "administrator"
HEAD_OF_SALES = "head_of_sales"
TEAM_LEAD = "team_lead"
SALES_MANAGER = "sales_manager"
MARKETER = "marketer"
OPERATOR = "operator"

ROLE_NAMES: dict[str, Promise] = {
    ADMINISTRATOR: _("Administrator"),
    HEAD_OF_SALES: _("Head of sales"),
    TEAM_LEAD: _("Team lead"),
    SALES_MANAGER: _("Sales manager"),
    MARKETER: _("Marketer"),
    OPERATOR: _("Operator (call centre)"),
}

_WORK = [
    "parties.add_party",
    "parties.change_party",
    "activities.add_interaction",
    "activities.add_task",
    "sales.add_deal",
    "sales.add_lead",
]
_SEE_ALL = [
    "parties.view_all_parties",
    "activities.view_all_activities",
    "sales.view_all_deals",
]
_MANAGE_ALL = [
    "parties.change_any_party",
    "parties.reassign_party",
    "parties.export_parties",
    "parties.import_parties",
    "parties.merge_parties",
    "activities.change_any_activity",
    "activities.view_time_report",
    "sales.change_any_deal",
    "sales.distribute_leads",
    "catalog.manage_catalog",
    "documents.manage_document_templates",
    "files.manage_sales_materials",
]
_CONFIGURE = [
    "parties.manage_classifiers",
    "parties.manage_custom_fields",
    "parties.restore_party",
    "activities.manage_interaction_types",
    "sales.manage_pipelines",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMINISTRATOR: _WORK + _SEE_ALL + _MANAGE_ALL + _CONFIGURE,
    HEAD_OF_SALES: _WORK + _SEE_ALL + _MANAGE_ALL,
    TEAM_LEAD: [*_WORK, "parties.export_parties", "activities.view_time_report"],
    SALES_MANAGER: [*_WORK, "parties.export_parties"],
    MARKETER: [*_SEE_ALL, "parties.export_parties", "files.manage_sales_materials"],
    OPERATOR: [
        "parties.add_party",
        "parties.view_all_parties",
        "activities.add_interaction",
        "activities.add_task",
        "sales.add_lead",
    ],
}


def ensure_roles() -> dict[str, Group]:
    """Create the shipped roles if missing and give each its permissions; extra permissions stay."""
    groups = {}
    for code, permissions in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=code)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        groups[code] = group
    return groups
