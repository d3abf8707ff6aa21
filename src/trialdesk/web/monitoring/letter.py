"""The follow-up letter of a monitoring visit: to the site's investigator, generated from the
visit (date, monitor, summary, findings, action items with owners and due dates, records that
need correction), in the reader's language. A letter names records and people, never an arm."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.monitoring.models import MonitoringVisit
from trialdesk.web.monitoring.presenters import visit_view

# the letter is a page of its own: no script, no outside resource
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def html(visit: MonitoringVisit, language: str) -> str:
    protocol = get_protocol()
    site = next((s for s in protocol.sites if s.code == visit.site.code), None)
    with translation.override(language):
        return render_to_string("monitoring/letter.html", {
            "visit": visit_view(visit, details=True), "site_name": site.name if site else "",
            "trial": protocol.registry.brief_title.text(language),
            "nct_id": protocol.registry.nct_id, "today": clock.today(), "language": language})


def download(visit: MonitoringVisit, language: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(html(visit, language), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CSP
    if attachment:
        response["Content-Disposition"] = (
            f'attachment; filename="monitoring-visit-{visit.pk}-letter.html"')
    return response
