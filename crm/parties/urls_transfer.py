"""Import and export pages; included by crm/parties/urls.py under the `parties` namespace."""

from django.urls import path

from crm.parties import views_transfer as views

urlpatterns = [
    path("import/", views.import_upload_view, name="import"),
    path("import/<uuid:token>/mapping/", views.import_mapping_view, name="import-mapping"),
    path("import/<uuid:token>/preview/", views.import_preview_view, name="import-preview"),
    path("import/<uuid:token>/errors.<str:fmt>", views.import_errors_view, name="import-errors"),
    path("vcard/import/", views.vcard_import_view, name="vcard-import"),
    path("vcard/export/", views.vcard_export_view, name="vcard-export"),
    path("export/<str:fmt>/", views.party_export_view, name="export"),
]
