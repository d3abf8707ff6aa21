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


def test_states_judged_on_marks_alone_equal_those_read_with_their_rows(trial):
    """``states(rows=False)`` (a monitoring visit's and the lock check's: marks read as plain
    rows, issue 13) judges every record and field as the pages' ``states`` does; the records of
    a site read as rows equal those read one by one."""
    from trialdesk.web.monitoring.records import record, records
    from trialdesk.web.monitoring.status import states

    code, other = participant_with_forms(trial), participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    _mark(trial, ref, visit, ["pao2", "peep"], "verified")
    _mark(trial, ref, visit, ["fio2"], "needs_correction", "The source says 0.45.")
    _mark(trial, form_ref(other, form="vital_signs"), visit, [], "verified")
    found = records(site_code="CO-01")
    assert found == [record(rec.item.source, rec.ref) for rec in found]
    full = states(found, only_planned=False)
    light = states(found, only_planned=False, rows=False)
    assert [(s.record, s.fields, s.state) for s in light] == [
        (s.record, s.fields, s.state) for s in full]
    assert {s.state for s in light} >= {"needs_correction", "verified", "not_verified"}
    assert all(s.last == {} for s in light) and any(s.last for s in full)
