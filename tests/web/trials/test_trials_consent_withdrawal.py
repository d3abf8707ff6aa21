"""Each withdrawal level stops exactly what it should (issue 17): from treatment, the infusion is
refused but visits stay due; from follow-up visits, later visits are no longer expected; from all
further data collection, no new form is begun and one begun before is read-only (a correction
answering a query: test_trials_consent_withdrawal_pages); the data-use flag reaches the exports
(ADSL DATAUSE, the form CSVs' consent_data_use)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from enrollment import screen

from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.simulation.outputs import _write_forms, analysis_subjects
from trialdesk.web.trials.models import ConsentEvent

INV = "investigator-co-01"
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
RESPIRATORY = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


@pytest.fixture
def still():
    with clock.use_clock(clock.SimulatedClock(NOW)) as simulated:
        yield simulated


def _randomized(trial) -> tuple[str, str]:
    api = trial.api(INV)
    code = screen(api)["code"]
    consent = api.post(f"/api/v1/participants/{code}/consent",
                       {"consent_date": NOW.date().isoformat(), "form_version": "1.0"})
    assert consent.status_code == 201, consent.content
    randomized = api.post(f"/api/v1/participants/{code}/randomize", {})
    assert randomized.status_code == 201, randomized.content
    return code, randomized.json()["kit_code"]


def _withdraw(trial, code, level, data_use=True):
    response = trial.api(INV).post(f"/api/v1/participants/{code}/consent/withdrawal", {
        "date": clock.today().isoformat(), "level": level, "data_use": data_use,
        "reason": "the family asks it"})
    assert response.status_code == 201, response.content
    return response.json()


def _save(trial, code, visit, form, values):
    return trial.api(INV).put(f"/api/v1/participants/{code}/visits/{visit}/forms/{form}",
                              {"values": values})


def _statuses(trial, code) -> dict[str, str]:
    body = trial.api(INV).get(f"/api/v1/participants/{code}/schedule").json()
    return {visit["visit"]: visit["status"] for visit in body["visits"]}


def test_from_treatment_the_infusion_is_refused_and_visits_stay_due(trial, still):
    code, kit = _randomized(trial)
    still.advance(dt.timedelta(days=1))
    before = _statuses(trial, code)
    _withdraw(trial, code, "treatment")
    refused = _save(trial, code, "day1", "infusion", {"kit_code": kit})
    assert refused.status_code == 409 and refused.json()["error"] == "consent_withdrawn"
    assert "treatment" in refused.json()["detail"]
    assert _statuses(trial, code) == before
    assert "not_expected" not in before.values()
    assert _save(trial, code, "day0", "respiratory", RESPIRATORY).status_code == 201


def test_from_follow_up_later_visits_are_not_expected(trial, still):
    code, kit = _randomized(trial)
    still.advance(dt.timedelta(days=2))
    _withdraw(trial, code, "follow_up")
    statuses = _statuses(trial, code)
    for later in ("day7", "day14", "day28"):
        assert statuses[later] == "not_expected", (later, statuses)
    assert statuses["day3"] != "not_expected"  # its window opened on the day of withdrawal
    # nested: the treatment stopped too; data of the visits held may still be entered
    assert _save(trial, code, "day1", "infusion", {"kit_code": kit}).status_code == 409
    assert _save(trial, code, "day0", "respiratory", RESPIRATORY).status_code == 201


def test_from_all_data_no_new_form_is_begun_and_data_use_reaches_the_exports(
        trial, still, tmp_path):
    code, _ = _randomized(trial)
    other, _ = _randomized(trial)
    assert _save(trial, code, "day0", "respiratory", RESPIRATORY).status_code == 201
    assert _save(trial, other, "day0", "respiratory", RESPIRATORY).status_code == 201
    still.advance(dt.timedelta(days=1))
    event = _withdraw(trial, code, "all_data", data_use=False)
    assert (event["level"], event["data_use"]) == ("all_data", False)
    refused = _save(trial, code, "day0", "vital_signs", {"heart_rate": 90})
    assert refused.status_code == 409 and refused.json()["error"] == "consent_withdrawn"
    # data collection stopped: a form begun before is read-only too
    edited = _save(trial, code, "day0", "respiratory", {**RESPIRATORY, "pao2": 82})
    assert edited.status_code == 409 and edited.json()["error"] == "consent_withdrawn"
    statuses = _statuses(trial, code)
    assert statuses["day7"] == "not_expected"
    flags = {row["SUBJID"]: row["DATAUSE"] for row in analysis_subjects()}
    assert flags == {code: "N", other: "Y"}
    path = _write_forms(tmp_path)["forms/respiratory"]
    with path.open(encoding="utf-8") as handle:
        rows = {row["participant"]: row["consent_data_use"] for row in csv.DictReader(handle)}
    assert rows == {code: "N", other: "Y"}


def test_a_later_withdrawal_only_goes_further(trial, still):
    code, _ = _randomized(trial)
    _withdraw(trial, code, "follow_up")
    api = trial.api(INV)
    body = {"date": NOW.date().isoformat(), "level": "treatment", "data_use": True}
    again = api.post(f"/api/v1/participants/{code}/consent/withdrawal", body)
    assert again.status_code == 409 and again.json()["error"] == "already_withdrawn"
    # the same level, now taking back the data's use, is recorded
    assert _withdraw(trial, code, "follow_up", data_use=False)["data_use"] is False
    _withdraw(trial, code, "all_data", data_use=False)
    history = api.get(f"/api/v1/participants/{code}/consent/history").json()
    assert history["withdrawal"] == {"level": "all_data", "date": NOW.date().isoformat(),
                                     "data_use": False}
    assert [e["level"] for e in history["events"]] == ["follow_up", "follow_up", "all_data"]
    audits = AuditRecord.objects.filter(object_id=code, action="consent_withdrawn")
    assert [a.changes["level"]["new"] for a in audits.order_by("seq")] == [
        "follow_up", "follow_up", "all_data"]
    assert all(a.reason == "the family asks it" for a in audits)
    assert ConsentEvent.objects.filter(participant__code=code).count() == 3


def test_a_withdrawal_needs_a_consent(trial, still):
    code = screen(trial.api(INV))["code"]
    response = trial.api(INV).post(f"/api/v1/participants/{code}/consent/withdrawal", {
        "date": NOW.date().isoformat(), "level": "all_data", "data_use": False})
    assert response.status_code == 409 and response.json()["error"] == "unconsented"
