"""Related trials: rank a registry's studies by the terms they share with one study.

A shared term counts by its kind (a MeSH term says more than an ancestor of one) times how rare it
is in the registry (inverse document frequency), so "Syndrome" shared by half the registry counts
for little and "Influenza, Human" shared by two studies counts for much. Equal scores are ordered by
status (recruiting first), then by start date (latest first), then by NCT number.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.inferred import InferredTerm, Kind

KIND_WEIGHTS: dict[str, float] = {"mesh": 1.0, "condition": 1.0, "keyword": 0.75, "ancestor": 0.5}
KIND_LABELS = {"mesh": "MeSH term", "ancestor": "MeSH ancestor", "condition": "condition",
               "keyword": "keyword"}

# Open to new participants first, then about to open, then running, then ended.
STATUS_ORDER = (
    "RECRUITING", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "AVAILABLE",
    "ACTIVE_NOT_RECRUITING", "TEMPORARILY_NOT_AVAILABLE", "SUSPENDED", "COMPLETED",
    "APPROVED_FOR_MARKETING", "NO_LONGER_AVAILABLE", "TERMINATED", "WITHDRAWN", "WITHHELD",
    "UNKNOWN",
)


def normalize(term: str) -> str:
    """Return the form terms are compared in: case-folded, single spaces."""
    return " ".join(term.casefold().split())


@dataclass(frozen=True)
class Term:
    kind: Kind
    term: str
    inferred: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, normalize(self.term))


@dataclass(frozen=True)
class StudyTerms:
    """What the ranking needs of one study."""

    nct_id: str
    title: str
    status: str
    phases: tuple[str, ...] = ()
    start_date: str | None = None
    terms: tuple[Term, ...] = ()

    def keyed(self) -> dict[tuple[str, str], Term]:
        """Return the terms by key; a term the registry states wins over the same term inferred."""
        result: dict[tuple[str, str], Term] = {}
        for term in self.terms:
            if term.key not in result or result[term.key].inferred:
                result[term.key] = term
        return result


@dataclass(frozen=True)
class SharedTerm:
    kind: Kind
    term: str
    weight: float
    inferred: bool

    @property
    def label(self) -> str:
        return f"{KIND_LABELS[self.kind]}: {self.term}" + (" (inferred)" if self.inferred else "")


@dataclass(frozen=True)
class RelatedTrial:
    nct_id: str
    title: str
    status: str
    phases: tuple[str, ...]
    start_date: str | None
    score: float
    shared: tuple[SharedTerm, ...]
    listed: bool

    @property
    def reasons(self) -> list[str]:
        """Why this trial is related, heaviest shared term first."""
        reasons = [shared.label for shared in self.shared]
        if self.listed:
            reasons.append("listed as related on the registry page")
        return reasons


def study_terms(study: Study, inferred: Iterable[InferredTerm] = ()) -> StudyTerms:
    """Return a study's terms for the ranking: its record's, then the inferred ones."""
    section = study.protocol_section
    terms: list[Term] = []
    if section.conditions_module:
        terms += [Term("condition", c) for c in section.conditions_module.conditions]
        terms += [Term("keyword", k) for k in section.conditions_module.keywords]
    browse = study.derived_section.condition_browse_module if study.derived_section else None
    if browse:
        terms += [Term("mesh", mesh.term) for mesh in browse.meshes]
        terms += [Term("ancestor", mesh.term) for mesh in browse.ancestors]
    terms += [Term(item.kind, item.term, inferred=True) for item in inferred]
    status = section.status_module
    return StudyTerms(
        nct_id=study.nct_id,
        title=section.identification_module.brief_title,
        status=status.overall_status,
        phases=tuple(section.design_module.phases) if section.design_module else (),
        start_date=status.start_date_struct.date if status.start_date_struct else None,
        terms=tuple(terms),
    )


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def _recent_first(start_date: str | None) -> tuple[int, tuple[int, ...]]:
    # Partial dates sort by their parts; a missing date goes last.
    if not start_date:
        return (1, ())
    return (0, tuple(-int(part) for part in start_date.split("-")))


def rank_related(
    target: StudyTerms,
    registry: Sequence[StudyTerms],
    *,
    listed: Collection[str] = (),
    limit: int | None = None,
    frequency: Mapping[tuple[str, str], int] | None = None,
    total: int | None = None,
) -> list[RelatedTrial]:
    """Return the studies of ``registry`` related to ``target``, most related first.

    A study is related when it shares at least one term with ``target`` or its NCT number is in
    ``listed`` (the trials the target's registry page names as related, even if they share nothing
    we know of). Term rarity is counted over ``registry`` unless ``frequency`` (studies per term
    key, for at least the target's keys) and ``total`` (studies in the registry) are given: then
    ``registry`` need only hold the candidates, which is how a database ranks a large registry.
    """
    keyed = [(study, study.keyed()) for study in registry]
    if frequency is None:
        frequency = Counter(key for _, terms in keyed for key in terms)
    count = max(total if total is not None else len(keyed), 1)
    target_terms = target.keyed()
    related: list[RelatedTrial] = []
    for study, terms in keyed:
        if study.nct_id == target.nct_id:
            continue
        shared = []
        for key in target_terms.keys() & terms.keys():
            mine, theirs = target_terms[key], terms[key]
            rarity = math.log((1 + count) / (1 + frequency[key])) + 1
            shared.append(SharedTerm(theirs.kind, theirs.term, KIND_WEIGHTS[key[0]] * rarity,
                                     mine.inferred or theirs.inferred))
        is_listed = study.nct_id in listed
        if not shared and not is_listed:
            continue
        shared.sort(key=lambda item: (-item.weight, item.kind, normalize(item.term)))
        related.append(RelatedTrial(
            nct_id=study.nct_id, title=study.title, status=study.status, phases=study.phases,
            start_date=study.start_date, score=sum(item.weight for item in shared),
            shared=tuple(shared), listed=is_listed,
        ))
    related.sort(key=lambda trial: (
        -round(trial.score, 9), _status_rank(trial.status), _recent_first(trial.start_date),
        trial.nct_id,
    ))
    return related[:limit] if limit is not None else related
