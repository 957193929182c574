from django.contrib import admin

from crm.activities.models import InteractionType


@admin.register(InteractionType)
class InteractionTypeAdmin(admin.ModelAdmin[InteractionType]):
    """Interaction types are editable: administrators add their own beside the shipped ones."""

    list_display = ["__str__", "code", "icon", "position", "is_active"]
    list_editable = ["position", "is_active"]

    def has_delete_permission(self, request: object, obj: InteractionType | None = None) -> bool:
        # Types in use are kept (PROTECT); deactivate them instead.
        return False
