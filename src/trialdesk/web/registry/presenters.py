"""What the record page shows, in the words the registry page uses, in the reader's language.

Registry data (titles, summaries, conditions) is shown as stored, in English; for the trial this
server runs, the protocol's own translations replace the texts it has them for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import get_language

from trialdesk.protocol import Protocol
from trialdesk.standards.ctgov.facts import StudyFacts, facts_from_study
from trialdesk.standards.ctgov.models import Study as CtgovStudy
from trialdesk.standards.ctgov.writer import LANGUAGE as REGISTRY_LANGUAGE
from trialdesk.standards.related import RelatedTrial, StudyTerms, Term, rank_related
from trialdesk.web.registry.labels import (
    INTERVENTION_MODELS,
    partial_date,
    phases_text,
    related_reasons,
    words,
)
from trialdesk.web.registry.live import running_protocol
from trialdesk.web.registry.models import Study, StudyTerm
from trialdesk.web.registry.sections import (
    eligibility,
    inferred_terms,
    mesh_terms,
    outcomes,
    protocol_of,
    record_sources,
    see_also,
    shown_notes,
    shown_sources,
)

__all__ = ["parse", "phases_text", "record_context", "related_rows", "words"]
RELATED_LIMIT = 30


@dataclass(frozen=True)
class RelatedRow:
    trial: RelatedTrial
    status: str
    phase: str
    reasons: list[str]


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
    return [RelatedRow(trial, words(trial.status), phases_text(trial.phases),
                       related_reasons(trial)) for trial in ranked]


def _reader_language() -> str:
    return (get_language() or REGISTRY_LANGUAGE).split("-")[0]


def _protocol_for(row: Study, language: str) -> Protocol | None:
    """The running protocol when ``row`` is its record and the reader wants another language."""
    if language == REGISTRY_LANGUAGE:
        return None
    protocol = running_protocol()
    if protocol.registry.nct_id != row.nct_id or language not in protocol.languages:
        return None
    return protocol


def _translated(context: dict[str, Any], protocol: Protocol, language: str) -> dict[str, Any]:
    """Replace the registry's English texts by the protocol's translations of the same texts.

    Arms and interventions are matched by their English names, so a record that no longer
    matches the protocol keeps its own texts.
    """
    registry, design = protocol.registry, protocol.design
    context["texts"] = {
        "brief_title": registry.brief_title.text(language),
        "official_title": registry.official_title.text(language),
        "brief_summary": registry.brief_summary.text(language),
        "detailed_description": registry.detailed_description.text(language),
    }
    if context["design"] and design.masking.description is not None:
        context["design"]["masking_description"] = design.masking.description.text(language)
    by_name = {item.name.text(REGISTRY_LANGUAGE): item for item in design.interventions}
    names = {f"{item.type.replace('_', ' ').title()}: {english}":
             f"{words(item.type)}: {item.name.text(language)}"
             for english, item in by_name.items()}
    arms = {arm.label.text(REGISTRY_LANGUAGE): arm for arm in design.arms}
    for arm in context["arms"]:
        source = arms.get(arm["label"])
        if source is not None:
            arm.update(label=source.label.text(language),
                       description=source.description.text(language))
        arm["interventions"] = [names.get(name, name) for name in arm["interventions"]]
    for item in context["interventions"]:
        source = by_name.get(item["name"])
        if source is not None:
            item.update(name=source.name.text(language),
                        description=source.description.text(language))
    context["content_language"] = language
    context["translated"] = True
    return context


def record_context(row: Study) -> dict[str, Any]:
    """Return the template context of the record page, in the active language."""
    study = parse(row)
    facts: StudyFacts = facts_from_study(study)
    section = study.protocol_section
    info = section.design_module.design_info if section.design_module else None
    masking = info.masking_info if info else None
    contact = (section.contacts_locations_module.central_contacts[0]
               if section.contacts_locations_module
               and section.contacts_locations_module.central_contacts else None)
    context = {
        "study": row,
        "facts": facts,
        "status": words(facts.overall_status),
        "study_type": words(facts.study_type),
        "phase": phases_text(facts.phases),
        "start_date": partial_date(facts.start_date) if facts.start_date else "",
        "completion_date": partial_date(facts.completion_date) if facts.completion_date else "",
        "contact": contact,
        # whether each date is actual or estimated (the protocol's, where the page does not say)
        "start_date_type": words(section.status_module.start_date_struct.type
                                 if section.status_module.start_date_struct else None),
        "completion_date_type": words(section.status_module.completion_date_struct.type
                                      if section.status_module.completion_date_struct else None),
        "design": {
            "allocation": words(facts.allocation),
            "intervention_model": str(INTERVENTION_MODELS.get(facts.intervention_model or "", "")),
            "primary_purpose": words(facts.primary_purpose),
            "masking": words(facts.masking),
            "who_masked": [words(role) for role in facts.who_masked],
            "masking_description": masking.masking_description if masking else None,
            "enrollment": facts.enrollment,
        } if info or facts.enrollment else None,
        "arms": [{"label": arm.label, "type": words(arm.type), "description": arm.description,
                  "interventions": list(arm.interventions)} for arm in facts.arms],
        "interventions": [{"type": words(item.type), "name": item.name,
                           "description": item.description} for item in facts.interventions],
        "related": related_rows(row),
        "see_also": see_also(row),
        "versions": row.versions.count(),
        "texts": {"brief_title": facts.brief_title, "official_title": facts.official_title,
                  "brief_summary": facts.brief_summary,
                  "detailed_description": facts.detailed_description},
        # the language of the record's own texts, marked on them for screen readers
        "content_language": REGISTRY_LANGUAGE,
    }
    language = _reader_language()
    source_protocol = protocol_of(row)
    sources = record_sources(row, source_protocol)
    content_language = (language if source_protocol is not None
                        and language in source_protocol.languages else REGISTRY_LANGUAGE)
    context.update(
        sources=[item.to_dict() for item in sources],
        src=shown_sources(sources),
        notes=shown_notes(sources),
        outcomes=outcomes(study, source_protocol, content_language),
        eligibility=eligibility(study, source_protocol, content_language),
        conditions=mesh_terms(facts.conditions, language),
        mesh_terms=mesh_terms(facts.mesh_terms, language),
        mesh_ancestors=mesh_terms(facts.mesh_ancestors, language),
        inferred=inferred_terms(row.inferred, language),
        reader_language=language,
    )
    protocol = _protocol_for(row, language)
    return _translated(context, protocol, language) if protocol is not None else context
