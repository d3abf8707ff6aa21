"""Issue 12: the trial's own creates take an idempotency key (``core.idempotency``): the first
consent, a dispensing and an emergency unblinding, each retried, answer the first answer and
record (and notify) nothing again; the arm an unblinding answered goes back to its requester
only, never to another user sending the same key."""

from __future__ import annotations

from enrollment import CONSENT, randomize, screen
from idempotency import assert_idempotent

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Consent

INVESTIGATOR = "investigator-co-01"
REASON = {"reason": "Severe reaction; treatment depends on it"}


def test_a_retried_consent_is_recorded_once(trial):
    client = trial.api(INVESTIGATOR)
    code = screen(client)["code"]
    assert_idempotent(client, f"/api/v1/participants/{code}/consent", CONSENT, counted=(Consent,),
                      other_body={**CONSENT, "witness_name": "Ana"})
    assert Consent.objects.count() == 1


def test_a_retried_dispensing_is_recorded_once(trial):
    _, kit = randomize(trial.api(INVESTIGATOR))
    assert_idempotent(trial.api("pharmacist-co-01"), f"/api/v1/kits/{kit}/dispense",
                      {"lot": "LOT-2026-01"}, other_body={"lot": "LOT-2026-02"})
    assert AuditRecord.objects.filter(action="dispense").count() == 1


def test_a_retried_emergency_unblinding_is_recorded_and_notified_once(trial):
    code, _ = randomize(trial.api(INVESTIGATOR))
    path = f"/api/v1/participants/{code}/unblind"
    answer = assert_idempotent(trial.api(INVESTIGATOR), path, REASON,
                               other_body={"reason": "Another reason, at least ten"})
    assert answer["arm"]
    assert AuditRecord.objects.filter(action="emergency_unblind").count() == 1
    # the same key from a blinded colleague is not the first answer: refused, no arm
    blinded = trial.api("coordinator-co-01").post(path, {**REASON,
                                                         "idempotency_key": "retry-key-0001"})
    assert blinded.status_code == 403 and "arm" not in blinded.json()
