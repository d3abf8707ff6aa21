"""Related-trial ranking on a small hand-made registry, including the reasons shown."""

from __future__ import annotations

import math

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.standards.related import RelatedTrial, StudyTerms, Term, rank_related, study_terms
from trialdesk.standards.seed import seed_studies


def study(nct: str, *terms: Term, status: str = "COMPLETED",
          start: str | None = None) -> StudyTerms:
    return StudyTerms(nct_id=nct, title=f"Trial {nct}", status=status, start_date=start,
                      terms=terms)


ARDS = Term("mesh", "Respiratory Distress Syndrome")
COVID = Term("mesh", "COVID-19")
SYNDROME = Term("mesh", "Syndrome")
LUNG = Term("ancestor", "Lung Diseases")
MSC = Term("keyword", "mesenchymal stem cells")

TARGET = study("NCT00000001", ARDS, COVID, SYNDROME, LUNG, MSC)
REGISTRY = [
    TARGET,
    study("NCT00000002", ARDS, SYNDROME),              # ARDS is rare-ish: shared by 3
    study("NCT00000003", COVID, Term("mesh", "COVID-19 ")),  # duplicate spelling counts once
    study("NCT00000004", SYNDROME, LUNG),              # only common terms
    study("NCT00000005", ARDS, SYNDROME, status="RECRUITING", start="2019"),
    study("NCT00000006", Term("mesh", "Diabetes Mellitus"), SYNDROME),
    study("NCT00000007", Term("mesh", "Hypertension")),  # shares nothing
    study("NCT00000008", ARDS, SYNDROME, status="RECRUITING", start="2021-06"),
    study("NCT00000009", Term("keyword", "Mesenchymal  Stem Cells", inferred=True)),
]
N = len(REGISTRY)


def idf(frequency: int) -> float:
    return math.log((1 + N) / (1 + frequency)) + 1


def by_id(ranked: list[RelatedTrial]) -> dict[str, RelatedTrial]:
    return {trial.nct_id: trial for trial in ranked}


def test_scores_are_kind_weight_times_rarity_summed_over_shared_terms() -> None:
    ranked = by_id(rank_related(TARGET, REGISTRY))
    # frequencies over the 9 studies: ARDS 4, COVID 2, Syndrome 6, Lung Diseases 2, MSC keyword 2
    assert ranked["NCT00000002"].score == pytest.approx(idf(4) + idf(6))
    assert ranked["NCT00000003"].score == pytest.approx(idf(2))
    assert ranked["NCT00000004"].score == pytest.approx(idf(6) + 0.5 * idf(2))
    assert ranked["NCT00000009"].score == pytest.approx(0.75 * idf(2))


def test_order_is_score_then_recruiting_first_then_latest_start() -> None:
    order = [trial.nct_id for trial in rank_related(TARGET, REGISTRY)]
    # By hand: idf(2) = ln(10/3) + 1 = 2.204, idf(4) = 1.693, idf(6) = 1.357.
    # 02, 05, 08: 1.693 + 1.357 = 3.050 (tie: recruiting 08 and 05 first, 08 started later);
    # 04: 1.357 + 0.5 * 2.204 = 2.459; 03: 2.204; 09: 0.75 * 2.204 = 1.653; 06: 1.357.
    assert order == ["NCT00000008", "NCT00000005", "NCT00000002", "NCT00000004",
                     "NCT00000003", "NCT00000009", "NCT00000006"]


def test_unrelated_studies_and_the_target_itself_are_left_out() -> None:
    ids = {trial.nct_id for trial in rank_related(TARGET, REGISTRY)}
    assert "NCT00000007" not in ids
    assert TARGET.nct_id not in ids


def test_reasons_list_the_shared_terms_heaviest_first_and_mark_inferred_ones() -> None:
    ranked = by_id(rank_related(TARGET, REGISTRY))
    assert ranked["NCT00000002"].reasons == [
        "MeSH term: Respiratory Distress Syndrome", "MeSH term: Syndrome"]
    assert ranked["NCT00000004"].reasons == ["MeSH term: Syndrome", "MeSH ancestor: Lung Diseases"]
    assert ranked["NCT00000009"].reasons == ["keyword: Mesenchymal  Stem Cells (inferred)"]


def test_a_listed_trial_sharing_nothing_is_kept_with_that_reason() -> None:
    ranked = rank_related(TARGET, REGISTRY, listed={"NCT00000007"})
    assert ranked[-1].nct_id == "NCT00000007"
    assert ranked[-1].score == 0
    assert ranked[-1].reasons == ["listed as related on the registry page"]


def test_limit_keeps_the_top() -> None:
    assert [t.nct_id for t in rank_related(TARGET, REGISTRY, limit=2)] == [
        "NCT00000008", "NCT00000005"]


def test_default_trial_ranks_all_twenty_trials_of_its_page_with_mesh_reasons_first() -> None:
    protocol = load_protocol()
    seeds = seed_studies(protocol)
    registry = [study_terms(seed.study, seed.inferred) for seed in seeds]
    listed = {trial.nct_id for trial in protocol.registry.related_trials}
    ranked = rank_related(registry[0], registry, listed=listed)
    assert {trial.nct_id for trial in ranked} == listed
    top = ranked[0]
    assert top.nct_id in {"NCT04798716", "NCT04909879"}  # MSC/exosomes for (COVID-19) ARDS
    assert "MeSH term: Respiratory Distress Syndrome (inferred)" in top.reasons
    # Inferred terms never enter the registry record itself.
    related_record = seeds[1].study
    assert related_record.derived_section is None
    assert related_record.protocol_section.conditions_module is None


def test_counts_given_by_a_database_rank_the_candidates_as_the_whole_registry_would() -> None:
    from collections import Counter

    frequency = Counter(key for study in REGISTRY for key in study.keyed())
    target_keys = TARGET.keyed().keys()
    candidates = [  # what a database returns: only studies sharing a term, only shared terms
        StudyTerms(nct_id=s.nct_id, title=s.title, status=s.status, start_date=s.start_date,
                   terms=tuple(t for t in s.terms if t.key in target_keys))
        for s in REGISTRY if s is not TARGET and s.keyed().keys() & target_keys
    ]
    partial = rank_related(TARGET, candidates, frequency=frequency, total=len(REGISTRY))
    assert partial == rank_related(TARGET, REGISTRY)
