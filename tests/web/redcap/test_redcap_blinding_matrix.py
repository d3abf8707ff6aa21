"""The blinding matrix on ``/redcap/api/``: every role, every method and format (issue 22).

``tests/web/blinding_matrix.py`` requests every route with GET (this one answers 405 to GET) and
every OpenAPI operation; the REDCap API is one POST URL whose methods are parameters, so it is
walked here, with the matrix's own rules: no arm text or arm-named field for a blinded role, the
secrets of ``blinding_secrets`` (which participant was emergency-unblinded, block sizes) only for
who may see them, and, for REDCap's log, a pharmacy record's time of day only for roles that see
arms. Besides, no value of any row is an arm's code for a blinded role (``target_field_alt``).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from api_client import ApiClient
from blinding_secrets import SEES_ARMS, Secret, block_sizes, chunks, emergency_unblinding
from days import days_later
from enrollment import enroll
from redcap_kit import client_of
from trial_factory import create_user

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.protocol import get_policy, get_protocol

REASON = "Severe anaphylaxis after the infusion so the physician must know the arm"
FORMATS = ("json", "csv", "xml")
STRUCTURE = ("project", "metadata", "instrument", "exportFieldNames", "event", "arm",
             "formEventMapping", "repeatingFormsEvents", "dag", "user")


def _calls(fresh: str, other: str) -> list[dict[str, str]]:
    calls = [{"content": "version"}]
    calls += [{"content": content, "format": fmt} for content in STRUCTURE for fmt in FORMATS]
    calls += [{"content": "record", "format": fmt, "type": kind}
              for fmt in FORMATS for kind in ("flat", "eav")]
    calls += [{"content": "record", "format": "json", "rawOrLabel": "label",
               "exportDataAccessGroups": "true"},
              {"content": "record", "format": "csv", "rawOrLabelHeaders": "label"},
              {"content": "record", "format": "json", "forms": "randomization,infusion"},
              {"content": "record", "format": "json", "records": other},
              {"content": "log", "format": "json"}, {"content": "log", "format": "csv"},
              {"content": "log", "format": "json", "beginTime": "2000-01-01 00:00"},
              {"content": "record", "action": "randomize", "record": fresh, "returnAlt": "true",
               "format": "json", "returnFormat": "json"},
              {"content": "record", "action": "delete", "records": other,
               "returnFormat": "json"},
              {"content": "record", "format": "json", "data": "[]"}]
    return calls


def pharmacy_log_times(pharmacy_accounts: list[str]) -> Secret:
    """A row of REDCap's log written by the pharmacy (a dispensing, a pharmacist's record)
    dated finer than its day."""
    def found(body: str) -> list[str]:
        shown = []
        for chunk in chunks(body):
            try:
                row = json.loads(chunk)
            except ValueError:
                continue
            if not isinstance(row, dict) or "timestamp" not in row:
                continue
            pharmacy = (row.get("username") in pharmacy_accounts
                        or str(row.get("action", "")).startswith("dispense"))
            if pharmacy and len(str(row["timestamp"])) > len("YYYY-MM-DD"):
                shown.append(f"pharmacy log row at {row['timestamp']}")
        return shown

    return Secret("pharmacy time", found, lambda who, role: role in SEES_ARMS)


def _arm_codes_as_values(body: str) -> list[str]:
    codes = {arm.code for arm in get_protocol().design.arms}
    try:
        data = json.loads(body)
    except ValueError:
        return []
    rows = data if isinstance(data, list) else [data]
    return [f"{key}={value}" for row in rows if isinstance(row, dict)
            for key, value in row.items() if value in codes]


def _findings(viewers, calls_of, secrets) -> list[tuple[str, dict, int, list[str]]]:
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    policy = get_policy()
    findings = []
    for who, (client, role) in viewers.items():
        for params in calls_of(who):
            answer = client.post(**params)
            body = answer.content.decode()
            what = ["server error"] if answer.status_code >= 500 else []
            if role is None or not policy.sees_any_arm(role):
                what += find_leaks(body, texts) + _arm_codes_as_values(body)
            what += [f"{secret.name}: {shown}" for secret in secrets
                     if not secret.may_see(who, role) for shown in secret.found(body)]
            if what:
                findings.append((who, params, answer.status_code, what))
    return findings


@pytest.fixture
def blinded_world(trial):
    """Two randomized and dispensed participants per site, one emergency-unblinded, and one
    enrolled participant per viewer left to randomize through the REDCap API."""
    kits = {}
    for site in ("co-01", "co-02"):
        investigator = trial.api(f"investigator-{site}")
        for _ in range(2):
            code = enroll(investigator)
            kit = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()
            kits[code] = (site, kit["kit_code"])
    for site, kit in kits.values():
        answer = trial.api(f"pharmacist-{site}").post(f"/api/v1/kits/{kit}/dispense",
                                                      {"lot": "LOT-2026-01"})
        assert answer.status_code == 201, answer.content
    target = next(iter(kits))
    requester = create_user("investigator2-co-01", "investigator", "CO-01")
    assert ApiClient(requester).post(f"/api/v1/participants/{target}/unblind",
                                     {"reason": REASON}).status_code == 201
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    fresh = {who: enroll(trial.api("investigator-co-02" if who.endswith("co-02")
                                   else "investigator-co-01")) for who in users}
    other = next(code for code, (site, _) in kits.items() if site == "co-02")
    viewers = {who: (client_of(user), user.memberships.get().role) for who, user in users.items()}
    pharmacists = [who for who, user in users.items()
                   if user.memberships.get().role == "pharmacist"]
    return viewers, fresh, other, target, requester, pharmacists


def test_no_role_reaches_an_arm_or_a_secret_through_the_redcap_api(blinded_world):
    viewers, fresh, other, target, requester, pharmacists = blinded_world
    secrets = [emergency_unblinding(target, REASON, requester.username),
               pharmacy_log_times(pharmacists), block_sizes()]
    with days_later():  # a day's pharmacy records reach blinded readers once the day is over
        findings = _findings(viewers, lambda who: _calls(fresh[who], other), secrets)
    assert findings == []


def test_the_redcap_matrix_has_teeth(blinded_world, monkeypatch):
    """Judged as if barred, the administrator's log shows the emergency unblinding (the auditor
    may read it); and were the log not redacted for the monitor, the pharmacy's times would be
    found: the rules find what the API shows."""
    from trialdesk.web.trials import audit_trail

    viewers, _fresh, _other, target, _requester, pharmacists = blinded_world
    barred = [replace(emergency_unblinding(target, REASON, "nobody"),
                      may_see=lambda who, role: False), pharmacy_log_times(pharmacists)]
    log = [{"content": "log", "format": "json"}]
    with days_later():
        shown = _findings({"admin": viewers["admin"]}, lambda who: log, barred)
        assert {what[0].split(":")[0] for _, _, _, what in shown} == {"emergency unblinding"}
        monkeypatch.setattr(audit_trail, "reads_full_trail", lambda actor: True)
        unredacted = _findings({"monitor": viewers["monitor"]}, lambda who: log, barred)
    assert any(w.startswith("pharmacy time") for _, _, _, what in unredacted for w in what)
