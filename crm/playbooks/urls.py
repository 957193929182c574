from django.urls import path

from crm.playbooks import views

app_name = "playbooks"
urlpatterns = [
    path("", views.script_list_view, name="script-list"),
    path("new/", views.script_create_view, name="script-create"),
    path("<int:pk>/", views.script_detail_view, name="script-detail"),
    path("<int:pk>/edit/", views.script_update_view, name="script-update"),
    path("<int:pk>/steps/new/", views.step_create_view, name="step-create"),
    path("steps/<int:pk>/edit/", views.step_update_view, name="step-update"),
    path("steps/<int:pk>/delete/", views.step_delete_view, name="step-delete"),
    path("steps/<int:pk>/answers/new/", views.answer_create_view, name="answer-create"),
    path("answers/<int:pk>/edit/", views.answer_update_view, name="answer-update"),
    path("answers/<int:pk>/delete/", views.answer_delete_view, name="answer-delete"),
    path("suggested/", views.suggested_view, name="suggested"),
    path("start/", views.run_start_view, name="run-start"),
    path("runs/<int:pk>/", views.run_detail_view, name="run-detail"),
    path("runs/<int:pk>/answer/", views.run_answer_view, name="run-answer"),
    path("runs/<int:pk>/back/", views.run_back_view, name="run-back"),
    path("runs/<int:pk>/finish/", views.run_finish_view, name="run-finish"),
    path("runs/<int:pk>/abandon/", views.run_abandon_view, name="run-abandon"),
    path("report/", views.report_view, name="report"),
]
