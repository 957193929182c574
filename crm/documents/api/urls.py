from django.urls import URLPattern, path

from crm.documents.api import views

urlpatterns: list[URLPattern] = [
    path("documents/", views.DocumentListApi.as_view(), name="document-list"),
    path("documents/generate/", views.DocumentGenerateApi.as_view(), name="document-generate"),
    path("documents/<int:pk>/", views.DocumentDetailApi.as_view(), name="document-detail"),
    path("documents/<int:pk>/download/<str:fmt>/", views.DocumentDownloadApi.as_view(), name="document-download"),
    path("documents/<int:pk>/approval/", views.DocumentSendForApprovalApi.as_view(), name="document-send-for-approval"),
    path("approvals/", views.ApprovalListApi.as_view(), name="approval-list"),
    path("approval-steps/<int:pk>/decide/", views.ApprovalStepDecideApi.as_view(), name="approval-step-decide"),
    path("contracts/", views.ContractListApi.as_view(), name="contract-list"),
    path("contracts/<int:pk>/", views.ContractDetailApi.as_view(), name="contract-detail"),
]
