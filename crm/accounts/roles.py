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
    "parties.manage_field_access",
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

# Which sensitive data of clients each role sees (X4, crm/parties/fields.py): everyone but the call centre
# and the marketer sees bank details; the call centre does not see personal data (birthdays) either.
# A role gets these when it first gets its permissions here (roles that existed got them once from
# parties' migration 0007); afterwards an administrator decides on the "Access to client data" page, and
# `migrate` does not hand them out again, so a group taken away stays taken away.
_SEE_CONTACTS = ["parties.view_party_phones", "parties.view_party_emails", "parties.view_party_addresses"]
_SEE_ALL_FIELDS = [*_SEE_CONTACTS, "parties.view_party_bank", "parties.view_party_personal", "parties.view_party_notes"]

ROLE_FIELD_PERMISSIONS: dict[str, list[str]] = {
    ADMINISTRATOR: _SEE_ALL_FIELDS,
    HEAD_OF_SALES: _SEE_ALL_FIELDS,
    TEAM_LEAD: _SEE_ALL_FIELDS,
    SALES_MANAGER: _SEE_ALL_FIELDS,
    MARKETER: [*_SEE_CONTACTS, "parties.view_party_personal", "parties.view_party_notes"],
    OPERATOR: [*_SEE_CONTACTS, "parties.view_party_notes"],
}


def ensure_roles() -> dict[str, Group]:
    """Create the shipped roles if missing and give each its permissions; extra permissions stay.

    The field permissions (ROLE_FIELD_PERMISSIONS) come with a role that holds no permission yet (new,
    or made empty by a data migration such as sales' discount limits) only: an administrator's later
    choice on the client data access page is not undone by the next `migrate`.
    """
    groups = {}
    for code, permissions in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=code)
        is_new = not group.permissions.exists()
        for dotted in [*permissions, *(ROLE_FIELD_PERMISSIONS[code] if is_new else [])]:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        groups[code] = group
    return groups
