from django.urls import path

from trialdesk.web.redcap.views import redcap_api

app_name = "redcap"
urlpatterns = [path("api/", redcap_api, name="api")]
