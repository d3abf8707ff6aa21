"""URL configuration: pages, the JSON API under /api/v1/, and the public registry."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

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
    path("exports/", include("trialdesk.web.exports.urls")),
    # the REDCap wire protocol (issue 22): token in the form body, so no session and no CSRF
    path("redcap/", include("trialdesk.web.redcap.urls")),
    path("amendments/", include("trialdesk.web.amendments.urls")),
    path("supply/", include("trialdesk.web.supply.urls")),  # the cell product's supply (issue 18)
    path("outbox/", include("trialdesk.web.outbox.urls")),  # undelivered e-mail (issue 20)
    path("schedules/", include("trialdesk.web.schedules.urls")),  # scheduled work (issue 20)
    # sites, users, roles, the delegation log (issue 20)
    path("administration/", include("trialdesk.web.administration.urls")),
    # browsers ask for /favicon.ico whatever a page links (templates/base.html links the SVG)
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True,
                                             http_method_names=["get", "head"])),
]

# Django's error answers: the API's JSON error shape under /api/ (a URL no operation matches, a
# body too large to read, a failure outside an operation), elsewhere the site's own pages
# (templates/400.html ... 500.html: in the layout and the user's language, with a way back).
handler400 = "trialdesk.web.error_pages.bad_request"
handler403 = "trialdesk.web.error_pages.permission_denied"
handler404 = "trialdesk.web.error_pages.page_not_found"
handler500 = "trialdesk.web.api.errors.server_error_view"
