from django.urls import path

from trialdesk.web.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
]
