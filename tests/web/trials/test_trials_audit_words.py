"""The audit trail page in words (issue 19): action names, the changed field's label, choice
labels and yes/no, old and new value side by side, dates as the reader's language writes them;
codes only in a "show codes" mode (``trials.audit_presenter``)."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation
from enrollment import randomize
from login import signed_in_client

import trialdesk.web
from trialdesk.web.trials import audit_presenter

FORM = "/api/v1/participants/{code}/visits/day0/forms/respiratory"
VALUES = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


def _saved_and_corrected(trial) -> str:
    code, _ = randomize(trial.api("investigator-co-01"))
    coordinator = trial.api("coordinator-co-01")
    assert coordinator.put(FORM.format(code=code), {"values": VALUES}).status_code == 201
    corrected = coordinator.put(FORM.format(code=code), {
        "values": {**VALUES, "ventilation_mode": "niv"}, "reason": "Transcription error"})
    assert corrected.status_code in (200, 201), corrected.content
    return code


def _audit_page(trial, username: str, language: str = "en", query: str = "") -> str:
    client = signed_in_client(trial.users[username], language=language)
    response = client.get("/audit/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_correction_reads_as_the_fields_label_with_the_choices_labels(trial):
    code = _saved_and_corrected(trial)
    page = _audit_page(trial, "monitor")
    assert "Form saved" in page
    assert f"{code} · " in page and "Respiratory" in page
    row = re.search(r"<th scope=\"row\">Ventilation mode</th><td>(.*?)</td><td>(.*?)</td>", page)
    assert row, "the changed field is not shown by its label"
    assert row.groups() == ("Invasive mechanical ventilation", "Non-invasive ventilation")
    # no Python reprs, no codes for a reader without the codes mode
    assert "{&#x27;" not in page and "&#x27;old&#x27;" not in page
    assert "ventilation_mode" not in page and "save_form" not in page


def test_the_page_in_spanish_names_actions_and_fields_in_spanish_with_spanish_dates(trial):
    _saved_and_corrected(trial)
    page = _audit_page(trial, "monitor", language="es")
    assert "Formulario guardado" in page and "Modo de ventilación" in page
    assert "Ventilación no invasiva" in page
    assert re.search(r"<td>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d -05:00</td>", page), "not DD/MM/YYYY"


def test_codes_show_only_in_the_codes_mode_asked_for(trial):
    _saved_and_corrected(trial)
    plain = _audit_page(trial, "monitor")
    assert "Show codes" in plain and "ventilation_mode" not in plain
    coded = _audit_page(trial, "monitor", query="?codes=1")
    assert "<code class=\"muted\">ventilation_mode</code>" in coded
    assert "<code class=\"muted\">save_form</code>" in coded
    assert "Hide codes" in coded


def test_values_read_as_people_write_them():
    with translation.override("en"):
        assert audit_presenter.display_value(None, None, "en") == "—"
        assert audit_presenter.display_value(True, None, "en") == "Yes"
        assert audit_presenter.display_value({"ip": "127.0.0.1"}, None, "en") == "ip: 127.0.0.1"
        assert audit_presenter.action_label("consent_withdrawal") == "Consent event (withdrawal)"
        assert audit_presenter.action_label("unknown_thing") == "Unknown thing"
    with translation.override("es"):
        assert audit_presenter.display_value(False, None, "es") == "No"
        assert audit_presenter.action_label("randomize") == "Aleatorizado"


def test_every_action_the_server_audits_has_a_name_in_words():
    source = Path(trialdesk.web.__file__).parent
    audited = set()
    for path in source.rglob("*.py"):
        text = path.read_text()
        if "append_audit" in text:
            audited |= set(re.findall(r'\baction="([a-z_]+)"', text))
    unnamed = sorted(code for code in audited
                     if code not in audit_presenter.ACTION_LABELS
                     and not code.startswith(tuple(audit_presenter.ACTION_PREFIXES))
                     and not code.endswith(tuple(audit_presenter.ACTION_SUFFIXES)))
    assert unnamed == [], "add these to trials/audit_presenter.py ACTION_LABELS (and Spanish)"


def test_a_record_of_another_kind_reads_its_fields_and_states_in_words():
    """A monitoring visit's status, a source data verification of a form's fields: the field
    by its label (the protocol's, else the catalogues' words for its code) and a state code
    by its words, in Spanish (issue 19)."""
    from trialdesk.web.core.protocol import get_protocol

    visit = {"model": "monitoring_visit", "object_id": "12",
             "changes": {"status": {"old": "planned", "new": "done"}}}
    verification = {"model": "verification", "object_id": "7",
                    "changes": {"ae_term": {"old": "not_verified", "new": "verified"}}}
    with translation.override("es"):
        [status] = audit_presenter.change_rows(visit, get_protocol(), "es")
        [term] = audit_presenter.change_rows(verification, get_protocol(), "es")
    assert (status.label, status.old, status.new) == ("Estado", "planificada", "realizada")
    assert (term.label, term.old, term.new) == ("Evento adverso (término)", "sin verificar",
                                                "verificado")
    assert status.code == "status" and term.code == "ae_term"  # for the "show codes" mode


def test_a_verification_and_a_query_name_their_records_and_fields_in_words():
    """A verification's record key, a query's form entry and field, a time stored as text:
    in words and in the reader's locale, no visit, form or field code (issue 19)."""
    from trialdesk.web.core.protocol import get_protocol

    protocol = get_protocol()
    verification = {"model": "verification", "object_id": "CO-01-0001/log/adverse_event/2",
                    "changes": {"ae_grade": {"old": "not_verified", "new": "verified"}}}
    query = {"model": "query", "object_id": "3",
             "changes": {"form": "CO-01-0001/day7/laboratory/1", "field": "crp",
                         "investigator_aware_at": "2020-08-28T12:03:03.057485+00:00"}}
    with translation.override("es"):
        label = audit_presenter.record_label(verification, protocol, "es")
        [grade] = audit_presenter.change_rows(verification, protocol, "es")
        form, field, aware = audit_presenter.change_rows(query, protocol, "es")
        consent = audit_presenter.record_label(
            {"model": "verification", "object_id": "CO-01-0001/consent"}, protocol, "es")
    assert label.endswith(": CO-01-0001 · Evento adverso #2") and "adverse_event" not in label
    assert consent.endswith(": CO-01-0001 · consentimiento")
    event = audit_presenter.record_label(
        {"model": "verification", "object_id": "CO-01-0001/adverse_event/4"}, protocol, "es")
    assert event.endswith(": CO-01-0001 · AE-4")
    assert (grade.old, grade.new) == ("sin verificar", "verificado")
    assert form.new == "CO-01-0001 · Día 7 · Laboratorio" and field.new == "Proteína C reactiva"
    assert aware.label == "Conocido por el investigador el"
    assert "T12:03" not in aware.new and "28/08/2020" in aware.new
