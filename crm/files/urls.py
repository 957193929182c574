from django.urls import path

from crm.files import views

app_name = "files"
urlpatterns = [
    path("parties/<int:pk>/", views.party_files_view, name="party-files"),
    path("parties/<int:pk>/from-library/", views.party_attach_materials_view, name="party-attach-materials"),
    path("deals/<int:pk>/", views.deal_files_view, name="deal-files"),
    path("deals/<int:pk>/from-library/", views.deal_attach_materials_view, name="deal-attach-materials"),
    path("interactions/<int:pk>/", views.interaction_files_view, name="interaction-files"),
    path("<int:pk>/download/", views.attachment_download_view, name="attachment-download"),
    path("<int:pk>/delete/", views.attachment_delete_view, name="attachment-delete"),
    path("library/", views.material_list_view, name="material-list"),
    path("library/new/", views.material_create_view, name="material-create"),
    path("library/<int:pk>/edit/", views.material_update_view, name="material-update"),
    path("library/<int:pk>/deactivate/", views.material_deactivate_view, name="material-deactivate"),
    path("library/<int:pk>/download/", views.material_download_view, name="material-download"),
]
