from django.urls import URLPattern, path

from crm.documents.api import views

urlpatterns: list[URLPattern] = [
    path("documents/", views.DocumentListApi.as_view(), name="document-list"),
    path("documents/generate/", views.DocumentGenerateApi.as_view(), name="document-generate"),
    path("documents/<int:pk>/", views.DocumentDetailApi.as_view(), name="document-detail"),
    path("documents/<int:pk>/download/<str:fmt>/", views.DocumentDownloadApi.as_view(), name="document-download"),
    path("contracts/", views.ContractListApi.as_view(), name="contract-list"),
    path("contracts/<int:pk>/", views.ContractDetailApi.as_view(), name="contract-detail"),
]
