from django.urls import path

from trialdesk.web.trials import views, views_consent

app_name = "trials"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("screen/", views.screen, name="screen"),
    path("screen/check/", views.screen_check, name="screen_check"),
    path("participants/<str:code>/", views.participant_detail, name="participant"),
    path("participants/<str:code>/consent/", views_consent.consent_page, name="consent"),
    path("participants/<str:code>/consent/reconsent/", views_consent.reconsent,
         name="consent_reconsent"),
    *(path(f"participants/<str:code>/consent/{kind}/", views_consent.consent_event,
           {"kind": kind}, name=f"consent_{kind.replace('-', '_')}")
      for kind in views_consent.EVENT_KINDS),
    path("participants/<str:code>/randomize/", views.randomize, name="randomize"),
    path("participants/<str:code>/unblind/", views.unblind, name="unblind"),
    path("pharmacy/", views.pharmacy, name="pharmacy"),
    path("audit/", views.audit_trail, name="audit"),
    path("final-unblinding/", views.final_unblinding, name="final_unblinding"),
]
