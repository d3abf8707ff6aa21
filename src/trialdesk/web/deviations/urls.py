from django.urls import path

from trialdesk.web.deviations import views

app_name = "deviations"

urlpatterns = [
    path("", views.deviation_list, name="list"),
    path("export.csv", views.deviation_csv, name="csv"),
    path("report/", views.report, name="report"),
    path("<int:deviation_id>/", views.detail, name="detail"),
    path("<int:deviation_id>/edit/", views.edit, name="edit"),
    path("<int:deviation_id>/close/", views.close, name="close"),
    path("<int:deviation_id>/reopen/", views.reopen, name="reopen"),
]
