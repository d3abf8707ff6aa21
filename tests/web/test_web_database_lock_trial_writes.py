"""After database lock, screening, consent, randomization, dispensing and unblinding are refused.

Every write operation of the trial's API is listed from the OpenAPI schema, so a new one that is
not tried here fails the coverage test.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from eligible import ELIGIBLE_VALUES, screening_form_data
from enrollment import CONSENT, enroll, screen
from lock_override import lock_database
from login import login_page_client

from trialdesk.web.core.errors import DatabaseLocked
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials import actions
from trialdesk.web.trials.models import (
    Consent,
    Dispensing,
    Participant,
    Randomization,
    UnblindingEvent,
)

TRIAL_TAGS = {"participants", "randomization", "pharmacy", "unblinding"}
READ_ONLY_POSTS = {("POST", "/api/v1/eligibility")}  # evaluates values, stores nothing


@pytest.fixture
def locked(trial):
    """One participant at each step (screened, consented, randomized), then the database lock."""
    investigator = trial.api("investigator-co-01")
    screened = screen(investigator)["code"]
    consented = enroll(investigator)
    randomized = enroll(investigator)
    kit = investigator.post(f"/api/v1/participants/{randomized}/randomize", {}).json()["kit_code"]
    response = lock_database(trial.users)
    assert response.status_code == 201, response.content
    return trial, {"screened": screened, "consented": consented, "randomized": randomized,
                   "kit": kit}


def _state() -> tuple:
    return (Participant.objects.count(), Consent.objects.count(), Randomization.objects.count(),
            Dispensing.objects.count(), UnblindingEvent.objects.count(),
            sorted(Participant.objects.values_list("code", "eligible", "unblinded")),
            AuditRecord.objects.exclude(action__in=("login", "logout")).count())


def _api_writes(p: dict[str, str]) -> list[tuple[str, str, str, dict]]:
    reason = "Late correction of the chest X-ray reading"
    return [
        ("investigator-co-01", "POST", "/api/v1/participants", {"values": ELIGIBLE_VALUES}),
        ("investigator-co-01", "PATCH", f"/api/v1/participants/{p['screened']}/screening",
         {"values": {"age": 60}, "reason": reason}),
        ("investigator-co-01", "POST", f"/api/v1/participants/{p['screened']}/consent",
         CONSENT),
        ("investigator-co-01", "POST", f"/api/v1/participants/{p['consented']}/randomize", {}),
        ("pharmacist-co-01", "POST", f"/api/v1/kits/{p['kit']}/dispense", {"lot": "LOT-1"}),
        ("investigator-co-01", "POST", f"/api/v1/participants/{p['randomized']}/unblind",
         {"reason": "Anaphylaxis during infusion; physician asks"}),
    ]


def test_every_trial_write_of_the_api_is_refused_with_409(locked):
    trial, p = locked
    before = _state()
    for username, method, path, body in _api_writes(p):
        client = trial.api(username)
        response = client.client.generic(method, path, data=json.dumps(body),
                                         content_type="application/json", headers=client.headers)
        assert response.status_code == 409, (path, response.content)
        assert response.json()["error"] == "database_locked", path
        assert "locked" in response.json()["detail"], path
    assert _state() == before


def test_the_refused_writes_cover_every_trial_write_operation_of_the_schema(locked):
    _, p = locked
    schema = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in ("post", "put", "patch", "delete")
        and TRIAL_TAGS & set(operation.get("tags", []))
    } - READ_ONLY_POSTS
    tried = set()
    for _, method, path, _ in _api_writes(p):
        for code in (p["screened"], p["consented"], p["randomized"]):
            path = path.replace(code, "{code}")
        tried.add((method, path.replace(p["kit"], "{kit_code}")))
    assert operations == tried


def test_every_trial_write_of_the_pages_is_refused_with_409(locked):
    _, p = locked
    investigator = login_page_client("investigator-co-01")
    pharmacist = login_page_client("pharmacist-co-01")
    before = _state()
    screening = screening_form_data(ELIGIBLE_VALUES)
    writes = [
        (investigator, "/screen/", screening),
        (investigator, f"/participants/{p['screened']}/",
         CONSENT),
        (investigator, f"/participants/{p['consented']}/randomize/",
         {"idempotency_key": "page-key-0001", "confirm": "on"}),
        (pharmacist, "/pharmacy/", {"kit_code": p["kit"], "lot": "LOT-1"}),
        (investigator, f"/participants/{p['randomized']}/unblind/",
         {"reason": "Anaphylaxis during infusion; physician asks"}),
    ]
    for client, path, data in writes:
        response = client.post(path, data)
        assert response.status_code == 409, (path, response.status_code)
        assert 'data-reason="database_locked"' in response.content.decode(), path
    assert _state() == before
    assert investigator.get(f"/participants/{p['randomized']}/").status_code == 200  # reading


def test_loading_an_allocation_list_is_refused_after_database_lock(locked):
    with pytest.raises(DatabaseLocked):
        actions.do_commit_allocation_list(actor="test", seed=b"another-seed-0123456789")


def test_writes_work_again_after_the_database_is_unlocked(locked):
    trial, p = locked
    from trialdesk.web.capture.models import Lock

    lock = Lock.objects.get(scope=Lock.DATABASE)
    response = trial.api("data_manager").post(f"/api/v1/locks/{lock.pk}/unlock",
                                              {"reason": "late SAE follow-up"})
    assert response.status_code == 200
    response = trial.api("investigator-co-01").post(
        f"/api/v1/participants/{p['consented']}/randomize", {})
    assert response.status_code == 201
