"""The ClinicalTrials.gov results export: refused before the final unblinding (blinded roles are
refused at the start, the DSMB's job fails saying why), after it a v2 record whose resultsSection
validates and carries the final report's numbers (and a hand count of the trial entered)."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from exports_testkit import download, enter_trial, run_jobs_inline
from lock_override import lock_database

from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.ctgov.results import ResultsSection
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.ctgov_source import RESULTS_FILE
from trialdesk.web.reports.data import load_report_data
from trialdesk.web.reports.sections import mortality_section
from trialdesk.web.trials.models import Randomization


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial, participants=6)


def _unblind(trial) -> None:
    reason = {"reason": "Database locked; final analysis per the SAP"}
    assert lock_database(trial.users).status_code == 201
    assert trial.api("data_manager").post("/api/v1/final-unblinding", reason).status_code == 201
    assert trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve",
                                               reason).status_code == 200


def _start(trial, username: str):
    return trial.api(username).post("/api/v1/exports", {"format": "ctgov-results"})


def test_refused_before_the_final_unblinding(trial, entered):
    refused = _start(trial, "analyst")  # blinded: the dummy allocation, no results
    assert refused.status_code == 409, refused.content
    assert "final unblinding" in refused.json()["detail"]
    started = _start(trial, "dsmb_statistician")  # sees the arms, but the trial is blinded
    assert started.status_code == 201
    job = trial.api("dsmb_statistician").get(f"/api/v1/exports/{started.json()['id']}").json()
    assert job["state"] == "failed" and "only after the final unblinding" in job["error"]


def test_after_the_final_unblinding_the_record_carries_the_reports_numbers(trial, entered):
    _unblind(trial)
    started = _start(trial, "analyst")
    assert started.status_code == 201, started.content
    job = trial.api("analyst").get(f"/api/v1/exports/{started.json()['id']}").json()
    assert job["state"] == "done", job
    record = json.loads(download(trial.api("analyst"), job["id"])[RESULTS_FILE])
    Study.model_validate(record)
    section = ResultsSection.model_validate(record["resultsSection"])
    labels = [arm.label.text("en") for arm in get_protocol().design.arms]
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    per_arm = {arm.label.text("en"): sum(1 for a in arms.values() if a == arm.code)
               for arm in get_protocol().design.arms}
    # flow: STARTED per arm is the randomizations (hand count)
    period = section.participant_flow_module.periods[0]
    started_counts = next(m for m in period.milestones if m.type == "STARTED").achievements
    assert [int(a.num_subjects) for a in started_counts] == [per_arm[label] for label in labels]
    # mortality: the report's own analysis, and the one death entered (the first participant)
    with translation.override("en"):
        report = mortality_section(load_report_data(show_arms=True, language="en")).result
    measure = next(m for m in section.outcome_measures_module.outcome_measures
                   if m.title == "28-day all-cause mortality")
    deaths = [int(m.value) for m in measure.classes[0].categories[0].measurements]
    dead_arm = next(a.label.text("en") for a in get_protocol().design.arms
                    if a.code == arms[entered[0]])
    assert deaths == [1 if label == dead_arm else 0 for label in labels]
    assert deaths == [report.a.events, report.b.events]
    assert measure.analyses[0].param_value == f"{report.risk_difference.estimate:.3f}"
    # adverse events: every participant entered one non-serious "Hypotension"
    groups = section.adverse_events_module.event_groups
    assert [g.other_num_affected for g in groups] == [per_arm[label] for label in labels]
    [hypotension] = section.adverse_events_module.other_events
    assert hypotension.term == "Hypotension"
    assert [s.num_events for s in hypotension.stats] == [per_arm[label] for label in labels]
