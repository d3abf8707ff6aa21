"""The consent rules of the protocol version in force at the participant's site (issue 17): an
amendment approved at CO-01 only changes the capacity deadline (7 -> 3 days), the refusal's data
rule (keep_until_refusal -> withdraw_all), the re-consent deadline (30 -> 14 days) and adds
consent version 2.0. CO-01 works under the new rules from the amendment's effective date; CO-02,
which has not approved it, keeps the old ones."""

from __future__ import annotations

import datetime as dt

import pytest
from enrollment import screen

from trialdesk.protocol import default_protocol_path
from trialdesk.web.core import clock

START = dt.datetime(2026, 6, 5, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá, the sites' zone
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
EFFECTIVE, APPROVED = dt.date(2026, 6, 1), dt.date(2026, 6, 10)
TODAY = NOW.date()
RULES = ('capacity_confirmation_days = 7\nreconsent_days = 30\n'
         'refusal_data_rule = "keep_until_refusal"\n')
NEW_RULES = ('capacity_confirmation_days = 3\nreconsent_days = 14\n'
             'refusal_data_rule = "withdraw_all"\n')
MARKER = "\n# --- the cell product"
VERSION_2 = '''[[consent.versions]]
version = "2.0"
title = { en = "Informed consent, version 2.0", es = "Consentimiento informado, versión 2.0" }
languages = ["es", "en"]
'''


def amended_rules_text() -> str:
    """The bundled protocol with the consent rules above changed and version 2.0 added."""
    text = default_protocol_path().read_text(encoding="utf-8")
    assert text.count(RULES) == 1 and text.count(MARKER) == 1, "the [consent] section changed"
    return text.replace(RULES, NEW_RULES).replace(MARKER, "\n" + VERSION_2 + MARKER)


def _lar_consented(trial, user: str, day: dt.date) -> str:
    api = trial.api(user)
    code = screen(api)["code"]
    response = api.post(f"/api/v1/participants/{code}/consent", {
        "consent_date": day.isoformat(), "form_version": "1.0", "signer": "lar",
        "lar_name": "Ana Gómez", "lar_relationship": "spouse"})
    assert response.status_code == 201, response.content
    return code


@pytest.fixture
def amended(trial):
    """Two participants a representative consented for (CO-01, CO-02) and randomized on
    ``START``; then, on ``NOW``, the amendment recorded and approved at CO-01 only."""
    with clock.use_clock(clock.SimulatedClock(START)) as moving:
        codes = {}
        for user in ("investigator-co-01", "investigator-co-02"):
            codes[user] = _lar_consented(trial, user, START.date())
            randomized = trial.api(user).post(f"/api/v1/participants/{codes[user]}/randomize",
                                              {})
            assert randomized.status_code == 201, randomized.content
        moving.set(NOW)
        admin = trial.api("admin")
        recorded = admin.post("/api/v1/amendments", {
            "toml_text": amended_rules_text(), "effective_date": EFFECTIVE.isoformat(),
            "reason": "Shorter consent deadlines (ethics committee)"})
        assert recorded.status_code == 201, recorded.content
        approved = admin.post("/api/v1/amendments/2/approvals",
                              {"site": "CO-01", "approval_date": APPROVED.isoformat()})
        assert approved.status_code == 201, approved.content
        yield trial, codes


def _tasks(trial, path: str) -> dict[str, dict]:
    response = trial.api("data_manager").get(path)
    assert response.status_code == 200, response.content
    return {task["participant"]: task for task in response.json()}


def test_the_capacity_deadline_and_the_refusal_rule_are_the_sites(amended):
    trial, codes = amended
    a, b = codes["investigator-co-01"], codes["investigator-co-02"]
    for user, code in codes.items():
        answer = trial.api(user).post(f"/api/v1/participants/{code}/consent/capacity-regained",
                                      {"date": TODAY.isoformat()})
        assert answer.status_code == 201, answer.content
    tasks = _tasks(trial, "/api/v1/consent/tasks")
    assert tasks[a]["due"] == (TODAY + dt.timedelta(days=3)).isoformat()  # amended at CO-01
    assert tasks[b]["due"] == (TODAY + dt.timedelta(days=7)).isoformat()  # version 1's

    effects = {}
    for user, code in codes.items():
        refused = trial.api(user).post(f"/api/v1/participants/{code}/consent/refusal",
                                       {"date": TODAY.isoformat(), "note": "does not go on"})
        assert refused.status_code == 201, refused.content
        body = refused.json()
        effects[code] = (body["data_rule"], body["level"], body["data_use"])
    assert effects == {a: ("withdraw_all", "all_data", False),
                       b: ("keep_until_refusal", "all_data", True)}


def test_the_reconsent_deadline_is_the_amended_protocols(amended):
    trial, codes = amended
    tasks = _tasks(trial, "/api/v1/consent/reconsent-tasks")
    a = codes["investigator-co-01"]
    assert set(tasks) == {a}  # CO-02 has not approved version 2.0's amendment
    # the version took effect at CO-01 on its approval (after the effective date): due 14 days on
    assert tasks[a]["since"] == APPROVED.isoformat()
    assert tasks[a]["due"] == (APPROVED + dt.timedelta(days=14)).isoformat()
    assert tasks[a]["overdue"] is False
