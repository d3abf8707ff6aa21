"""Issue 19: a safety alert is written in its recipient's language. A Spanish-speaking safety
contact and an English-speaking DSMB statistician get the same alert, each in their language,
dates as that language writes them; the configured mailboxes get the trial's language; the
Spanish text keeps no English of its template and names no arm, kit or lot in either language."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import translation
from django.utils.formats import date_format
from safety_kit import INVESTIGATOR, randomized, report
from test_web_spanish_crawl import english_pieces, english_texts, findings

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.safety.models import SafetyAlert
from trialdesk.web.trials.models import AllocationSlot
from trialdesk.web.worker.runner import run_ready

SPANISH, ENGLISH = "contacto@sponsor.example", "dsmb-stat@dsmb.example"
CONFIGURED = {"sponsor-safety@example.org", "dsmb@example.org"}  # safety's conftest


def _speaks(user, address: str, language: str) -> None:
    user.email = address
    user.save(update_fields=["email"])
    Membership.objects.filter(user=user).update(language=language)


def _alert_a_susar(trial, django_capture_on_commit_callbacks) -> dict:
    _speaks(trial.users["safety_contact"], SPANISH, "es")
    _speaks(trial.users["dsmb_statistician"], ENGLISH, "en")
    code = randomized(trial)
    with django_capture_on_commit_callbacks(execute=True):
        response = trial.api(INVESTIGATOR).post("/api/v1/safety/adverse-events", report(
            code, grade=5, death=True, outcome="fatal", relatedness="probable",
            expectedness="unexpected"))
    assert response.status_code == 201, response.content
    run_ready()
    return response.json()


def test_each_recipient_reads_the_same_alert_in_their_language(
        trial, django_capture_on_commit_callbacks):
    event = _alert_a_susar(trial, django_capture_on_commit_callbacks)
    alerts = {a.recipient: a for a in SafetyAlert.objects.filter(event_id=event["id"])}
    assert set(alerts) == CONFIGURED | {SPANISH, ENGLISH}
    spanish, english = alerts[SPANISH], alerts[ENGLISH]
    assert spanish.subject.startswith(f"[trialdesk] Alerta de seguridad {event['key']}: ")
    assert english.subject.startswith(f"[trialdesk] Safety alert {event['key']}: ")
    # the configured mailboxes read the trial's language (the protocol's first: English)
    assert all(alerts[address].body == english.body for address in CONFIGURED)
    # the same facts: the reasons, the criteria, the dates as each language writes them
    onset = dt.date.fromisoformat(event["onset_date"])
    for alert, language, words in (
            (spanish, "es", ["evento adverso grave", "muerte", "RAGI", "Motivo:", "mortal",
                             "probable", "inesperado", "Vence:"]),
            (english, "en", ["serious adverse event", "death", "SUSAR", "Why:", "fatal",
                             "probable", "unexpected", "Due:"])):
        with translation.override(language):
            assert f"{date_format(onset, 'DATE_FORMAT')}\n" in alert.body
        for word in words:
            assert word in alert.body, (language, word)
        assert event["key"] in alert.body and event["participant"] in alert.body
    assert " de " in spanish.body.split("Inicio: ")[1].splitlines()[0]
    # what was stored is what was sent
    sent = {message.to[0]: message for message in mail.outbox}
    for address, alert in alerts.items():
        assert (sent[address].subject, sent[address].body) == (alert.subject, alert.body)


def test_the_spanish_alert_keeps_no_english_of_its_template(
        trial, django_capture_on_commit_callbacks):
    event = _alert_a_susar(trial, django_capture_on_commit_callbacks)
    spanish = SafetyAlert.objects.get(event_id=event["id"], recipient=SPANISH)
    # the data are not the template's words: the verbatim term and the codes
    text = spanish.subject + "\n" + spanish.body
    for datum in (event["term"], event["key"], event["participant"], "CTCAE", "MedDRA",
                  "trialdesk", "SUSAR"):
        text = text.replace(datum, " ")
    assert findings(text, english_pieces(english_texts()), []) == []
    # and the check finds the English alert's template
    english = SafetyAlert.objects.get(event_id=event["id"], recipient=ENGLISH)
    assert findings(english.body, english_pieces(english_texts()), [])


def test_no_alert_names_an_arm_kit_or_lot_in_either_language(
        trial, django_capture_on_commit_callbacks):
    _alert_a_susar(trial, django_capture_on_commit_callbacks)
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    kits = set(AllocationSlot.objects.filter(used=True).values_list("kit_code", flat=True))
    alerts = list(SafetyAlert.objects.all())
    assert {alert.subject.split()[1] for alert in alerts} == {"Alerta", "Safety"}
    for alert in alerts:
        for text in (alert.subject, alert.body):
            assert find_leaks(text, texts) == []
            assert not any(kit in text for kit in kits)
            assert not {"lot", "lote"} & set(text.lower().split())
