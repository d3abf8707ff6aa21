"""Issue 12: an idempotency key on the safety API's creates. A retried SAE report made a second
event and a second pair of alerts; with a key the retry answers the first event and adds nothing
(no event, follow-up, alert, audit record or e-mail task). The mechanism's own rules (the key's
owner, role and site; its length; a refusal leaves the key free) are checked here on the SAE
report, the operation where a duplicate does the most harm."""

from __future__ import annotations

import pytest
from api_client import ApiClient
from idempotency import assert_idempotent
from safety_kit import INVESTIGATOR, randomized, report

from trialdesk.web.core.models import IdempotentAnswer
from trialdesk.web.safety.models import AdverseEvent, AdverseEventFollowUp, SafetyAlert

EVENTS = "/api/v1/safety/adverse-events"
SAE = {"grade": 4, "hospitalization": True, "relatedness": "unlikely"}
SAFETY_MODELS = (AdverseEvent, AdverseEventFollowUp, SafetyAlert)


def test_a_retried_sae_report_answers_the_first_event_and_alerts_once(trial):
    code = randomized(trial)
    client = trial.api(INVESTIGATOR)
    event = assert_idempotent(client, EVENTS, report(code, **SAE), counted=SAFETY_MODELS,
                              other_body=report(code, **{**SAE, "grade": 3}))
    assert event["alert_reasons"] == ["sae", "grade_4_plus"]
    assert AdverseEvent.objects.count() == 1
    assert SafetyAlert.objects.count() == 2  # sponsor and DSMB, once each


def test_a_retried_follow_up_records_it_once(trial):
    code = randomized(trial)
    client = trial.api(INVESTIGATOR)
    event = client.post(EVENTS, report(code, **SAE)).json()
    follow_up = {"kind": "follow_up", "text": "Stable on the ward", "outcome": "recovering",
                 "resolved": False}
    answer = assert_idempotent(client, f"{EVENTS}/{event['id']}/follow-ups", follow_up,
                               counted=SAFETY_MODELS,
                               other_body={**follow_up, "text": "Back on the ward"})
    assert len(answer["follow_ups"]) == 1
    assert AdverseEventFollowUp.objects.count() == 1


def test_the_same_key_on_another_event_is_a_conflict(trial):
    code = randomized(trial)
    client = trial.api(INVESTIGATOR)
    first = client.post(EVENTS, {**report(code), "idempotency_key": "follow-key-01"})
    event_id = first.json()["id"]
    other = client.post(f"{EVENTS}/{event_id}/follow-ups", {
        "text": "Better", "outcome": "recovering", "resolved": False,
        "idempotency_key": "follow-key-01"})
    assert other.status_code == 409, other.content
    assert [item["field"] for item in other.json()["fields"]] == ["idempotency_key"]
    assert not AdverseEventFollowUp.objects.exists()


def test_a_key_is_its_users_own(trial):
    """Another user's request under the same key is a request of its own: it is carried out and
    gets its own answer, never the first user's."""
    code = randomized(trial)
    body = {**report(code, **SAE), "idempotency_key": "shared-key-01"}
    first = trial.api(INVESTIGATOR).post(EVENTS, body)
    second = trial.api("coordinator-co-01").post(EVENTS, body)
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert IdempotentAnswer.objects.count() == 2


def test_a_stored_answer_is_not_replayed_to_the_user_under_another_role(trial):
    """A user whose role (or site) changed since gets no answer made for the role they had."""
    from trialdesk.web.administration.models import Delegation
    from trialdesk.web.core.models import Membership

    code = randomized(trial)
    body = {**report(code, **SAE), "idempotency_key": "role-key-0001"}
    client = trial.api(INVESTIGATOR)
    assert client.post(EVENTS, body).status_code == 201
    Membership.objects.filter(user__username=INVESTIGATOR).update(role="coordinator")
    # delegated in that role too (administration's log), else the role itself is refused
    Delegation.objects.filter(person__username=INVESTIGATOR).update(role="coordinator")
    again = client.post(EVENTS, body)
    assert again.status_code == 409, again.content
    assert again.json()["error"] == "idempotency_key_reused"
    assert AdverseEvent.objects.count() == 1


@pytest.mark.parametrize("key", ["short", "k" * 101, "tab\tkey-0001", "bidi\u202ekey-01"])
def test_a_bad_key_names_the_field_in_the_body_and_the_header(trial, key):
    code = randomized(trial)
    client = trial.api(INVESTIGATOR)
    for response in (client.post(EVENTS, {**report(code), "idempotency_key": key}),
                     client.post(EVENTS, report(code), headers={"Idempotency-Key": key})):
        assert response.status_code == 422, response.content
        assert "idempotency_key" in {item["field"] for item in response.json()["fields"]}
    assert not AdverseEvent.objects.exists()


def test_a_refused_request_leaves_its_key_free(trial):
    code = randomized(trial)
    client = trial.api(INVESTIGATOR)
    future = report(code, onset_date="2999-01-01")  # refused by the action, not the schema
    refused = client.post(EVENTS, {**future, "idempotency_key": "fix-key-0001"})
    assert refused.status_code == 422, refused.content
    fixed = client.post(EVENTS, {**report(code), "idempotency_key": "fix-key-0001"})
    assert fixed.status_code == 201, fixed.content
    assert AdverseEvent.objects.count() == 1


def test_without_a_key_each_report_is_a_new_event(trial):
    code = randomized(trial)
    client: ApiClient = trial.api(INVESTIGATOR)
    ids = {client.post(EVENTS, report(code)).json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert not IdempotentAnswer.objects.exists()
