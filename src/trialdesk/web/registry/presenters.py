"""What the record page shows, in the words the registry page uses."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from trialdesk.protocol.registry import PHASE_DISPLAY, format_partial_date, format_status
from trialdesk.standards.ctgov.facts import StudyFacts, facts_from_study
from trialdesk.standards.ctgov.models import Study as CtgovStudy
from trialdesk.standards.related import RelatedTrial, StudyTerms, Term, rank_related
from trialdesk.web.registry.models import Study, StudyTerm

RELATED_LIMIT = 30
INTERVENTION_MODELS = {
    "SINGLE_GROUP": "Single group assignment", "PARALLEL": "Parallel assignment",
    "CROSSOVER": "Crossover assignment", "FACTORIAL": "Factorial assignment",
    "SEQUENTIAL": "Sequential assignment",
}


def words(code: str | None) -> str:
    """ "PLACEBO_COMPARATOR" -> "Placebo comparator"; None -> ""."""
    return format_status(code) if code else ""


def phases_text(phases: tuple[str, ...] | list[str]) -> str:
    """Write phases as the page does ("Phase 1/Phase 2", "N/A"); no phase is ""."""
    return "/".join(PHASE_DISPLAY[phase] for phase in phases)


@dataclass(frozen=True)
class RelatedRow:
    trial: RelatedTrial
    status: str
    phase: str


def parse(row: Study) -> CtgovStudy:
    """Return a stored document as a Study (validated when it was imported)."""
    return CtgovStudy.model_validate(row.document)


def related_rows(row: Study) -> list[RelatedRow]:
    """Return the studies of the registry related to ``row``, ranked, with display texts.

    Reads only the studies that share a term with ``row`` (or that its page lists), and counts
    each shared term's rarity in the database.
    """
    own = list(row.rank_terms.values_list("kind", "key", "term", "inferred"))
    pairs = {(kind, key) for kind, key, _, _ in own}
    frequency: Counter[tuple[str, str]] = Counter()
    shared: dict[int, list[Term]] = defaultdict(list)
    rows = StudyTerm.objects.filter(key__in={key for _, key in pairs}).values_list(
        "study_id", "kind", "key", "term", "inferred")
    for study_id, kind, key, term, inferred in rows.iterator(chunk_size=5000):
        if (kind, key) not in pairs:
            continue
        frequency[(kind, key)] += 1
        if study_id != row.pk:
            shared[study_id].append(Term(kind, term, inferred))
    studies = Study.objects.filter(Q(pk__in=shared.keys()) | Q(nct_id__in=row.listed_related))
    candidates = [
        StudyTerms(nct_id=nct_id, title=title, status=status,
                   phases=tuple(code for code in phase_codes.split("|") if code),
                   start_date=start_date or None, terms=tuple(shared.get(pk, ())))
        for pk, nct_id, title, status, phase_codes, start_date in studies.values_list(
            "pk", "nct_id", "brief_title", "overall_status", "phase_codes", "start_date")
    ]
    target = StudyTerms(nct_id=row.nct_id, title=row.brief_title, status=row.overall_status,
                        terms=tuple(Term(kind, term, inferred) for kind, _, term, inferred in own))
    ranked = rank_related(target, candidates, listed=set(row.listed_related),
                          limit=RELATED_LIMIT, frequency=frequency, total=Study.objects.count())
    return [RelatedRow(trial, format_status(trial.status), phases_text(trial.phases))
            for trial in ranked]


def record_context(row: Study) -> dict[str, Any]:
    """Return the template context of the record page."""
    study = parse(row)
    facts: StudyFacts = facts_from_study(study)
    section = study.protocol_section
    info = section.design_module.design_info if section.design_module else None
    masking = info.masking_info if info else None
    contact = (section.contacts_locations_module.central_contacts[0]
               if section.contacts_locations_module
               and section.contacts_locations_module.central_contacts else None)
    return {
        "study": row,
        "facts": facts,
        "status": words(facts.overall_status),
        "study_type": words(facts.study_type),
        "phase": phases_text(facts.phases),
        "start_date": format_partial_date(facts.start_date) if facts.start_date else "",
        "completion_date": (format_partial_date(facts.completion_date)
                            if facts.completion_date else ""),
        "contact": contact,
        "design": {
            "allocation": words(facts.allocation),
            "intervention_model": INTERVENTION_MODELS.get(facts.intervention_model or "", ""),
            "primary_purpose": words(facts.primary_purpose),
            "masking": words(facts.masking),
            "who_masked": [words(role) for role in facts.who_masked],
            "masking_description": masking.masking_description if masking else None,
            "enrollment": facts.enrollment,
        } if info or facts.enrollment else None,
        "arms": [{"label": arm.label, "type": words(arm.type), "description": arm.description,
                  "interventions": arm.interventions} for arm in facts.arms],
        "interventions": [{"type": words(item.type), "name": item.name,
                           "description": item.description} for item in facts.interventions],
        "inferred": row.inferred,
        "related": related_rows(row),
        "versions": row.versions.count(),
    }
