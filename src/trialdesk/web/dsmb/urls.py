from django.urls import path

from trialdesk.web.dsmb import views

app_name = "dsmb"

urlpatterns = [
    path("", views.meetings, name="meetings"),
    path("meetings/<int:meeting_id>/", views.meeting, name="meeting"),
    path("meetings/<int:meeting_id>/reports/", views.generate, name="generate"),
    path("meetings/<int:meeting_id>/recommendation/", views.sign, name="sign"),
    path("recommendations/<int:recommendation_id>/response/", views.respond, name="respond"),
    path("jobs/<str:job_id>/", views.job, name="job"),
    path("jobs/<str:job_id>/status", views.job_status, name="job-status"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/pdf/", views.report_pdf, name="report_pdf"),
    path("stopping-rule/", views.stopping_rule, name="stopping_rule"),
]
