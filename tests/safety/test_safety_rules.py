"""The safety rules (trialdesk.safety.rules): seriousness, SUSAR, alert reasons, next actions.

Seriousness criteria: ICH E2A (1994) II.B; SUSAR = serious + suspected (related) + unexpected
(ICH E2A II.A.3 and III.A); CTCAE v5 grade 5 is death.
"""

from __future__ import annotations

import pytest

from trialdesk.safety import rules
from trialdesk.safety.rules import EventFacts


def facts(**changes) -> EventFacts:
    values = {
        "grade": 2,
        "criteria": frozenset(),
        "relatedness": "not_related",
        "expectedness": "unknown",
        "outcome": "recovering",
    }
    values.update(changes)
    values["criteria"] = frozenset(values["criteria"])
    return EventFacts(**values)


@pytest.mark.parametrize("criterion", rules.SERIOUSNESS_CRITERIA)
def test_any_one_criterion_makes_an_event_serious(criterion):
    assert rules.is_serious([criterion])
    assert facts(criteria={criterion}).serious


def test_no_criterion_is_not_serious_and_an_unknown_one_is_an_error():
    assert not rules.is_serious([])
    with pytest.raises(ValueError, match="unknown seriousness"):
        rules.is_serious(["severe"])


@pytest.mark.parametrize(
    ("relatedness", "related"),
    [
        ("not_related", False),
        ("unlikely", False),
        ("possible", True),
        ("probable", True),
        ("definite", True),
    ],
)
def test_related_means_possible_probable_or_definite(relatedness, related):
    assert rules.is_related(relatedness) is related


@pytest.mark.parametrize(
    ("serious", "relatedness", "expectedness", "susar"),
    [
        (True, "possible", "unexpected", True),
        (True, "definite", "unexpected", True),
        (True, "unlikely", "unexpected", False),  # not suspected
        (True, "probable", "expected", False),  # listed in the reference safety information
        (True, "probable", "unknown", False),  # not assessed yet: an action, not a SUSAR
        (False, "definite", "unexpected", False),  # not serious
    ],
)
def test_susar_is_serious_related_and_unexpected(serious, relatedness, expectedness, susar):
    assert (
        rules.is_susar(serious=serious, relatedness=relatedness, expectedness=expectedness) is susar
    )


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({}, []),
        ({"grade": 3}, []),
        ({"grade": 3, "relatedness": "definite", "expectedness": "unexpected"}, []),  # not serious
        ({"criteria": {"hospitalization"}}, ["sae"]),
        ({"grade": 4}, ["grade_4_plus"]),
        ({"grade": 4, "criteria": {"life_threatening"}}, ["sae", "grade_4_plus"]),
        ({"grade": 5, "outcome": "fatal"}, ["sae", "grade_4_plus", "death"]),
        ({"grade": 3, "outcome": "fatal"}, ["sae", "death"]),
        ({"criteria": {"death"}, "grade": 5}, ["sae", "grade_4_plus", "death"]),
        (
            {
                "criteria": {"important_medical_event"},
                "relatedness": "possible",
                "expectedness": "unexpected",
            },
            ["sae", "susar"],
        ),
    ],
)
def test_alert_reasons(changes, reasons):
    assert rules.alert_reasons(facts(**changes)) == reasons


def test_only_new_reasons_alert_again():
    event = facts(criteria={"hospitalization"}, relatedness="probable", expectedness="unexpected")
    assert rules.new_alert_reasons(event, ["sae"]) == ["susar"]
    assert rules.new_alert_reasons(event, ["sae", "susar"]) == []


@pytest.mark.parametrize(
    ("changes", "actions"),
    [
        # not serious: nothing to report
        ({}, []),
        # an SAE not yet with the sponsor: the 24-hour report first, then follow-ups until resolved
        ({"criteria": {"hospitalization"}}, ["initial_report", "follow_up"]),
        ({"criteria": {"hospitalization"}, "reported_to_sponsor": True}, ["follow_up"]),
        (
            {
                "criteria": {"hospitalization"},
                "reported_to_sponsor": True,
                "resolved": True,
                "outcome": "recovered",
            },
            [],
        ),
        # a death needs its death report; nothing to follow after it
        (
            {"grade": 5, "outcome": "fatal", "reported_to_sponsor": True, "resolved": True},
            ["death_report"],
        ),
        (
            {
                "grade": 5,
                "outcome": "fatal",
                "reported_to_sponsor": True,
                "resolved": True,
                "death_reported": True,
            },
            [],
        ),
        # serious and related but expectedness unknown: assess it (it may be a SUSAR)
        (
            {"criteria": {"disability"}, "relatedness": "possible", "reported_to_sponsor": True},
            ["assess_expectedness", "follow_up"],
        ),
        # a SUSAR needs its report to the authorities
        (
            {
                "criteria": {"life_threatening"},
                "relatedness": "probable",
                "expectedness": "unexpected",
                "reported_to_sponsor": True,
            },
            ["susar_report", "follow_up"],
        ),
        (
            {
                "criteria": {"life_threatening"},
                "relatedness": "probable",
                "expectedness": "unexpected",
                "reported_to_sponsor": True,
                "susar_reported": True,
            },
            ["follow_up"],
        ),
    ],
)
def test_next_actions(changes, actions):
    assert rules.next_actions(facts(**changes)) == actions


@pytest.mark.parametrize(
    ("changes", "seven_day"),
    [
        ({"criteria": {"life_threatening"}}, True),
        ({"grade": 5, "outcome": "fatal"}, True),
        ({"grade": 4, "criteria": {"hospitalization"}}, True),
        ({"grade": 3, "criteria": {"hospitalization"}}, False),
    ],
)
def test_which_susar_clock_runs(changes, seven_day):
    assert facts(**changes).fatal_or_life_threatening is seven_day


@pytest.mark.parametrize(
    ("outcome", "resolved"),
    [
        ("recovered", True),
        ("recovered_with_sequelae", True),
        ("fatal", True),
        ("recovering", False),
        ("not_recovered", False),
        ("unknown", False),
    ],
)
def test_resolved_outcomes(outcome, resolved):
    assert rules.is_resolved(outcome) is resolved


@pytest.mark.parametrize(
    "bad",
    [
        {"grade": 0},
        {"grade": 6},
        {"outcome": "cured"},
        {"relatedness": "maybe"},
        {"criteria": {"severe"}},
    ],
)
def test_facts_refuse_values_off_the_lists(bad):
    with pytest.raises(ValueError):
        facts(**bad)
