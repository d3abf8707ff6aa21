"""A withdrawal of consent from all further data collection on the capture pages (issue 17): the
participant's and each form's page say so in the reader's language (English, Spanish), the
form's fields are read-only with no save buttons, a save is refused; a value collected before
may be corrected only in answer to a data manager's query, and not at all once the participant
refused the use of their data."""

from __future__ import annotations

import datetime as dt

import pytest
from enrollment import screen
from login import login_page_client

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core import clock

INV = "investigator-co-01"
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
RESPIRATORY = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
PAGE = "/capture/participants/{code}/"
FORM = PAGE + "day0/respiratory/"


@pytest.fixture
def withdrawn(trial):
    """A participant randomized with a day-0 respiratory form saved, then (a day later) withdrawn
    from all further data collection, allowing the use of the data collected; the clock stands
    still after that."""
    with clock.use_clock(clock.SimulatedClock(NOW)) as still:
        api = trial.api(INV)
        code = screen(api)["code"]
        assert api.post(f"/api/v1/participants/{code}/consent", {
            "consent_date": NOW.date().isoformat(), "form_version": "1.0"}).status_code == 201
        assert api.post(f"/api/v1/participants/{code}/randomize", {}).status_code == 201
        assert _save(trial, code, RESPIRATORY).status_code == 201
        still.advance(dt.timedelta(days=1))
        yield trial, code


def _save(trial, code, values):
    return trial.api(INV).put(f"/api/v1/participants/{code}/visits/day0/forms/respiratory",
                              {"values": values})


def _withdraw(trial, code, *, data_use: bool) -> None:
    response = trial.api(INV).post(f"/api/v1/participants/{code}/consent/withdrawal", {
        "date": clock.today().isoformat(), "level": "all_data", "data_use": data_use,
        "reason": "the participant asks it"})
    assert response.status_code == 201, response.content


def _pao2(code: str) -> float:
    return FormInstance.objects.get(participant__code=code, form="respiratory").values["pao2"]


def _query(trial, code) -> int:
    raised = trial.api("data_manager").post(
        f"/api/v1/participants/{code}/visits/day0/forms/respiratory/queries",
        {"field": "pao2", "text": "PaO2 of 80 with FiO2 0.5: check the gas report."})
    assert raised.status_code == 201, raised.content
    return raised.json()["id"]


def _answer(trial, query_id, pao2):
    return trial.api(INV).post(f"/api/v1/queries/{query_id}/answer", {
        "text": "Transcription error, corrected from the source.",
        "correction": {"pao2": pao2}, "reason": "transcription error"})


@pytest.mark.parametrize(("language", "banner", "data_use_text"), [
    ("en", "from all further data collection: no new data are collected and the forms are "
           "read-only", "The data collected may not be used."),
    ("es", "para toda recolección de datos posterior: no se recolectan datos nuevos y los "
           "formularios son de solo lectura", "Los datos recolectados no pueden usarse."),
])
def test_the_pages_show_the_withdrawal_and_the_form_is_read_only(withdrawn, language, banner,
                                                                   data_use_text):
    trial, code = withdrawn
    client = login_page_client(INV, language=language)
    form_page = client.get(FORM.format(code=code))
    assert form_page.status_code == 200
    assert 'id="save-draft"' in form_page.text and banner not in form_page.text  # before

    _withdraw(trial, code, data_use=True)
    participant_page = client.get(PAGE.format(code=code))
    form_page = client.get(FORM.format(code=code))
    for page in (participant_page, form_page):
        assert page.status_code == 200
        assert 'id="consent-withdrawal" data-level="all_data"' in page.text
        assert banner in page.text and data_use_text not in page.text
    assert 'id="save-draft"' not in form_page.text and 'id="save-complete"' not in form_page.text
    assert 'name="pao2"' in form_page.text and "disabled" in form_page.text.split(
        'name="pao2"')[1].split(">")[0]
    assert "Add an entry" not in participant_page.text and "Añadir" not in participant_page.text
    posted = client.post(FORM.format(code=code),
                         {**RESPIRATORY, "pao2": 82, "action": "draft", "version": "1"})
    assert posted.status_code == 409 and 'id="refused"' in posted.text
    assert _pao2(code) == 80

    _withdraw(trial, code, data_use=False)  # the same level, now refusing the data's use
    assert data_use_text in client.get(PAGE.format(code=code)).text


def test_a_correction_only_answers_a_query_and_only_while_the_data_may_be_used(withdrawn):
    trial, code = withdrawn
    query_id = _query(trial, code)
    _withdraw(trial, code, data_use=True)
    edited = _save(trial, code, {**RESPIRATORY, "pao2": 82})
    assert edited.status_code == 409 and edited.json()["error"] == "consent_withdrawn"
    assert "read-only" in edited.json()["detail"] and "query" in edited.json()["detail"]

    answered = _answer(trial, query_id, 78)
    assert answered.status_code == 200, answered.content
    assert _pao2(code) == 78
    # an answered query is no licence for more changes
    again = _answer(trial, query_id, 77)
    assert again.status_code == 409
    assert _save(trial, code, {**RESPIRATORY, "pao2": 77}).status_code == 409

    second = _query(trial, code)
    _withdraw(trial, code, data_use=False)
    refused = _answer(trial, second, 76)
    assert refused.status_code == 409 and refused.json()["error"] == "consent_withdrawn"
    assert "refused the use of their data" in refused.json()["detail"]
    assert _pao2(code) == 78


def test_after_a_withdrawal_from_treatment_only_the_treatment_forms_are_read_only(withdrawn):
    trial, code = withdrawn
    client = login_page_client(INV)
    response = trial.api(INV).post(f"/api/v1/participants/{code}/consent/withdrawal", {
        "date": clock.today().isoformat(), "level": "treatment", "data_use": True})
    assert response.status_code == 201, response.content
    infusion = client.get(PAGE.format(code=code) + "day1/infusion/")
    respiratory = client.get(FORM.format(code=code))
    for page in (infusion, respiratory):
        assert 'id="consent-withdrawal" data-level="treatment"' in page.text
        assert "the treatment forms take no data" in page.text
    assert 'id="save-draft"' not in infusion.text  # the protocol's treatment form
    assert 'id="save-draft"' in respiratory.text
