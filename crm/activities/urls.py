from django.urls import path

from crm.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.today_view, name="today"),
    path("bell/", views.bell_view, name="bell"),
    path("notifications/read/", views.notifications_read_view, name="notifications-read"),
    path("clients/<int:pk>/log/", views.interaction_create_view, name="interaction-create"),
    path("clients/<int:pk>/history/", views.party_timeline_view, name="party-timeline"),
    path("clients/<int:pk>/report/", views.party_report_view, name="party-report"),
    path("interactions/<int:pk>/edit/", views.interaction_update_view, name="interaction-update"),
    path("interactions/<int:pk>/delete/", views.interaction_delete_view, name="interaction-delete"),
    path("tasks/", views.task_list_view, name="task-list"),
    path("tasks/new/", views.task_create_view, name="task-create"),
    path("tasks/export/<str:fmt>/", views.task_export_view, name="task-export"),
    path("tasks/<int:pk>/", views.task_detail_view, name="task-detail"),
    path("tasks/<int:pk>/done/", views.task_complete_view, name="task-complete"),
    path("tasks/<int:pk>/delete/", views.task_delete_view, name="task-delete"),
    path("reports/", views.reports_view, name="reports"),
    path("trash/", views.trash_view, name="trash"),
    path("trash/<str:kind>/<int:pk>/restore/", views.trash_restore_view, name="trash-restore"),
]
