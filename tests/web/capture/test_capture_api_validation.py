"""Each kind of validation through the API: the error names the field and the rule, and a rejected
save leaves the stored data as they were."""

from __future__ import annotations

import pytest
from capture_testkit import RESPIRATORY_OK, form_path, stored

COORD = "coordinator-co-01"


def _save(ct, code, values, *, visit="day0", form="respiratory", **extra):
    return ct.api(COORD).put(form_path(code, visit, form), {"values": values, **extra})


@pytest.fixture
def saved(ct):
    """A participant with a valid day-0 respiratory draft already stored."""
    code = ct.randomize()
    response = _save(ct, code, RESPIRATORY_OK)
    assert response.status_code == 201, response.content
    return code


def _assert_rejected(response, code, before, field, rule, visit="day0", form="respiratory"):
    assert response.status_code == 422, response.content
    problems = response.json()["fields"]
    assert {"field": field, "rule": rule} in [{"field": p["field"], "rule": p["rule"]}
                                              for p in problems], problems
    assert stored(code, visit, form) == before


def test_type_error_names_field_and_rule_and_keeps_stored_values(ct, saved):
    before = stored(saved)
    response = _save(ct, saved, {**RESPIRATORY_OK, "pao2": "eighty"})
    _assert_rejected(response, saved, before, "pao2", "type")


def test_choice_outside_the_codes_is_a_type_error(ct, saved):
    before = stored(saved)
    response = _save(ct, saved, {**RESPIRATORY_OK, "ventilation_mode": "ecmo"})
    _assert_rejected(response, saved, before, "ventilation_mode", "type")


def test_required_field_blocks_completion_but_not_a_draft(ct, saved):
    before = stored(saved)
    partial = {k: v for k, v in RESPIRATORY_OK.items() if k != "peep"}
    response = _save(ct, saved, partial, complete=True)
    _assert_rejected(response, saved, before, "peep", "required")
    assert _save(ct, saved, partial).status_code == 200  # a draft may leave it empty
    assert "peep" not in stored(saved)[0]


def test_hard_range_rejects_the_value(ct, saved):
    before = stored(saved)
    response = _save(ct, saved, {**RESPIRATORY_OK, "fio2": 1.5})
    _assert_rejected(response, saved, before, "fio2", "hard_range")
    assert "1.5" in response.json()["fields"][0]["message"]


def test_soft_range_is_kept_in_a_draft_needs_confirmation_to_complete_and_raises_a_query(ct, saved):
    values = {**RESPIRATORY_OK, "pao2": 520}
    draft = _save(ct, saved, values)
    assert draft.status_code == 200
    assert draft.json()["values"]["pao2"] == 520
    assert draft.json()["warnings"][0]["rule"] == "soft_range"
    assert draft.json()["queries"] == []  # no query until the value is confirmed
    before = stored(saved)
    response = _save(ct, saved, values, complete=True)
    _assert_rejected(response, saved, before, "pao2", "soft_range")
    assert response.json()["fields"][0]["severity"] == "warning"
    done = _save(ct, saved, values, complete=True, confirm=["pao2"])
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "complete"
    assert [(q["field"], q["rule"], q["kind"], q["status"]) for q in body["queries"]] == [
        ("pao2", "soft_range", "auto", "open")]


def test_derived_value_is_computed_by_the_server_and_cannot_be_entered(ct, saved):
    body = ct.api(COORD).get(form_path(saved)).json()
    assert body["values"]["pao2_fio2"] == 160  # 80 / 0.5
    before = stored(saved)
    response = _save(ct, saved, {**RESPIRATORY_OK, "pao2_fio2": 999})
    _assert_rejected(response, saved, before, "pao2_fio2", "derived")


def test_cross_field_error_check_rejects_the_save(ct):
    code = ct.randomize()
    vitals = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
    assert _save(ct, code, vitals, form="vital_signs").status_code == 201
    before = stored(code, form="vital_signs")
    response = _save(ct, code, {**vitals, "diastolic_bp": 130}, form="vital_signs")
    _assert_rejected(response, code, before, "diastolic_bp,systolic_bp",
                     "check:diastolic_below_systolic", form="vital_signs")


def test_date_of_death_before_randomization_is_rejected(ct):
    code = ct.randomize(days_ago=30)
    response = _save(ct, code, {"vital_status_day28": "dead", "death_date": "2020-02-01"},
                     visit="day28", form="end_of_study")
    _assert_rejected(response, code, (None, None), "death_date",
                     "check:death_not_before_randomization", visit="day28", form="end_of_study")


def test_cross_field_warning_needs_its_check_code_confirmed(ct, saved):
    values = {**RESPIRATORY_OK, "peep": 3}  # invasive ventilation with PEEP below 5: a warning
    before = stored(saved)
    response = _save(ct, saved, values, complete=True, confirm=["peep"])
    _assert_rejected(response, saved, before, "peep,ventilation_mode", "check:peep_on_support")
    done = _save(ct, saved, values, complete=True, confirm=["peep", "peep_on_support"])
    assert done.status_code == 200, done.content
    rules = sorted(q["rule"] for q in done.json()["queries"])
    assert rules == ["check:peep_on_support", "soft_range"]


def test_change_to_a_complete_form_needs_a_reason_and_is_audited_field_by_field(ct, saved):
    from trialdesk.web.core.models import AuditRecord

    assert _save(ct, saved, RESPIRATORY_OK, complete=True).status_code == 200
    before = stored(saved)
    changed = {**RESPIRATORY_OK, "pao2": 90}
    response = _save(ct, saved, changed, complete=True)
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "reason",
                                          "rule": "is required to change a complete form"}]
    assert stored(saved) == before
    assert _save(ct, saved, changed, complete=True, reason="transcription error").status_code == 200
    record = AuditRecord.objects.filter(action="save_form").order_by("-seq").first()
    assert record.reason == "transcription error"
    assert record.changes == {"pao2": {"old": 80, "new": 90},
                              "pao2_fio2": {"old": 160, "new": 180}}


def test_unknown_field_is_rejected(ct, saved):
    before = stored(saved)
    _assert_rejected(_save(ct, saved, {**RESPIRATORY_OK, "spo2": 90}), saved, before,
                     "spo2", "unknown_field")


def test_form_not_collected_at_the_visit_is_not_found(ct):
    code = ct.randomize()
    assert _save(ct, code, {"kit_code": "X"}, form="infusion").status_code == 404


def test_stale_version_is_a_conflict(ct, saved):
    _, version = stored(saved)
    response = _save(ct, saved, {**RESPIRATORY_OK, "pao2": 85}, expected_version=version - 1)
    assert response.status_code == 409
    assert response.json()["error"] == "stale"


def test_roles_without_entry_permission_cannot_save(ct, saved):
    before = stored(saved)
    for username in ("data_manager", "monitor", "analyst"):
        response = ct.api(username).put(form_path(saved), {"values": RESPIRATORY_OK})
        assert response.status_code == 403, username
    assert ct.api("pharmacist-co-01").put(
        form_path(saved), {"values": RESPIRATORY_OK}).status_code == 404
    assert ct.api("coordinator-co-02").put(
        form_path(saved), {"values": RESPIRATORY_OK}).status_code == 404
    assert stored(saved) == before


def test_a_date_before_the_trial_is_refused_unless_the_field_records_history(ct):
    """Trial data cannot predate the protocol's earliest date (the registry's start date,
    2020-01-13); a concomitant medication's start date is history and may."""
    code = ct.randomize(days_ago=30)
    response = _save(ct, code, {"vital_status_day28": "dead", "death_date": "2019-12-31"},
                     visit="day28", form="end_of_study")
    _assert_rejected(response, code, (None, None), "death_date", "date_window",
                     visit="day28", form="end_of_study")
    assert "2020-01-13" in response.content.decode()
