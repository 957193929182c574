from django.urls import URLPattern, path

from crm.documents import views

app_name = "documents"
urlpatterns: list[URLPattern] = [
    path("", views.document_list_view, name="document-list"),
    path("deal/<int:pk>/", views.deal_documents_view, name="deal-documents"),
    path("client/<int:pk>/", views.party_documents_view, name="party-documents"),
    path("<int:pk>/", views.document_detail_view, name="document-detail"),
    path("<int:pk>/download/<str:fmt>/", views.document_download_view, name="document-download"),
    path("<int:pk>/approval/", views.document_send_for_approval_view, name="document-send-for-approval"),
    path("approvals/", views.approval_inbox_view, name="approval-inbox"),
    path("approvals/<int:pk>/decide/", views.approval_decide_view, name="approval-decide"),
    path("templates/", views.template_list_view, name="template-list"),
    path("templates/new/", views.template_create_view, name="template-create"),
    path("templates/<int:pk>/", views.template_update_view, name="template-update"),
    path("templates/<int:pk>/default/", views.template_set_default_view, name="template-set-default"),
    path("templates/<int:pk>/docx/", views.template_download_view, name="template-download"),
    path("company/", views.company_profile_view, name="company-profile"),
    path("contracts/", views.contract_list_view, name="contract-list"),
    path("contracts/new/", views.contract_create_view, name="contract-create"),
    path("contracts/<int:pk>/", views.contract_detail_view, name="contract-detail"),
    path("contracts/<int:pk>/edit/", views.contract_update_view, name="contract-update"),
    path("contracts/<int:pk>/deals/", views.contract_link_deal_view, name="contract-link-deal"),
    path("contracts/<int:pk>/documents/", views.contract_link_document_view, name="contract-link-document"),
]
