"""Record page sections beyond the registry facts: where each value comes from, outcomes,
eligibility, the registry's own "See also", and MeSH terms with their Spanish (DeCS) labels.

Each shown value carries its source, "registry" (as the registry page published it) or "protocol"
(added by the sponsor's trial protocol file), from :mod:`trialdesk.standards.provenance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from trialdesk.protocol import Protocol
from trialdesk.standards.ctgov.models import Study as CtgovStudy
from trialdesk.standards.decs import spanish_label
from trialdesk.standards.eligibility_facts import eligibility_summary
from trialdesk.standards.provenance import PROTOCOL, FieldSource, source_of, study_sources
from trialdesk.web.registry.labels import TERM_KINDS, phases_text, words
from trialdesk.web.registry.live import running_protocol
from trialdesk.web.registry.models import Study

# what the page shows -> the study record's path it comes from
SHOWN = {
    "brief_title": "protocolSection.identificationModule.briefTitle",
    "official_title": "protocolSection.identificationModule.officialTitle",
    "status": "protocolSection.statusModule.overallStatus",
    "start_date": "protocolSection.statusModule.startDateStruct.date",
    "completion_date": "protocolSection.statusModule.completionDateStruct.date",
    "start_date_type": "protocolSection.statusModule.startDateStruct.type",
    "completion_date_type": "protocolSection.statusModule.completionDateStruct.type",
    "sponsor": "protocolSection.sponsorCollaboratorsModule.leadSponsor",
    "brief_summary": "protocolSection.descriptionModule.briefSummary",
    "detailed_description": "protocolSection.descriptionModule.detailedDescription",
    "conditions": "protocolSection.conditionsModule.conditions",
    "keywords": "protocolSection.conditionsModule.keywords",
    "study_type": "protocolSection.designModule.studyType",
    "phase": "protocolSection.designModule.phases",
    "design": "protocolSection.designModule.designInfo",
    "enrollment": "protocolSection.designModule.enrollmentInfo",
    "arms": "protocolSection.armsInterventionsModule",
    "outcomes": "protocolSection.outcomesModule",
    "eligibility": "protocolSection.eligibilityModule",
    "contact": "protocolSection.contactsLocationsModule.centralContacts",
    "sites": "protocolSection.contactsLocationsModule.locations",
    "mesh_terms": "derivedSection.conditionBrowseModule.meshes",
}
SEX = {"ALL": pgettext_lazy("registry", "All"), "FEMALE": pgettext_lazy("registry", "Female"),
       "MALE": pgettext_lazy("registry", "Male")}


def protocol_of(row: Study) -> Protocol | None:
    """The running protocol when ``row`` is the record written from it, else None."""
    protocol = running_protocol()
    if row.source != "protocol" or protocol.registry.nct_id != row.nct_id:
        return None
    return protocol


def record_sources(row: Study, protocol: Protocol | None) -> list[FieldSource]:
    return study_sources(row.document, protocol)


def shown_sources(sources: list[FieldSource]) -> dict[str, str]:
    """Return "registry" or "protocol" for each value the page shows (template keys)."""
    found = {name: ("protocol" if source_of(sources, path) == PROTOCOL else "registry")
             for name, path in SHOWN.items()}
    found["sites"] = "protocol"  # sites are the server's, never a registry page's
    return found


def shown_notes(sources: list[FieldSource]) -> dict[str, str]:
    """The protocol's assumption note behind each protocol-added value the page shows."""
    by_path = {item.path: item.note for item in sources if item.source == PROTOCOL and item.note}
    return {name: by_path[path] for name, path in SHOWN.items() if path in by_path}


@dataclass(frozen=True)
class OutcomeRow:
    measure: str
    description: str
    time_frame: str


def outcomes(study: CtgovStudy, protocol: Protocol | None, language: str) -> dict[str, list]:
    """Primary, secondary and other outcomes; in ``language`` when the protocol has it."""
    if protocol is not None:
        found: dict[str, list[OutcomeRow]] = {"primary": [], "secondary": [], "other": []}
        for item in protocol.outcomes:
            found[item.kind].append(OutcomeRow(item.measure.text(language),
                                               item.description.text(language),
                                               item.time_frame.text(language)))
        return found
    module = study.protocol_section.outcomes_module
    if module is None:
        return {"primary": [], "secondary": [], "other": []}
    return {kind: [OutcomeRow(o.measure, o.description or "", o.time_frame or "")
                   for o in getattr(module, f"{kind}_outcomes")]
            for kind in ("primary", "secondary", "other")}


def age_text(text: str | None) -> str:
    if not text:
        return ""
    number, _space, unit = text.partition(" ")
    if unit.lower().startswith("year") and number.isdigit():
        return _("%(years)s years") % {"years": number}
    return text


def eligibility(study: CtgovStudy, protocol: Protocol | None, language: str) -> dict[str, Any]:
    """Inclusion and exclusion criteria, ages, sex and healthy volunteers."""
    module = study.protocol_section.eligibility_module
    if module is None and protocol is None:
        return {}
    found: dict[str, Any] = {"inclusion": [], "exclusion": [], "criteria_text": ""}
    if protocol is not None:
        summary = eligibility_summary(protocol)
        found.update(
            inclusion=[c.text.text(language) for c in protocol.eligibility.inclusion],
            exclusion=[c.text.text(language) for c in protocol.eligibility.exclusion],
            minimum_age=age_text(f"{summary.minimum_age} Years") if summary.minimum_age else "",
            maximum_age=age_text(f"{summary.maximum_age} Years") if summary.maximum_age else "",
            sex=str(SEX[summary.sex]), healthy_volunteers=summary.healthy_volunteers)
        return found
    found.update(criteria_text=module.eligibility_criteria or "",
                 minimum_age=age_text(module.minimum_age), maximum_age=age_text(module.maximum_age),
                 sex=str(SEX.get(module.sex or "", "")),
                 healthy_volunteers=module.healthy_volunteers)
    return found


def see_also(row: Study) -> list[dict[str, Any]]:
    """The trials the registry page lists as related, in the page's own order."""
    stored = {study.nct_id: study for study in Study.objects.filter(nct_id__in=row.listed_related)}
    rows = []
    for nct_id in row.listed_related:
        study = stored.get(nct_id)
        phases = [code for code in study.phase_codes.split("|") if code] if study else []
        rows.append({"nct_id": nct_id, "stored": study is not None,
                     "title": study.brief_title if study else "",
                     "status": words(study.overall_status) if study else "",
                     "phase": phases_text(phases)})
    return rows


def mesh_terms(names: tuple[str, ...], language: str) -> list[dict[str, str | None]]:
    """MeSH headings with their DeCS label when the reader reads Spanish and we ship one."""
    return [{"term": name, "spanish": spanish_label(name) if language == "es" else None}
            for name in names]


INFERRED_PREFIX = "inferred from the title (pattern "


def inferred_terms(items: list[dict[str, str]], language: str) -> list[dict[str, Any]]:
    """The terms inferred for the ranking, their kind and rule in the reader's language."""
    shown = []
    for item in items:
        rule = item.get("rule", "")
        if rule.startswith(INFERRED_PREFIX) and rule.endswith(")"):
            rule = _("inferred from the title (pattern %(pattern)s)") % {
                "pattern": rule[len(INFERRED_PREFIX):-1]}
        shown.append({"term": item["term"], "kind": str(TERM_KINDS.get(item["kind"], item["kind"])),
                      "rule": rule,
                      "spanish": spanish_label(item["term"]) if language == "es" else None})
    return shown
