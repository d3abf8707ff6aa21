"""ClinicalTrials.gov results from the final report itself.

The report's data (``reports.data.load_report_data`` on the real arms) and its sections'
results (``reports.sections``: CONSORT, mortality, survival, ventilator-free days, PaO2/FiO2,
cytokines) are what the record posts, so the two cannot disagree. What the report does not
tabulate is read here from the same rows: each adverse event's term (in the report's row order)
and its organ system when coded (MedDRA SOC from the safety records), each participant's age,
sex and site country. Refused before the final unblinding (the framework's
``needs_real_allocation``, and ``standards.ctgov_results.ResultsBlinded`` again here).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
from django.utils import translation

from trialdesk.standards.ctgov_results import (
    ReportResults,
    ResultsBlinded,
    results_record,
    results_section,
)
from trialdesk.web.capture.access import LOG_VISIT
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.formats import ExportContext, Progress
from trialdesk.web.reports.data import ReportData, load_report_data
from trialdesk.web.reports.sections import (
    consort_section,
    cytokine_sections,
    mortality_section,
    pf_section,
    survival_section,
    vfd_section,
)
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import FinalUnblinding, Randomization

RESULTS_FILE = "clinicaltrials-gov-results.json"
NOT_CODED = "Not coded"


def _terms(data: ReportData) -> pd.DataFrame:
    """The report's adverse-event rows with their term and organ system (same order: the
    randomizations by pk, each participant's complete forms by pk)."""
    forms: dict[str, list[dict]] = defaultdict(list)
    rows = FormInstance.objects.filter(
        form="adverse_event", visit=LOG_VISIT, status=COMPLETE,
        participant__randomization__isnull=False,
    ).order_by("pk").values_list("participant__code", "values")
    for code, values in rows:
        forms[code].append(values or {})
    terms = [str(values.get("ae_term") or "").strip() or "Not recorded"
             for code in Randomization.objects.order_by("pk").values_list(
                 "participant__code", flat=True)
             for values in forms.get(code, [])]
    coded = {(code, term.lower()): soc for code, term, soc in AdverseEvent.objects.exclude(
        soc_name="").values_list("participant__code", "term", "soc_name")}
    frame = data.adverse_events.copy()
    if len(terms) != len(frame):  # the report read other rows: never post mismatched numbers
        raise RuntimeError("the adverse events read differ from the report's")
    frame["term"] = terms
    frame["organ_system"] = [coded.get((code, term.lower()), NOT_CODED)
                             for code, term in zip(frame["participant"], terms, strict=True)]
    return frame


def _baseline(data: ReportData) -> pd.DataFrame:
    countries = {site.code: site.country for site in get_protocol().sites}
    demographics = dict(FormInstance.objects.filter(
        form="demographics", status=COMPLETE, participant__randomization__isnull=False,
    ).order_by("pk").values_list("participant__code", "values"))
    people = data.participants
    return pd.DataFrame({
        "participant": people["participant"], "group": people["group"],
        "age": [(demographics.get(code) or {}).get("age") for code in people["participant"]],
        "sex": [(demographics.get(code) or {}).get("sex") for code in people["participant"]],
        "country": [countries.get(site, "") for site in people["site"]],
    })


def report_results() -> ReportResults:
    """The final report's results on the real arms, in English (the registry's language)."""
    with translation.override("en"):
        data = load_report_data(show_arms=True, language="en")
        cytokines = {section.key.removeprefix("cytokine_"): section.result
                     for section in cytokine_sections(data, "en")}
        events = _terms(data)
        return ReportResults(
            flow=consort_section(data, "en").result, participants=data.participants,
            adverse_events=events, baseline=_baseline(data),
            mortality=mortality_section(data).result, survival=survival_section(data).result,
            vfd=vfd_section(data).result, pf_change=pf_section(data).result,
            cytokines=cytokines,
            vocabulary="MedDRA" if NOT_CODED not in set(events["organ_system"])
            else "Investigator's verbatim term (not coded)")


def write_ctgov_results(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    """The v2 study record with its ``resultsSection`` (the framework runs it only on the real
    allocation, which after the final unblinding every exporting role gets)."""
    progress(0, 2)
    unblinded = FinalUnblinding.trial_unblinded() and context.allocation == "real"
    if not unblinded:  # before reading anything (the analyses take time)
        raise ResultsBlinded
    protocol = get_protocol()
    section = results_section(protocol, report_results(), unblinded=unblinded)
    progress(1, 2)
    path = folder / RESULTS_FILE
    path.write_text(json.dumps(results_record(protocol, section), indent=2, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    progress(2, 2)
    return [path]
