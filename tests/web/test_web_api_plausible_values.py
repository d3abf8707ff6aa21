"""Dates lie in a plausible window and whole-number fields take whole numbers, wherever they enter.

Issue 12, finding 7: ``consent_date`` 0001-01-01 was accepted, and ``pao2`` 70.4 was stored where
the protocol shows PaO2 with no decimals (``decimals = 0``). The window runs from the protocol's
earliest date (the registry's start date, 2020-01-13, for NCT04390152) to today; a whole-number
field refuses 70.4 and takes 70.0 as 70.
"""

from __future__ import annotations

import datetime as dt

import pytest
from eligible import ELIGIBLE_VALUES
from enrollment import CONSENT, randomize, screen

from trialdesk.web.capture.models import Discontinuation, FormInstance
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Consent, Participant, ScreeningRecord

INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


@pytest.fixture
def investigator(trial):
    return trial.api(INVESTIGATOR)


def test_the_bundled_protocol_starts_its_window_at_the_registry_start_date():
    assert get_protocol().earliest_date() == dt.date(2020, 1, 13)


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "2020-01-12"])
def test_a_consent_date_before_the_trial_began_is_refused_naming_the_field(investigator, day):
    code = screen(investigator)["code"]
    response = investigator.post(f"/api/v1/participants/{code}/consent",
                                 {**CONSENT, "consent_date": day})
    assert response.status_code == 422, response.content
    assert _fields(response) == {"consent_date": "must not be before 2020-01-13"}
    assert not Consent.objects.exists()


def test_a_consent_on_the_trial_start_date_is_accepted(investigator):
    # screened that day too: a consent is not dated before its screening (issue 17)
    with clock.use_clock(clock.SimulatedClock(dt.datetime(2020, 1, 13, 15, tzinfo=dt.UTC))):
        code = screen(investigator)["code"]
        response = investigator.post(f"/api/v1/participants/{code}/consent",
                                     {**CONSENT, "consent_date": "2020-01-13"})
    assert response.status_code == 201, response.content


def test_a_discontinuation_date_outside_the_window_is_refused(trial):
    code, _ = randomize(trial.api(INVESTIGATOR))
    coordinator = trial.api(COORDINATOR)
    path = f"/api/v1/participants/{code}/discontinue"
    early = coordinator.post(path, {"kind": "withdrew", "date": "0001-01-01"})
    assert early.status_code == 422, early.content
    assert _fields(early) == {"date": "must not be before 2020-01-13"}
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    late = coordinator.post(path, {"kind": "withdrew", "date": future})
    assert late.status_code == 422 and _fields(late) == {"date": "must not be in the future"}
    assert not Discontinuation.objects.exists()


def test_a_form_date_of_year_one_is_refused_naming_the_field(trial):
    code, _ = randomize(trial.api(INVESTIGATOR))
    response = trial.api(INVESTIGATOR).post(
        f"/api/v1/participants/{code}/adverse-events",
        {"values": {"ae_onset_date": "0001-01-01"}, "complete": False})
    assert response.status_code == 422, response.content
    problems = {p["field"]: p for p in response.json()["fields"]}
    assert problems["ae_onset_date"]["rule"] == "date_window"
    assert problems["ae_onset_date"]["message"].startswith("must not be before")
    assert not FormInstance.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("pao2", 70.4), ("pao2", "70.4"), ("age", 54.5),
                                              ("peep", 10.2)])
def test_a_decimal_in_a_whole_number_screening_field_is_refused(investigator, field, value):
    response = investigator.post("/api/v1/participants",
                                 {"values": {**ELIGIBLE_VALUES, field: value}})
    assert response.status_code == 422, response.content
    assert _fields(response) == {f"values.{field}": "must be a whole number"}
    assert not Participant.objects.exists()


def test_the_live_eligibility_check_refuses_the_same_decimal(investigator):
    response = investigator.post("/api/v1/eligibility",
                                 {"values": {**ELIGIBLE_VALUES, "pao2": 70.4}})
    assert response.status_code == 422
    assert _fields(response) == {"values.pao2": "must be a whole number"}


def test_a_whole_number_written_with_a_zero_decimal_is_accepted(investigator):
    screen(investigator, {**ELIGIBLE_VALUES, "pao2": 70.0, "age": 54.0})
    values = ScreeningRecord.objects.get().values
    assert values["pao2"] == 70 and values["age"] == 54 and isinstance(values["age"], int)


def test_a_decimal_field_with_decimals_keeps_them(investigator):
    screen(investigator, {**ELIGIBLE_VALUES, "fio2": 0.75})
    assert ScreeningRecord.objects.get().values["fio2"] == 0.75


def test_a_decimal_in_a_whole_number_form_field_is_refused(trial):
    code, _ = randomize(trial.api(INVESTIGATOR))
    values = {"pao2": 70.4, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
    response = trial.api(COORDINATOR).put(
        f"/api/v1/participants/{code}/visits/day0/forms/respiratory", {"values": values})
    assert response.status_code == 422, response.content
    problems = {p["field"]: p for p in response.json()["fields"]}
    assert problems["pao2"]["rule"] == "type"
    assert "whole number" in problems["pao2"]["message"]
    assert not FormInstance.objects.exists()
