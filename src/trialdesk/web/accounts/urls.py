from django.urls import path

from trialdesk.web.accounts import roles_view, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TrialLoginView.as_view(), name="login"),
    path("login/code/", two_factor_views.login_code, name="login_code"),
    path("two-factor/", two_factor_views.two_factor_settings, name="two_factor"),
    path("logout/", views.logout_view, name="logout"),
    path("role/", roles_view.choose_role, name="choose_role"),
    path("language/", views.set_language_view, name="language"),
]
