from django.urls import path

from trialdesk.web.supply import views

app_name = "supply"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("do/", views.do, name="do"),
    path("forecast/", views.forecast, name="forecast"),
    path("kits/<str:kit_code>/", views.kit, name="kit"),
    path("replace/", views.replace, name="replace"),
]
