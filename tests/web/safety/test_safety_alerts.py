"""Issue 15: every alert condition (SAE, grade >= 4, death, SUSAR) alerts the sponsor's safety
contact and the DSMB at once, one alert per recipient, by e-mail; nothing else alerts; an update
that adds a reason alerts again for it alone; the texts carry no arm, no kit, no lot."""

from __future__ import annotations

import pytest
from django.core import mail
from safety_kit import INVESTIGATOR, randomized, report

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.safety.models import SafetyAlert
from trialdesk.web.trials.models import AllocationSlot
from trialdesk.web.worker.runner import run_ready

RECIPIENTS = {"sponsor-safety@example.org", "dsmb@example.org"}

CASES = [
    ("sae: hospitalization", {"grade": 3, "hospitalization": True}, ["sae"]),
    ("sae: important medical event", {"grade": 2, "important_medical_event": True}, ["sae"]),
    ("grade 4, not serious", {"grade": 4}, ["grade_4_plus"]),
    ("death", {"grade": 5, "death": True, "outcome": "fatal"},
     ["sae", "grade_4_plus", "death"]),
    ("susar", {"grade": 3, "life_threatening": True, "relatedness": "probable",
               "expectedness": "unexpected"}, ["sae", "susar"]),
]


@pytest.mark.parametrize(("label", "values", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_each_alert_condition_alerts_the_safety_contact_and_the_dsmb(
        trial, django_capture_on_commit_callbacks, label, values, reasons):
    code = randomized(trial)
    with django_capture_on_commit_callbacks(execute=True):
        response = trial.api(INVESTIGATOR).post("/api/v1/safety/adverse-events",
                                                report(code, **values))
    assert response.status_code == 201, response.content
    assert mail.outbox == [] and run_ready() == 1  # sent by the alerts' task (issue 20)
    event = response.json()
    assert event["alert_reasons"] == reasons
    alerts = SafetyAlert.objects.filter(event_id=event["id"])
    assert {a.recipient for a in alerts} == RECIPIENTS
    assert all(a.status == "sent" and a.reasons == reasons for a in alerts)
    assert {tuple(m.to) for m in mail.outbox} == {(r,) for r in RECIPIENTS}
    assert all(event["key"] in m.subject for m in mail.outbox)


@pytest.mark.parametrize("values", [{"grade": 3}, {"grade": 2, "relatedness": "definite",
                                                   "expectedness": "unexpected"}])
def test_a_non_serious_event_below_grade_4_alerts_nobody(trial, django_capture_on_commit_callbacks,
                                                         values):
    code = randomized(trial)
    with django_capture_on_commit_callbacks(execute=True):
        response = trial.api(INVESTIGATOR).post("/api/v1/safety/adverse-events",
                                                report(code, **values))
    assert response.status_code == 201, response.content
    assert response.json()["alert_reasons"] == []
    assert not SafetyAlert.objects.exists()
    assert run_ready() == 0 and mail.outbox == []


def test_an_update_that_makes_a_susar_alerts_again_for_that_reason_only(
        trial, django_capture_on_commit_callbacks):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    with django_capture_on_commit_callbacks(execute=True):
        event = api.post("/api/v1/safety/adverse-events",
                         report(code, grade=3, hospitalization=True,
                                relatedness="possible")).json()
    assert event["next_actions"] == ["assess_expectedness", "follow_up"]
    assert run_ready() == 1 and len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = api.send("PATCH", f"/api/v1/safety/adverse-events/{event['id']}",
                            {"expectedness": "unexpected",
                             "reason": "not in the investigator's brochure"})
    assert response.status_code == 200, response.content
    assert response.json()["susar"] is True
    assert [a.reasons for a in SafetyAlert.objects.order_by("pk")][-2:] == [["susar"]] * 2
    assert run_ready() == 1 and len(mail.outbox) == 4


def test_alert_texts_and_e_mails_name_no_arm_kit_or_lot(trial, django_capture_on_commit_callbacks):
    code = randomized(trial)
    with django_capture_on_commit_callbacks(execute=True):
        trial.api(INVESTIGATOR).post("/api/v1/safety/adverse-events",
                                     report(code, grade=5, death=True, outcome="fatal",
                                            relatedness="possible", expectedness="unexpected"))
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    kits = set(AllocationSlot.objects.filter(used=True).values_list("kit_code", flat=True))
    run_ready()
    assert mail.outbox
    for alert in SafetyAlert.objects.all():
        for text in (alert.subject, alert.body):
            assert find_leaks(text, texts) == []
            assert not any(kit in text for kit in kits)
            assert "lot" not in text.lower().split()
    for message in mail.outbox:
        assert find_leaks(message.subject + message.body, texts) == []
        assert not any(kit in message.body for kit in kits)
