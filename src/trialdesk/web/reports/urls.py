from django.urls import path

from trialdesk.web.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
    path("jobs/<str:job_id>/", views.job, name="job"),
    path("jobs/<str:job_id>/status", views.job_status, name="job-status"),
    path("jobs/<str:job_id>/download/", views.job_download, name="job-download"),
]
