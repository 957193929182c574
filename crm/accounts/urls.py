from django.contrib.auth import views as auth_views
from django.urls import path

from crm.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language_view, name="language"),
    path("token/", views.token_view, name="token"),
]
