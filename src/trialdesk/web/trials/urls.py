from django.urls import path

from trialdesk.web.trials import views

app_name = "trials"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
