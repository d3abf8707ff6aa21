"""URL configuration: pages, the JSON API under /api/v1/, and the public registry."""

from django.urls import include, path

from trialdesk.web.api.router import api

urlpatterns = [
    path("", include("trialdesk.web.trials.urls")),
    path("accounts/", include("trialdesk.web.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("registry", include("trialdesk.web.registry.urls")),
    path("capture/", include("trialdesk.web.capture.urls")),
    path("design/", include("trialdesk.web.design.urls")),
    path("reports/", include("trialdesk.web.reports.urls")),
]
