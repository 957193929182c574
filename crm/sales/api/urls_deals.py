from django.urls import URLPattern, path

from crm.sales.api import views

urlpatterns: list[URLPattern] = [
    path("deals/", views.DealListApi.as_view(), name="deal-list"),
    path("deals/<int:pk>/", views.DealDetailApi.as_view(), name="deal-detail"),
    path("deals/<int:pk>/move-stage/", views.DealMoveStageApi.as_view(), name="deal-move-stage"),
    path("deals/<int:pk>/requirements/", views.DealRequirementsApi.as_view(), name="deal-requirements"),
    path("deals/<int:pk>/lines/", views.DealLineCreateApi.as_view(), name="deal-lines"),
    path("deal-lines/<int:pk>/", views.DealLineDetailApi.as_view(), name="deal-line-detail"),
    path("deals/<int:pk>/interactions/", views.DealInteractionApi.as_view(), name="deal-interactions"),
    path("pipelines/", views.PipelineListApi.as_view(), name="pipeline-list"),
]
