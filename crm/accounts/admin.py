from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "last_name", "first_name", "team", "is_active", "is_staff"]
    list_filter = ["team", "groups", "is_active", "is_staff"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("CRM"), {"fields": ("middle_name", "team", "language", "phone")}),
    )
    # Users are deactivated, never deleted: their clients and history keep an owner.
    actions = ["deactivate"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    @admin.action(description=_("Deactivate the selected users"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        queryset.update(is_active=False)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "head"]
