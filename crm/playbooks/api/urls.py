from django.urls import path

from crm.playbooks.api import views

urlpatterns = [
    path("scripts/", views.ScriptListApi.as_view(), name="script-list"),
    path("scripts/report/", views.ScriptReportApi.as_view(), name="script-report"),
    path("scripts/<int:pk>/", views.ScriptDetailApi.as_view(), name="script-detail"),
    path("script-runs/", views.RunListApi.as_view(), name="script-run-list"),
    path("script-runs/<int:pk>/", views.RunDetailApi.as_view(), name="script-run-detail"),
    path("script-runs/<int:pk>/answer/", views.RunAnswerApi.as_view(), name="script-run-answer"),
    path("script-runs/<int:pk>/back/", views.RunBackApi.as_view(), name="script-run-back"),
    path("script-runs/<int:pk>/finish/", views.RunFinishApi.as_view(), name="script-run-finish"),
    path("script-runs/<int:pk>/abandon/", views.RunAbandonApi.as_view(), name="script-run-abandon"),
]
