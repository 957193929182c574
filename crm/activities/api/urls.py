from django.urls import path

from crm.activities.api import views

urlpatterns = [
    path("interactions/", views.InteractionListApi.as_view(), name="interaction-list"),
    path("interactions/<int:pk>/", views.InteractionDetailApi.as_view(), name="interaction-detail"),
    path("parties/<int:pk>/timeline/", views.PartyTimelineApi.as_view(), name="party-timeline"),
    path("tasks/", views.TaskListApi.as_view(), name="task-list"),
    path("tasks/<int:pk>/", views.TaskDetailApi.as_view(), name="task-detail"),
    path("tasks/<int:pk>/complete/", views.TaskCompleteApi.as_view(), name="task-complete"),
    path("notifications/", views.NotificationListApi.as_view(), name="notification-list"),
]
