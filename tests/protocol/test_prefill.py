"""Screening values offered to later forms by field code (issue 16): which forms, which fields,
and which offered values a save kept or corrected."""

from __future__ import annotations

from eligible import ELIGIBLE_VALUES

from trialdesk.protocol import load_protocol
from trialdesk.protocol.prefill import provenance, screening_prefill

PROTOCOL = load_protocol()


def _offer(visit: str, form: str) -> dict:
    return screening_prefill(PROTOCOL.visit(visit), PROTOCOL.form(form), ELIGIBLE_VALUES)


def test_the_screening_forms_and_day0_respiratory_are_offered_the_screening_values():
    assert _offer("screening", "demographics") == {"age": 54}  # sex, weight, height: not asked
    assert _offer("screening", "eligibility") == {
        code: ELIGIBLE_VALUES[code] for code in (
            "sars_cov2_pcr", "onset_within_week", "bilateral_opacities",
            "cardiac_failure_explains", "pregnant", "active_malignancy", "expected_death_24h",
            "other_interventional_trial")}
    # the derived P/F ratio is computed again; the ventilation mode was not asked at screening
    respiratory = {"pao2": 70, "fio2": 0.8, "peep": 10}
    assert _offer("screening", "respiratory") == respiratory == _offer("day0", "respiratory")


def test_other_visits_and_forms_are_offered_nothing():
    assert _offer("day3", "respiratory") == {}
    assert _offer("day0", "vital_signs") == {}
    empty = screening_prefill(PROTOCOL.visit("screening"), PROTOCOL.form("demographics"), {})
    assert empty == {}
    unanswered = screening_prefill(PROTOCOL.visit("screening"), PROTOCOL.form("demographics"),
                                   {"age": None})
    assert unanswered == {}


def test_provenance_tells_kept_from_corrected_values():
    offered = {"pao2": 70, "fio2": 0.8, "peep": 10, "pregnant": False}
    saved = {"pao2": 70.0, "fio2": 0.6, "pregnant": False}
    assert provenance(offered, saved) == (["pao2", "pregnant"], ["fio2", "peep"])
    # no and 0 are not the same answer
    assert provenance({"pregnant": False}, {"pregnant": 0}) == ([], ["pregnant"])
    assert provenance({"peep": 1}, {"peep": True}) == ([], ["peep"])
