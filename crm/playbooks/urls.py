from django.urls import URLPattern

app_name = "playbooks"
urlpatterns: list[URLPattern] = []
