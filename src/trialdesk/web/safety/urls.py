from django.urls import path

from trialdesk.web.safety import views

app_name = "safety"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("report/", views.report, name="report"),
    path("events/<int:ae_id>/", views.event_detail, name="event"),
    path("events/<int:ae_id>/edit/", views.event_edit, name="edit"),
    path("events/<int:ae_id>/follow-up/", views.follow_up, name="follow_up"),
    path("coding/", views.coding_queue, name="coding"),
    path("summary/", views.summary, name="summary"),
]
