"""Eligibility by the default protocol's rules (Berlin ARDS definition) and stratum assignment."""

from __future__ import annotations

import pytest
from eligible import ELIGIBLE_VALUES

from trialdesk.eligibility import NoStratum, evaluate_eligibility, stratum_for
from trialdesk.protocol import load_protocol

ELIGIBLE = {**ELIGIBLE_VALUES, "pao2": 120}  # P/F 150: moderate ARDS


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


def test_berlin_ards_patient_is_eligible(protocol) -> None:
    result = evaluate_eligibility(protocol, ELIGIBLE)
    assert result.eligible and result.complete
    assert result.values["pao2_fio2"] == 150  # derived: 120 / 0.8
    assert {criterion.status for criterion in result.criteria} == {"met", "not_met"}


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"age": 17}, "adult"),
        ({"sars_cov2_pcr": "negative"}, "sars_cov2_confirmed"),
        ({"pao2": 250, "fio2": 0.8}, "ards_berlin"),  # P/F 312.5 > 300: not ARDS
        ({"peep": 4}, "ards_berlin"),
        ({"cardiac_failure_explains": True}, "ards_berlin"),
        ({"pregnant": True}, "pregnancy"),
        ({"expected_death_24h": True}, "moribund"),
    ],
)
def test_each_failing_criterion_is_named(protocol, change: dict, failing: str) -> None:
    result = evaluate_eligibility(protocol, {**ELIGIBLE, **change})
    assert not result.eligible
    assert [reason.split(":")[0] for reason in result.reasons] == [failing]


def test_boundary_pf_300_is_ards(protocol) -> None:
    assert evaluate_eligibility(protocol, {**ELIGIBLE, "pao2": 240, "fio2": 0.8}).eligible


def test_missing_value_is_not_decided(protocol) -> None:
    values = {key: value for key, value in ELIGIBLE.items() if key != "peep"}
    result = evaluate_eligibility(protocol, values)
    assert not result.eligible and not result.complete
    assert result.missing_fields == ["peep"]
    assert result.reasons == ["ards_berlin: not decided, missing peep"]


def test_criterion_texts_follow_the_language(protocol) -> None:
    result = evaluate_eligibility(protocol, ELIGIBLE, language="es")
    assert result.criteria[0].text == "Edad de 18 años o más"


@pytest.mark.parametrize(("pao2", "fio2", "level"), [(80, 0.8, "severe"), (80, 0.5, "moderate"),
                                                      (100, 1.0, "severe"), (101, 1.0, "moderate")])
def test_stratum_from_site_and_severity(protocol, pao2, fio2, level) -> None:
    values = {**ELIGIBLE, "pao2": pao2, "fio2": fio2}
    assert stratum_for(protocol, "CO-02", values) == ("CO-02", level)


def test_unknown_site_or_missing_value_has_no_stratum(protocol) -> None:
    with pytest.raises(NoStratum, match="site"):
        stratum_for(protocol, "XX-99", ELIGIBLE)
    with pytest.raises(NoStratum, match="pao2"):
        stratum_for(protocol, "CO-01", {"age": 40})
