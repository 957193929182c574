"""Deal pages, the client card's deal list and pipeline settings."""

from django.urls import path

from crm.sales import views

urlpatterns = [
    path("deals/", views.deal_list_view, name="deal-list"),
    path("deals/export/<str:fmt>/", views.deal_export_view, name="deal-export"),
    path("deals/new/", views.deal_create_view, name="deal-create"),
    path("deals/party-options/", views.deal_party_options_view, name="deal-party-options"),
    path("deals/trash/", views.deal_trash_view, name="deal-trash"),
    path("deals/<int:pk>/", views.deal_detail_view, name="deal-detail"),
    path("deals/<int:pk>/edit/", views.deal_update_view, name="deal-update"),
    path("deals/<int:pk>/delete/", views.deal_delete_view, name="deal-delete"),
    path("deals/<int:pk>/restore/", views.deal_restore_view, name="deal-restore"),
    path("deals/<int:pk>/move/", views.deal_move_stage_view, name="deal-move-stage"),
    path("deals/<int:pk>/lines/", views.deal_line_add_view, name="deal-line-add"),
    path("deals/lines/<int:pk>/", views.deal_line_update_view, name="deal-line-update"),
    path("deals/lines/<int:pk>/remove/", views.deal_line_remove_view, name="deal-line-remove"),
    path("deals/<int:pk>/interactions/", views.deal_log_interaction_view, name="deal-log-interaction"),
    path("clients/<int:pk>/deals/", views.party_deals_view, name="party-deals"),
    path("settings/pipelines/", views.pipeline_list_view, name="pipeline-list"),
    path("settings/pipelines/new/", views.pipeline_create_view, name="pipeline-create"),
    path("settings/pipelines/<int:pk>/", views.pipeline_update_view, name="pipeline-update"),
    path("settings/pipelines/<int:pk>/stages/", views.stage_create_view, name="stage-create"),
    path("settings/stages/<int:pk>/", views.stage_update_view, name="stage-update"),
    path("settings/stages/<int:pk>/move/", views.stage_move_view, name="stage-move"),
    path("settings/stages/<int:pk>/delete/", views.stage_delete_view, name="stage-delete"),
    path("settings/stages/<int:pk>/requirements/", views.requirement_add_view, name="requirement-add"),
    path("settings/requirements/<int:pk>/remove/", views.requirement_remove_view, name="requirement-remove"),
    path("settings/discounts/", views.discount_limits_view, name="discount-limits"),
]
