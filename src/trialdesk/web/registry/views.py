"""Public registry pages: no login, nothing arm-related, readable without JavaScript."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from trialdesk.standards.ctgov.models import Study as CtgovStudy
from trialdesk.standards.fhir import FhirMappingError, research_study
from trialdesk.standards.provenance import provenance_document, study_sources
from trialdesk.web.core.pages import public
from trialdesk.web.registry.forms import SearchForm
from trialdesk.web.registry.language import with_language
from trialdesk.web.registry.live import live_figures
from trialdesk.web.registry.models import Study
from trialdesk.web.registry.presenters import phases_text, record_context, words
from trialdesk.web.registry.published import served_document
from trialdesk.web.registry.search import SearchParams, search_studies
from trialdesk.web.registry.sections import protocol_of


@public
@require_safe
@with_language
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "registry/search.html", {"form": form, "results": None},
                      status=400)
    data = form.cleaned_data
    results = search_studies(SearchParams(
        q=data["q"], condition=data["condition"], status=data["status"], phase=data["phase"],
        page=data["page"] or 1,
    ))
    rows = [{"study": study, "status": words(study.overall_status),
             "phase": phases_text([c for c in study.phase_codes.split("|") if c])}
            for study in results.studies]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("lang", None)  # the language is kept by the cookie
    return render(request, "registry/search.html", {
        "form": form, "results": results, "rows": rows, "query": query.urlencode(),
        "searched": any(data[name] for name in ("q", "condition", "status", "phase")),
    })


@public
@require_safe
@with_language
def record(request: HttpRequest, nct_id: str) -> HttpResponse:
    row = get_object_or_404(Study, nct_id=nct_id)
    return render(request, "registry/record.html",
                  {**record_context(row), "live": live_figures(nct_id)})


def _describedby(nct_id: str) -> str:
    return f'<{reverse("registry:record-provenance", args=[nct_id])}>; rel="describedby"'


@public
@require_safe
def record_json(request: HttpRequest, nct_id: str) -> JsonResponse:
    """The study record as stored, with the running trial's activated sites as its locations: a
    ClinicalTrials.gov API v2 study, which allows no extra key, so where each value comes from is
    a linked document (``Link: ...; rel="describedby"``)."""
    row = get_object_or_404(Study, nct_id=nct_id)
    response = JsonResponse(served_document(row),
                            json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Link"] = _describedby(nct_id)
    return response


@public
@require_safe
def record_provenance(request: HttpRequest, nct_id: str) -> JsonResponse:
    """Where each value of the study record comes from: "registry" or "trial protocol"."""
    row = get_object_or_404(Study, nct_id=nct_id)
    sources = study_sources(served_document(row), protocol_of(row))
    document = provenance_document(nct_id, sources, {"related trials (See also)": "registry"})
    document["record"] = reverse("registry:record-json", args=[nct_id])
    return JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})


@public
@require_safe
def record_fhir(request: HttpRequest, nct_id: str) -> HttpResponse:
    row = get_object_or_404(Study, nct_id=nct_id)
    try:
        document = served_document(row)
        resource = research_study(CtgovStudy.model_validate(document),
                                  study_sources(document, protocol_of(row)))
    except FhirMappingError as error:
        return JsonResponse({"error": str(error)}, status=422)
    response = HttpResponse(json.dumps(json.loads(resource.model_dump_json()), indent=2,
                                       ensure_ascii=False),
                            content_type="application/fhir+json")
    response["Link"] = _describedby(nct_id)
    return response
