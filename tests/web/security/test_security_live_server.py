"""The real server (``trialdesk serve`` -> gunicorn) probed over HTTP, as an attacker would.

One demo trial: participants of both arms, kits dispensed from arm-specific lots, one emergency
unblinding. Then: the data directory is private, the server's own log (gunicorn access log and
Python logging, with the 404s and 403s of blinded roles probing kits) names no arm, answers are
not cacheable, and the blinded audit trail and participant list carry no arm.
"""

from __future__ import annotations

import stat

import pytest
from live_server import api_session, demo_users, enroll, fetch, running, setup_demo

from trialdesk.blinding import arm_revealing_texts
from trialdesk.protocol import load_protocol

LOTS = {"msc": "CELLS-B2026-11", "standard": "VEHICLE-V2026-03"}


def _arm_words() -> list[str]:
    words = sorted(arm_revealing_texts(load_protocol(), ["en", "es"]))
    return [*words, '"msc"', '"standard"', "EXPERIMENTAL", "PLACEBO_COMPARATOR", *LOTS.values()]


@pytest.mark.slow
def test_the_real_server_keeps_arms_out_of_files_logs_and_blinded_answers(tmp_path):
    data = tmp_path / "data"
    setup_demo(data, slots_per_stratum=8)
    users = demo_users(data)
    with running(data, workers=1, threads=4) as server:
        url = server.url
        investigator = api_session(url, users["investigator-co-01"])
        codes = [enroll(investigator, url, 0) for _ in range(4)]  # one stratum: both arms
        kits = {}
        for code in codes:
            answer = investigator.post(f"{url}/api/v1/participants/{code}/randomize", json={},
                                       timeout=30)
            assert answer.status_code == 201, answer.text
            kits[code] = answer.json()["kit_code"]
        arm_of = dict(fetch(data, None, "SELECT kit_code, arm FROM trials_allocationslot"))
        assert {arm_of[kit] for kit in kits.values()} == {"msc", "standard"}
        pharmacist = api_session(url, users["pharmacist-co-01"])
        for kit in kits.values():
            assert pharmacist.post(f"{url}/api/v1/kits/{kit}/dispense", timeout=30,
                                   json={"lot": LOTS[arm_of[kit]]}).status_code == 201
        unblinded = investigator.post(f"{url}/api/v1/participants/{codes[0]}/unblind",
                                      json={"reason": "Severe reaction during the infusion"},
                                      timeout=30)
        assert unblinded.status_code == 201
        assert "no-store" in unblinded.headers["Cache-Control"]

        # blinded roles probe: kits (404/403), the audit trail, the participant list
        blinded_answers = []
        for username in ("coordinator-co-01", "monitor", "admin", "analyst", "data_manager"):
            session = api_session(url, users[username])
            for kit in kits.values():
                answer = session.get(f"{url}/api/v1/kits/{kit}", timeout=30)
                assert answer.status_code == 404
                blinded_answers.append(answer.text)
            for path in ("/api/v1/audit?limit=1000", "/api/v1/participants",
                         "/api/v1/analysis/groups", f"/api/v1/participants/{codes[0]}"):
                answer = session.get(url + path, timeout=30)
                assert "no-store" in answer.headers.get("Cache-Control", ""), path
                blinded_answers.append(answer.text + str(answer.headers))
        other_pharmacist = api_session(url, users["pharmacist-co-02"])
        assert other_pharmacist.get(f"{url}/api/v1/kits/{kits[codes[1]]}",
                                    timeout=30).status_code == 404
    words = _arm_words()
    leaks = sorted({w for text in blinded_answers for w in words if w in text})
    assert leaks == []
    log = (data / "server.log").read_text()
    assert f"/api/v1/kits/{kits[codes[1]]}" in log  # the access log did record the probes
    assert sorted(w for w in words if w in log) == []
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("allocation-seed", "secret_key", "demo-users.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
