"""Each kind of validation through the form page: the problem is shown beside the field in words
(the rule's message, no rule code: issue 19), the page answers 422, and the stored data are
unchanged."""

from __future__ import annotations

import html
import re

import pytest
from capture_testkit import RESPIRATORY_OK, form_path, page_path, stored
from login import login_page_client
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Query

COORD = "coordinator-co-01"
PAGE_OK = {k: str(v) for k, v in RESPIRATORY_OK.items()}


@pytest.fixture
def saved(ct):
    code = ct.randomize()
    assert ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK}).status_code == 201
    return code


def _post(code, data, action="draft", visit="day0", form="respiratory", client=None):
    client = client or login_page_client(COORD)
    return client.post(page_path(code, visit, form), {**data, "action": action})


def _field_error(response, field):
    body = html.unescape(response.content.decode())
    match = re.search(rf'<div class="errorlist" data-field="{field}">(.*?)</div>', body, re.S)
    assert match, body[:3000]
    return match.group(1)


# the words each rule's message starts with, on the page (the API names the rule itself)
RULE_WORDS = {"type": "Not a valid value", "required": "Required to mark the form complete",
              "hard_range": "is outside the allowed range",
              "soft_range": "is outside the expected range",
              "check:diastolic_below_systolic":
                  "Diastolic pressure must be lower than systolic pressure"}


def _assert_rejected(response, code, before, field, rule, visit="day0", form="respiratory"):
    assert response.status_code == 422
    error = _field_error(response, field)
    assert RULE_WORDS[rule] in error and f"[{rule}]" not in error
    assert stored(code, visit, form) == before


def test_page_renders_units_choices_help_and_required_marks(ct, saved):
    body = login_page_client(COORD).get(page_path(saved)).content.decode()
    assert '<span class="unit">mmHg</span>' in body
    # a choice reads as its label; its code is only the value sent (issue 19)
    assert '<option value="imv" selected>Invasive mechanical ventilation</option>' in body
    assert "imv ·" not in body and '<code class="muted">' not in body and "Show codes" not in body
    assert "As a fraction between 0.21 and 1.0" in body
    assert 'aria-required="true"' in body
    assert '<output id="derived-pao2_fio2">160</output>' in body


def test_page_type_error(ct, saved):
    before = stored(saved)
    _assert_rejected(_post(saved, {**PAGE_OK, "pao2": "eighty"}), saved, before, "pao2", "type")


def test_page_required_field_blocks_completion(ct, saved):
    before = stored(saved)
    _assert_rejected(_post(saved, {**PAGE_OK, "peep": ""}, action="complete"), saved, before,
                     "peep", "required")


def test_page_hard_range(ct, saved):
    before = stored(saved)
    _assert_rejected(_post(saved, {**PAGE_OK, "fio2": "1.5"}), saved, before, "fio2",
                     "hard_range")


def test_page_soft_range_needs_confirmation_then_raises_a_query(ct, saved):
    client = login_page_client(COORD)
    before = stored(saved)
    values = {**PAGE_OK, "pao2": "520"}
    response = _post(saved, values, action="complete", client=client)
    _assert_rejected(response, saved, before, "pao2", "soft_range")
    assert 'name="confirm" value="pao2"' in response.content.decode()
    response = _post(saved, {**values, "confirm": "pao2"}, action="complete", client=client)
    assert response.status_code == 302
    assert stored(saved)[0]["pao2"] == 520
    assert Query.objects.get(participant__code=saved).rule == "soft_range"


def test_page_shows_a_draft_warning_until_it_is_confirmed(ct, saved):
    client = login_page_client(COORD)
    response = _post(saved, {**PAGE_OK, "pao2": "520"}, client=client)
    assert response.status_code == 302
    body = client.get(page_path(saved)).content.decode()
    assert 'data-rule="soft_range"' in body and 'name="confirm" value="pao2"' in body
    assert '<output id="derived-pao2_fio2">1040</output>' in body


def test_page_derived_value_is_computed_and_cannot_be_entered(ct, saved):
    before = stored(saved)
    response = _post(saved, {**PAGE_OK, "pao2": "90", "pao2_fio2": "5"})
    # the derived input is disabled: what the browser sends for it is ignored
    assert response.status_code == 302
    assert stored(saved)[0]["pao2_fio2"] == 180 != before[0]["pao2_fio2"]


def test_page_cross_field_check(ct):
    code = ct.randomize()
    vitals = {"heart_rate": "90", "systolic_bp": "120", "diastolic_bp": "130",
              "temperature": "37.0"}
    response = _post(code, vitals, form="vital_signs")
    _assert_rejected(response, code, (None, None), "diastolic_bp",
                     "check:diastolic_below_systolic", form="vital_signs")


def test_page_change_to_complete_form_needs_a_reason(ct, saved):
    client = login_page_client(COORD)
    assert _post(saved, PAGE_OK, action="complete", client=client).status_code == 302
    before = stored(saved)
    response = _post(saved, {**PAGE_OK, "peep": "12"}, action="complete", client=client)
    assert response.status_code == 422 and "reason" in response.content.decode()
    assert stored(saved) == before
    response = _post(saved, {**PAGE_OK, "peep": "12", "reason": "lab"}, action="complete",
                     client=client)
    assert response.status_code == 302 and stored(saved)[0]["peep"] == 12


def test_visit_schedule_page_lists_visits_with_windows_and_form_statuses(ct, saved):
    body = login_page_client(COORD).get(f"/capture/participants/{saved}/").content.decode()
    assert 'id="visit-day0"' in body and 'id="visit-day28"' in body
    # each form's status a badge in words (issue 19, one design)
    assert re.search(r'data-form="respiratory"><span class="badge[^"]*" data-state="draft">'
                     r'draft</span>', body)
    assert re.search(r'data-form="vital_signs"><span class="badge[^"]*" '
                     r'data-state="not_started">not started</span>', body)


def test_signing_on_the_page_shows_the_meaning_and_needs_the_password(ct, saved):
    _post(saved, PAGE_OK, action="complete")
    inv = login_page_client("investigator-co-01")
    sign = page_path(saved) + "sign/"
    page = inv.get(sign).content.decode()
    assert "By signing I confirm" in page
    assert inv.post(sign, {"password": "wrong"}).status_code == 422
    assert inv.post(sign, {"password": PASSWORD}).status_code == 302
    signed = '<span class="badge badge-ok" data-state="signed">signed</span>'
    assert f'id="form-status">{signed}<' in inv.get(page_path(saved)).content.decode()


def test_live_check_computes_derived_values_and_names_problems_without_storing(ct, saved):
    before = stored(saved)
    client = login_page_client(COORD)
    response = client.post(page_path(saved) + "check/", {**PAGE_OK, "pao2": "520",
                                                         "fio2": "2"})
    body = response.json()
    assert body["derived"] == {"pao2_fio2": None}  # FiO2 is rejected, so no ratio
    assert [(p["field"], p["rule"]) for p in body["problems"]] == [
        ("fio2", "hard_range"), ("pao2", "soft_range")]
    body = client.post(page_path(saved) + "check/", {**PAGE_OK, "pao2": "100"}).json()
    assert body == {"derived": {"pao2_fio2": "200"}, "problems": []}
    assert stored(saved) == before


def test_field_codes_only_in_the_show_codes_mode_of_those_who_raise_queries(ct, saved):
    """A data manager may show the field codes (to match a value to an export or a query); a
    coordinator is never shown them, whatever the address asks (issue 19)."""
    manager = login_page_client("data_manager")
    plain = manager.get(page_path(saved)).content.decode()
    assert '<code class="muted">' not in plain and 'id="show-codes"' in plain
    assert '<option value="ventilation_mode">Ventilation mode</option>' in plain  # query's field
    coded = manager.get(page_path(saved) + "?codes=1").content.decode()
    assert '<code class="muted">ventilation_mode</code>' in coded and "Hide codes" in coded
    assert '<option value="ventilation_mode">Ventilation mode (ventilation_mode)</option>' in coded
    coordinator = login_page_client(COORD).get(page_path(saved) + "?codes=1").content.decode()
    assert '<code class="muted">' not in coordinator
