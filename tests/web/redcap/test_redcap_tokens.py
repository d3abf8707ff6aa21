"""REDCap tokens: 32 hex characters, one per user, stored hashed, audited, refused when revoked
or when the account is deactivated or locked out; errors in the caller's return format."""

from __future__ import annotations

import json

import pytest
from redcap_kit import URL, RedcapClient, client_of, redcap_token

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.redcap.actions import do_revoke_redcap_token
from trialdesk.web.redcap.models import RedcapToken, hash_redcap_token


def test_a_token_is_32_hex_characters_stored_only_as_its_hash(trial):
    token = redcap_token(trial.users["analyst"])
    assert len(token) == 32 and int(token, 16) >= 0
    stored = RedcapToken.objects.get(user=trial.users["analyst"])
    assert stored.key_hash == hash_redcap_token(token) and token not in stored.key_hash
    record = AuditRecord.objects.filter(action="issue_redcap_token").last()
    assert record.object_id == "analyst" and token not in json.dumps(record.changes)


def test_a_new_token_replaces_the_old_one(trial):
    first = redcap_token(trial.users["analyst"])
    second = redcap_token(trial.users["analyst"])
    assert RedcapClient(first).post(content="version").status_code == 401
    assert RedcapClient(second).post(content="version").status_code == 200
    assert RedcapToken.objects.filter(user=trial.users["analyst"]).count() == 1


def test_a_revoked_token_is_refused(trial):
    client = client_of(trial.users["analyst"])
    do_revoke_redcap_token(actor="test", username="analyst")
    response = client.post(content="version", returnFormat="json")
    assert response.status_code == 401
    assert "error" in response.json()
    assert AuditRecord.objects.filter(action="revoke_redcap_token", object_id="analyst").exists()


def test_a_deactivated_account_token_is_refused(trial):
    client = client_of(trial.users["analyst"])
    user = trial.users["analyst"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.post(content="version").status_code == 401


def test_a_locked_out_account_token_is_refused(trial, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    client = client_of(trial.users["analyst"])
    assert client.post(content="version").status_code == 200
    AccessAttempt.objects.create(username="analyst", ip_address="10.0.0.1", user_agent="x",
                                 get_data="", post_data="", http_accept="", path_info="/",
                                 failures_since_start=settings.AXES_FAILURE_LIMIT,
                                 attempt_time=timezone.now())
    assert client.post(content="version").status_code == 401


@pytest.mark.parametrize("token", ["", "abc", "G" * 32, "0" * 32])
def test_malformed_or_unknown_tokens_are_401_in_every_return_format(db, token):
    client = RedcapClient(token)
    as_json = client.post(content="metadata", format="json")
    assert as_json.status_code == 401 and set(as_json.json()) == {"error"}
    as_csv = client.post(content="metadata", format="csv")
    assert as_csv.status_code == 401 and as_csv.content.decode().startswith("error:")
    as_xml = client.post(content="metadata")
    assert as_xml.status_code == 401
    assert b"<hash><error>" in as_xml.content


def test_return_format_decides_the_errors_shape(trial):
    client = client_of(trial.users["analyst"])
    response = client.post(content="metadata", format="csv", returnFormat="json", fields="x")
    assert response.status_code == 400 and response.json()["error"] == "no field or instrument x"


def test_get_is_refused_and_post_needs_no_csrf_token(trial):
    from django.test import Client

    assert Client().get(URL).status_code == 405
    csrf_checking = Client(enforce_csrf_checks=True)
    token = redcap_token(trial.users["analyst"])
    assert csrf_checking.post(URL, {"token": token, "content": "version"}).status_code == 200


def test_unknown_content_and_role_without_the_right_are_refused(trial):
    analyst = client_of(trial.users["analyst"])
    assert analyst.post(content="surveyLink", format="json").status_code == 400
    assert analyst.post(content="user", format="json").status_code == 403
    admin = client_of(trial.users["admin"])
    users = admin.json(content="user")
    assert {"analyst", "admin"} <= {u["username"] for u in users}
    pharmacist = client_of(trial.users["pharmacist-co-01"])
    assert pharmacist.post(content="record", format="json").status_code in (403, 404)
    assert analyst.post(content="arm", action="import", format="json",
                        data="[]").status_code == 403

