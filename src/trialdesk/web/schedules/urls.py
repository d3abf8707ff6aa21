from django.urls import path

from trialdesk.web.schedules import views

app_name = "schedules"
urlpatterns = [
    path("", views.index, name="index"),
]
