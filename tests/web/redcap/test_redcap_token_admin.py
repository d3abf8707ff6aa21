"""REDCap tokens issued and revoked by the trial's administrator through the JSON API
(``/api/v1/users/{username}/redcap-token``, ``manage_users``): shown once, audited under the
administrator's name, never in an audit record or a log; not for accounts that see arms."""

from __future__ import annotations

import json
import logging

import pytest
from redcap_kit import RedcapClient

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.redcap.models import RedcapToken, hash_redcap_token

PATH = "/api/v1/users/{}/redcap-token"


@pytest.fixture
def admin(trial):
    return trial.api("admin")


def test_the_administrator_issues_a_token_shown_once_and_never_logged(trial, admin, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin.post(PATH.format("analyst"))
    assert response.status_code == 201, response.content
    token = response.json()["redcap_token"]
    assert len(token) == 32 and int(token, 16) >= 0
    assert "no-store" in response["Cache-Control"]
    stored = RedcapToken.objects.get(user=trial.users["analyst"])
    assert stored.key_hash == hash_redcap_token(token) and stored.created_by == "admin"
    record = AuditRecord.objects.filter(action="issue_redcap_token").last()
    assert (record.actor, record.object_id) == ("admin", "analyst")
    assert token not in json.dumps(record.changes) and token not in caplog.text
    assert RedcapClient(token).post(content="version").status_code == 200
    again = admin.post(PATH.format("analyst")).json()["redcap_token"]
    assert RedcapClient(token).post(content="version").status_code == 401  # replaced
    assert RedcapClient(again).post(content="version").status_code == 200


def test_the_administrator_revokes_a_token(trial, admin):
    token = admin.post(PATH.format("monitor")).json()["redcap_token"]
    response = admin.send("DELETE", PATH.format("monitor"), {"reason": "laptop stolen"})
    assert response.status_code == 200
    assert response.json() == {"username": "monitor", "redcap_token": None}
    assert RedcapClient(token).post(content="version").status_code == 401
    record = AuditRecord.objects.filter(action="revoke_redcap_token").last()
    assert (record.actor, record.object_id, record.reason) == ("admin", "monitor",
                                                               "laptop stolen")
    assert admin.send("DELETE", PATH.format("monitor")).status_code == 409  # none left
    assert admin.send("DELETE", PATH.format("nobody")).status_code == 404
    assert admin.post(PATH.format("nobody")).status_code == 404


@pytest.mark.parametrize("username", ["pharmacist-co-01", "dsmb_statistician"])
def test_no_token_for_an_account_that_sees_arms_from_the_blinded_administrator(trial, admin,
                                                                              username):
    response = admin.post(PATH.format(username))
    assert response.status_code == 403
    assert "trialdesk users redcap-token" in response.content.decode()
    assert not RedcapToken.objects.filter(user=trial.users[username]).exists()


def test_no_token_for_a_deactivated_account(trial, admin):
    reason = {"reason": "left the study team"}
    assert admin.post("/api/v1/users/analyst/deactivate", reason).status_code == 200
    assert admin.post(PATH.format("analyst")).status_code == 409


def test_other_roles_find_no_account_to_give_a_token(trial):
    investigator = trial.api("investigator-co-01")
    assert investigator.post(PATH.format("analyst")).status_code == 404
    assert investigator.send("DELETE", PATH.format("analyst")).status_code == 404
    assert not RedcapToken.objects.exists()
