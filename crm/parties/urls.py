from django.urls import include, path

from crm.parties import views, views_settings

app_name = "parties"
urlpatterns = [
    path("", views.party_list_view, name="list"),
    path("search/", views.party_search_view, name="search"),
    path("new/<str:kind>/", views.party_create_view, name="create"),
    path("duplicates/", views.duplicates_check_view, name="duplicates"),
    path("reassign/", views.party_bulk_reassign_view, name="bulk-reassign"),
    path("stale-contacts/", views.stale_contacts_view, name="stale"),
    path("trash/", views.trash_view, name="trash"),
    path("<int:pk>/", views.party_detail_view, name="detail"),
    path("<int:pk>/edit/", views.party_update_view, name="update"),
    path("<int:pk>/delete/", views.party_delete_view, name="delete"),
    path("<int:pk>/restore/", views.party_restore_view, name="restore"),
    path("<int:pk>/classify/", views.party_classify_view, name="classify"),
    path("<int:pk>/reassign/", views.party_reassign_view, name="reassign"),
    path("<int:pk>/merge/", views.party_merge_view, name="merge"),
    path("<int:pk>/contacts/", views.contact_point_add_view, name="contact-add"),
    path("<int:pk>/persons/", views.contact_person_add_view, name="person-add"),
    path("contact-persons/<int:pk>/unlink/", views.contact_person_unlink_view, name="person-unlink"),
    path("contacts/<int:pk>/confirm/", views.contact_point_confirm_view, name="contact-confirm"),
    path("contacts/<int:pk>/remove/", views.contact_point_remove_view, name="contact-remove"),
    path("classifiers/", views_settings.classifier_list_view, name="classifier-list"),
    path("classifiers/<int:pk>/", views_settings.classifier_detail_view, name="classifier-detail"),
    path(
        "classifier-nodes/<int:pk>/delete/", views_settings.classifier_node_delete_view, name="classifier-node-delete"
    ),
    path("custom-fields/", views_settings.custom_field_list_view, name="custom-field-list"),
    path("custom-fields/new/", views_settings.custom_field_edit_view, name="custom-field-create"),
    path("custom-fields/<int:pk>/", views_settings.custom_field_edit_view, name="custom-field-update"),
    path("field-access/", views_settings.field_access_view, name="field-access"),
    path("", include("crm.parties.urls_transfer")),
]
