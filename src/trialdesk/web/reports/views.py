"""The analysis report: the page, and the same report as one standalone HTML file to download."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_REPORT
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.reports.data import load_report_data
from trialdesk.web.reports.sections import build_sections
from trialdesk.web.trials.access import sees_every_arm


def report_context(actor: Actor) -> dict[str, Any]:
    """Everything the report shows, computed from the live database for this reader."""
    language = (get_language() or "en")[:2]
    shows_arms = sees_every_arm(actor)
    data = load_report_data(show_arms=shows_arms, language=language)
    return {
        "actor": actor, "shows_arms": shows_arms, "dummy": data.dummy, "groups": data.groups,
        "sections": build_sections(data, language),
        "nct_id": get_protocol().registry.nct_id, "generated_at": clock.now(),
    }


@require_GET
@page(READ_REPORT)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "reports/index.html", report_context(actor))


@require_GET
@page(READ_REPORT)
def download(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The report as one HTML file with its styles and figures inside, to keep or send."""
    context = report_context(actor)
    html = render_to_string("reports/standalone.html", context, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # the name says what the file is and when, the same for every reader's role and allocation
    stamp = context["generated_at"].strftime("%Y-%m-%d")
    response["Content-Disposition"] = (
        f'attachment; filename="{context["nct_id"]}-analysis-report-{stamp}.html"')
    return response
