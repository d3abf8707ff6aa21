from django.urls import path

from trialdesk.web.administration import views

app_name = "administration"
urlpatterns = [
    path("", views.index, name="index"),
    path("sites/", views.sites, name="sites"),
    path("sites/new", views.site_new, name="site_new"),
    path("sites/<str:code>/", views.site, name="site"),
    path("sites/<str:code>/settings", views.site_settings, name="site_settings"),
    path("sites/<str:code>/status", views.site_status, name="site_status"),
    path("users/", views.users, name="users"),
    path("users/new", views.user_new, name="user_new"),
    path("users/<str:username>/", views.user, name="user"),
    path("users/<str:username>/roles", views.user_add_membership, name="user_add_membership"),
    path("users/<str:username>/training", views.user_training, name="user_training"),
    path("users/<str:username>/deactivate", views.user_deactivate, name="user_deactivate"),
    path("users/<str:username>/password", views.user_reset_password, name="user_reset_password"),
    path("users/<str:username>/delegations/end", views.user_end_delegation,
         name="user_end_delegation"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/to-sign/", views.to_sign, name="to_sign"),
    path("delegations/<int:delegation_id>/sign", views.sign, name="sign"),
    path("password/", views.change_password, name="change_password"),
]
