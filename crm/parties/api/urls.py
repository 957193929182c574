from django.urls import include, path

from crm.parties.api import views

urlpatterns = [
    path("parties/", views.PartyListApi.as_view(), name="party-list"),
    path("parties/reassign/", views.PartyReassignApi.as_view(), name="party-reassign"),
    path("parties/duplicates/", views.DuplicatesApi.as_view(), name="party-duplicates"),
    path("parties/<int:pk>/", views.PartyDetailApi.as_view(), name="party-detail"),
    path("parties/<int:pk>/contact-points/", views.ContactPointCreateApi.as_view(), name="party-contact-points"),
    path("parties/<int:pk>/classification/", views.ClassificationApi.as_view(), name="party-classification"),
    path("parties/<int:pk>/merge/", views.PartyMergeApi.as_view(), name="party-merge"),
    path("contact-points/<int:pk>/", views.ContactPointDetailApi.as_view(), name="contact-point-detail"),
    path("search/", views.PartySearchApi.as_view(), name="search"),
    path("classifiers/", views.ClassifierListApi.as_view(), name="classifier-list"),
    path("custom-fields/", views.CustomFieldListApi.as_view(), name="custom-field-list"),
    path("parties/", include("crm.parties.api.transfer")),
]
