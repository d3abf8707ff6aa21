"""The rules of a protocol deviation (trialdesk.deviations): the ethics report's due date and
state, the status the facts give, what keeps a deviation open, implausible dates."""

from __future__ import annotations

import datetime as dt

import pytest

from trialdesk import deviations as rules

DAY = dt.date(2026, 3, 10)


def facts(**changed) -> rules.DeviationFacts:
    done = {"severity": "major", "corrective_action": "Retrained", "preventive_action": "Checklist",
            "capa_completed_on": DAY, "ethics_reported_on": DAY}
    return rules.DeviationFacts(**{**done, **changed})


@pytest.mark.parametrize(("today", "reported", "state"), [
    (DAY, None, "due"),
    (DAY + dt.timedelta(days=7), None, "due"),  # the last day still counts
    (DAY + dt.timedelta(days=8), None, "overdue"),
    (DAY + dt.timedelta(days=30), DAY + dt.timedelta(days=20), "reported"),  # late, but done
])
def test_a_major_deviations_ethics_report(today, reported, state):
    assert rules.ethics_state("major", discovered_on=DAY, reported_on=reported, today=today,
                              report_days=7) == state


def test_a_minor_deviation_needs_no_ethics_report():
    assert rules.ethics_due_date("minor", DAY, 7) is None
    assert rules.ethics_state("minor", discovered_on=DAY, reported_on=None,
                              today=DAY + dt.timedelta(days=100), report_days=7) == "not_required"
    assert rules.ethics_due_date("major", DAY, 0) == DAY


def test_status_follows_the_capa_until_closed():
    assert rules.status_of(facts(corrective_action="", preventive_action=""),
                           closed=False) == "open"
    assert rules.status_of(facts(preventive_action=""), closed=False) == "capa_in_progress"
    assert rules.status_of(facts(), closed=True) == "closed"


def test_closing_needs_both_actions_completed_and_a_major_ones_ethics_report():
    assert rules.close_blockers(facts()) == []
    blockers = rules.close_blockers(facts(corrective_action="", capa_completed_on=None,
                                          ethics_reported_on=None))
    assert [field for field, _ in blockers] == ["corrective_action", "capa_completed_on",
                                                "ethics_reported_on"]
    assert rules.close_blockers(facts(severity="minor", ethics_reported_on=None)) == []


@pytest.mark.parametrize(("occurred", "discovered", "field"), [
    (dt.date(2019, 12, 31), DAY, "occurred_on"),
    (DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=1), "occurred_on"),
    (DAY, DAY + dt.timedelta(days=1), "discovered_on"),
    (DAY, DAY - dt.timedelta(days=1), "discovered_on"),
])
def test_implausible_dates_are_named(occurred, discovered, field):
    found = rules.date_rule(occurred_on=occurred, discovered_on=discovered, today=DAY,
                            earliest=dt.date(2020, 1, 1))
    assert found is not None and found[0] == field


def test_plausible_dates_pass():
    assert rules.date_rule(occurred_on=DAY - dt.timedelta(days=3), discovered_on=DAY, today=DAY,
                           earliest=dt.date(2020, 1, 1)) is None
