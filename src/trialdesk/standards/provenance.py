"""Where each value of the trial's registry record comes from: the registry, or the trial protocol.

The protocol copies what the public registry page publishes into its ``registry`` section and
lists every choice the page does not make in ``[[assumptions]]`` (a dotted path and a note). A
value of the study record is "registry" when it comes from the ``registry`` section and no
assumption touches its path; everything else (titles the page does not give, the design, arms,
outcomes, eligibility, sites, and any registry field an assumption names) was added by the
sponsor's protocol. A record imported from a registry is all "registry".

The study record itself must stay a valid ClinicalTrials.gov API v2 study (no unknown keys), so
the sources travel beside it: keyed by the record's dotted JSON paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from trialdesk.protocol import Protocol

Source = Literal["registry", "trial protocol"]
REGISTRY: Source = "registry"
PROTOCOL: Source = "trial protocol"

# Each value of the study record the writer fills, with the protocol paths it is written from
# ("|" between several).
STUDY_FIELDS: tuple[tuple[str, str], ...] = (
    ("protocolSection.identificationModule.nctId", "registry.nct_id"),
    ("protocolSection.identificationModule.briefTitle", "registry.brief_title"),
    ("protocolSection.identificationModule.officialTitle", "registry.official_title"),
    ("protocolSection.identificationModule.acronym", "registry.acronym"),
    ("protocolSection.statusModule.overallStatus", "registry.overall_status"),
    ("protocolSection.statusModule.startDateStruct.date", "registry.start_date"),
    ("protocolSection.statusModule.startDateStruct.type", "registry.start_date_type"),
    ("protocolSection.statusModule.completionDateStruct.date", "registry.completion_date"),
    ("protocolSection.statusModule.completionDateStruct.type", "registry.completion_date_type"),
    ("protocolSection.sponsorCollaboratorsModule.leadSponsor", "registry.sponsor"),
    ("protocolSection.descriptionModule.briefSummary", "registry.brief_summary"),
    ("protocolSection.descriptionModule.detailedDescription", "registry.detailed_description"),
    ("protocolSection.conditionsModule.conditions", "registry.conditions"),
    ("protocolSection.conditionsModule.keywords", "registry.keywords"),
    ("protocolSection.designModule.studyType", "registry.study_type"),
    ("protocolSection.designModule.phases", "registry.phases"),
    ("protocolSection.designModule.designInfo",
     "design.allocation|design.intervention_model|design.primary_purpose|design.masking"),
    ("protocolSection.designModule.enrollmentInfo", "design.target_enrollment"),
    ("protocolSection.armsInterventionsModule", "design.arms|design.interventions"),
    ("protocolSection.outcomesModule", "outcomes"),
    ("protocolSection.eligibilityModule", "eligibility"),
    ("protocolSection.contactsLocationsModule.centralContacts", "registry.contact"),
    ("protocolSection.contactsLocationsModule.locations", "sites"),
    ("derivedSection.conditionBrowseModule.meshes", "registry.mesh_terms"),
)


def _overlaps(path: str, other: str) -> bool:
    """True when one dotted path is the other or lies inside it ("a.b" and "a.b[1].c")."""
    short, long = sorted((path, other), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def protocol_path_source(path: str, assumptions: Iterable[str]) -> Source:
    """Return where the protocol value at ``path`` comes from, given the assumption paths."""
    if not path.startswith("registry"):
        return PROTOCOL
    if any(_overlaps(path, assumed) for assumed in assumptions):
        return PROTOCOL
    return REGISTRY


@dataclass(frozen=True)
class FieldSource:
    path: str  # dotted JSON path in the study record
    source: Source
    protocol_path: str | None = None
    note: str | None = None  # the protocol's assumption note, when one names the value

    def to_dict(self) -> dict[str, Any]:
        found = {"path": self.path, "source": self.source}
        if self.protocol_path:
            found["protocolPath"] = self.protocol_path
        if self.note:
            found["note"] = self.note
        return found


def _present(document: Mapping[str, Any], path: str) -> bool:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return value not in (None, [], {}, "")


def study_sources(document: Mapping[str, Any], protocol: Protocol | None) -> list[FieldSource]:
    """Return the source of every value ``document`` (study JSON) holds that the writer fills.

    ``protocol`` is the protocol the record was written from; None for a record imported from a
    registry, whose every value is the registry's.
    """
    if protocol is None:
        return [FieldSource(path, REGISTRY) for path, _ in STUDY_FIELDS
                if _present(document, path)]
    notes = {item.path: item.note for item in protocol.assumptions}
    found = []
    for path, protocol_paths in STUDY_FIELDS:
        if not _present(document, path):
            continue
        parts = protocol_paths.split("|")
        sources = {protocol_path_source(part, notes) for part in parts}
        source = PROTOCOL if PROTOCOL in sources else REGISTRY
        note = next((text for assumed, text in notes.items()
                     if any(_overlaps(part, assumed) for part in parts)), None)
        found.append(FieldSource(path, source, protocol_paths, note))
    return found


def source_of(sources: Iterable[FieldSource], path: str) -> Source:
    """Return the source of the value at ``path`` (or of the field holding it)."""
    holding = [item for item in sources
               if path == item.path or path.startswith((item.path + ".", item.path + "["))]
    return max(holding, key=lambda item: len(item.path)).source if holding else REGISTRY


def provenance_document(nct_id: str, sources: Iterable[FieldSource],
                        extra: Mapping[str, Source] | None = None) -> dict[str, Any]:
    """Return the sources as a JSON document: every path with "registry" or "trial protocol"."""
    fields = [item.to_dict() for item in sources]
    fields += [{"path": path, "source": source} for path, source in (extra or {}).items()]
    return {
        "nctId": nct_id,
        "sources": {REGISTRY: "as the public registry page published it",
                    PROTOCOL: "added by the sponsor's trial protocol file"},
        "fields": fields,
        "protocolAdded": [item["path"] for item in fields if item["source"] == PROTOCOL],
    }
