"""Issue 19: the stopping rule's alert is written in each DSMB recipient's language: a Spanish-
speaking and an English-speaking DSMB member get the same counts, each in their language (the
arm's label, numbers and the time as that language writes them); the configured DSMB mailbox gets
the trial's language; the Spanish text keeps no English of its template."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from test_web_spanish_crawl import english_pieces, english_texts, findings

from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import alerts
from trialdesk.web.dsmb.models import SafetySignal, SignalAlert

SPANISH, ENGLISH = "estadistica@dsmb.example", "statistician@dsmb.example"
AT = dt.datetime(2026, 3, 5, 14, 30, tzinfo=dt.UTC)


def _alerted(trial) -> dict[str, SignalAlert]:
    statistician = trial.users["dsmb_statistician"]
    statistician.email = SPANISH
    statistician.save(update_fields=["email"])
    Membership.objects.filter(user=statistician).update(language="es")
    second = get_user_model().objects.create_user("dsmb-chair", email=ENGLISH)
    Membership.objects.create(user=second, role="dsmb_statistician", language="en")
    signal = SafetySignal.objects.create(at=AT, treated=3, events=2, probability=0.83521)
    made = alerts.create_alerts(signal, AT)
    return {alert.recipient: alert for alert in made}


def test_each_dsmb_member_reads_the_alert_in_their_language(trial):
    made = _alerted(trial)
    assert set(made) == {"dsmb@example.org", SPANISH, ENGLISH}
    spanish, english = made[SPANISH], made[ENGLISH]
    arm = get_protocol().design.arm(get_protocol().safety_monitoring.arm).label
    assert spanish.subject.startswith("[trialdesk] DSMB: se cumplió la regla")
    assert english.subject.startswith("[trialdesk] DSMB: the safety stopping rule was met")
    assert f"Brazo vigilado: {arm.text('es')}" in spanish.body
    assert f"Watched arm: {arm.text('en')}" in english.body
    # the same counts, numbers and time as each language writes them
    assert "(infusión registrada): 3" in spanish.body and "definida: 2" in spanish.body
    assert "(infusion recorded): 3" in english.body and "toxicity: 2" in english.body
    assert "P(tasa > 0,3 | datos) = 0,8352, por encima del umbral de la regla, 0,9," in \
        spanish.body
    assert "P(rate > 0.3 | data) = 0.8352, over the rule's cutoff of 0.9," in english.body
    assert "5 de marzo de 2026 a las 14:30 (UTC)" in spanish.body
    assert "March 5, 2026, 2:30 p.m. (UTC)" in english.body
    # the configured mailbox: the trial's language (the protocol's first, English)
    assert made["dsmb@example.org"].body == english.body
    # stored as composed: one row per recipient
    assert SignalAlert.objects.count() == 3


def test_the_spanish_dsmb_alert_keeps_no_english_of_its_template(trial):
    made = _alerted(trial)
    arm = get_protocol().design.arm(get_protocol().safety_monitoring.arm).label.text("es")
    spanish = (made[SPANISH].subject + "\n" + made[SPANISH].body).replace(arm, " ")
    english_template = english_pieces(english_texts())
    assert findings(spanish.replace("trialdesk", " "), english_template, []) == []
    assert findings(made[ENGLISH].body, english_template, [])
