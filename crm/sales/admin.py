from django.contrib import admin

from crm.sales.models import DiscountLimit, Pipeline, Stage, StageRequirement


class StageInline(admin.TabularInline[Stage, Pipeline]):
    model = Stage
    fields = ["position", "name", "kind", "probability", "performer_role", "performer"]
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin[Pipeline]):
    """Pipelines and stages; deals are edited on the CRM's own pages (their services write the history)."""

    list_display = ["name", "position", "is_active"]
    inlines = [StageInline]


@admin.register(StageRequirement)
class StageRequirementAdmin(admin.ModelAdmin[StageRequirement]):
    list_display = ["label", "stage", "kind", "interaction_type", "document_kind", "field"]
    list_filter = ["kind", "stage__pipeline"]


@admin.register(DiscountLimit)
class DiscountLimitAdmin(admin.ModelAdmin[DiscountLimit]):
    list_display = ["role", "max_percent"]
