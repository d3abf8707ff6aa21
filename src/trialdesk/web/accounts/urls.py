from django.urls import path

from trialdesk.web.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TrialLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language_view, name="language"),
]
