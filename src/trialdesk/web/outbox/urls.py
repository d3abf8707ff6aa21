from django.urls import path

from trialdesk.web.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.undelivered, name="undelivered"),
    path("<int:email_id>/retry", views.retry, name="retry"),
]
