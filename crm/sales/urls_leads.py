"""Lead pages (S24): list, intake, card, assignment, qualification, rejection, distribution rules, the site's form."""

from django.urls import URLPattern, path

from crm.sales import views_leads as views

urlpatterns: list[URLPattern] = [
    path("leads/", views.lead_list_view, name="lead-list"),
    path("leads/new/", views.lead_create_view, name="lead-create"),
    path("leads/assign/", views.lead_bulk_assign_view, name="lead-bulk-assign"),
    path("leads/webform/", views.lead_webform_view, name="lead-webform"),
    path("leads/<int:pk>/", views.lead_detail_view, name="lead-detail"),
    path("leads/<int:pk>/assign/", views.lead_assign_view, name="lead-assign"),
    path("leads/<int:pk>/qualify/", views.lead_qualify_view, name="lead-qualify"),
    path("leads/<int:pk>/reject/", views.lead_reject_view, name="lead-reject"),
    path("leads/rules/", views.lead_rule_list_view, name="lead-rule-list"),
    path("leads/rules/new/", views.lead_rule_create_view, name="lead-rule-create"),
    path("leads/rules/<int:pk>/", views.lead_rule_update_view, name="lead-rule-update"),
    path("leads/rules/<int:pk>/move/", views.lead_rule_move_view, name="lead-rule-move"),
]
