from django.urls import path

from crm.files.api import views

urlpatterns = [
    path("parties/<int:pk>/attachments/", views.PartyAttachmentListApi.as_view(), name="party-attachment-list"),
    path(
        "parties/<int:pk>/attachments/from-library/",
        views.PartyAttachFromLibraryApi.as_view(),
        name="party-attachment-from-library",
    ),
    path("deals/<int:pk>/attachments/", views.DealAttachmentListApi.as_view(), name="deal-attachment-list"),
    path(
        "deals/<int:pk>/attachments/from-library/",
        views.DealAttachFromLibraryApi.as_view(),
        name="deal-attachment-from-library",
    ),
    path(
        "interactions/<int:pk>/attachments/",
        views.InteractionAttachmentListApi.as_view(),
        name="interaction-attachment-list",
    ),
    path("attachments/<int:pk>/", views.AttachmentDetailApi.as_view(), name="attachment-detail"),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadApi.as_view(), name="attachment-download"),
    path("sales-materials/", views.MaterialListApi.as_view(), name="sales-material-list"),
    path("sales-materials/<int:pk>/download/", views.MaterialDownloadApi.as_view(), name="sales-material-download"),
]
