from django.urls import path

from trialdesk.web.amendments import views

app_name = "amendments"

urlpatterns = [
    path("", views.version_list, name="list"),
    path("<int:number>/", views.detail, name="detail"),
    path("<int:number>/approve/", views.approve, name="approve"),
]
