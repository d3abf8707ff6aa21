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
    path("safety/", include("trialdesk.web.safety.urls")),
    path("dsmb/", include("trialdesk.web.dsmb.urls")),
    path("monitoring/", include("trialdesk.web.monitoring.urls")),
    path("deviations/", include("trialdesk.web.deviations.urls")),
]

# Django's error answers: the API's JSON error shape under /api/ (a URL no operation matches, a
# body too large to read, a failure outside an operation), Django's own pages elsewhere.
handler400 = "trialdesk.web.api.errors.bad_request_view"
handler403 = "trialdesk.web.api.errors.permission_denied_view"
handler404 = "trialdesk.web.api.errors.page_not_found_view"
handler500 = "trialdesk.web.api.errors.server_error_view"
