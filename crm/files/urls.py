from django.urls import URLPattern

app_name = "files"
urlpatterns: list[URLPattern] = []
