from django.urls import path

from trialdesk.web.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:job_id>/", views.job, name="job"),
    path("<str:job_id>/status", views.job_status, name="job-status"),
]
