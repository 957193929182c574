from django.urls import URLPattern, path

from crm.sales.api import leads

urlpatterns: list[URLPattern] = [
    path("leads/", leads.LeadListApi.as_view(), name="lead-list"),
    path("leads/assign/", leads.LeadBulkAssignApi.as_view(), name="lead-bulk-assign"),
    path("leads/<int:pk>/", leads.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/assign/", leads.LeadAssignApi.as_view(), name="lead-assign"),
    path("leads/<int:pk>/qualify/", leads.LeadQualifyApi.as_view(), name="lead-qualify"),
    path("leads/<int:pk>/reject/", leads.LeadRejectApi.as_view(), name="lead-reject"),
    path("lead-rules/", leads.LeadRuleListApi.as_view(), name="lead-rule-list"),
    path("lead-rules/<int:pk>/", leads.LeadRuleDetailApi.as_view(), name="lead-rule-detail"),
]
