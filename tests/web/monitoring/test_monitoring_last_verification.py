"""A field's state is its last verification's: a later verification replaces an earlier one,
whichever way (the status reads only each field's last row, issue 13)."""

from __future__ import annotations

from monitoring_kit import MONITOR, form_ref, participant_with_forms, plan_visit, record_path

from trialdesk.web.monitoring.models import Verification


def _mark(trial, ref, visit, fields, status, comment=""):
    response = trial.api(MONITOR).post(f"{record_path('form', ref)}/verification", {
        "visit": visit, "status": status, "fields": fields, "comment": comment})
    assert response.status_code == 201, response.content


def _states(trial, ref):
    record = trial.api(MONITOR).get(record_path("form", ref)).json()
    return {f["field"]: f["state"] for f in record["fields"]}


def test_each_fields_last_verification_decides_its_state(trial):
    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    _mark(trial, ref, visit, ["pao2", "peep"], "verified")
    _mark(trial, ref, visit, ["pao2"], "needs_correction", "The source says 85.")
    _mark(trial, ref, visit, ["fio2"], "needs_correction", "The source says 0.45.")
    _mark(trial, ref, visit, ["fio2"], "verified")  # found right after all
    states = _states(trial, ref)
    assert (states["pao2"], states["fio2"], states["peep"]) == (
        "needs_correction", "verified", "verified")
    assert Verification.objects.filter(field__in=["pao2", "fio2"]).count() == 4
