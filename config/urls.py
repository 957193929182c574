from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from crm.activities.views import manifest_view, service_worker_view

api_patterns = [
    path("", include("crm.parties.api.urls")),
    path("", include("crm.activities.api.urls")),
    path("", include("crm.catalog.api.urls")),
    path("", include("crm.sales.api.urls")),
    path("", include("crm.documents.api.urls")),
    path("", include("crm.files.api.urls")),
    path("", include("crm.playbooks.api.urls")),
]

urlpatterns = [
    # The API first: the activities pages below sit at the root, so every path is tried against them.
    path("api/v1/", include((api_patterns, "api"))),
    path("", include("crm.activities.urls")),
    path("clients/", include("crm.parties.urls")),
    path("catalog/", include("crm.catalog.urls")),
    path("sales/", include("crm.sales.urls")),
    path("documents/", include("crm.documents.urls")),
    path("files/", include("crm.files.urls")),
    path("scripts/", include("crm.playbooks.urls")),
    path("accounts/", include("crm.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("manifest.webmanifest", manifest_view, name="manifest"),
    path("sw.js", service_worker_view, name="service-worker"),
]
