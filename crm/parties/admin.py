from django.contrib import admin

from crm.parties.models import Classifier, CustomField


@admin.register(Classifier)
class ClassifierAdmin(admin.ModelAdmin[Classifier]):
    """Names and order only; nodes are edited on the CRM's own classifier pages (they keep tree paths)."""

    list_display = ["name", "position"]
    fields = ["name", "description", "position"]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin[CustomField]):
    list_display = ["label", "key", "target", "field_type", "is_active"]
    list_filter = ["target", "field_type", "is_active"]
