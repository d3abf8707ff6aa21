"""Emergency unblinding opens one participant's arm to the one investigator who asked, only.

Attack: a colleague at the same site (or another site's investigator, a coordinator, the monitor)
reads the arm afterwards (or, without ``read_unblinding_events``, that the participant was
unblinded) from the participant page, the API, the dashboard, the audit trail or the notification,
or the requester uses the unblinding to read another participant's arm.
"""

from __future__ import annotations

from login import signed_in_client
from security_helpers import randomize_both_arms, second_investigator

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Participant
from trialdesk.web.worker.runner import run_ready

REASON = "Anaphylaxis during infusion; the physician must know"


def _leaks(text: str) -> list[str]:
    found = find_leaks(text, arm_revealing_texts(get_protocol(), ["en", "es"]))
    return found + [code for code in ("msc", "standard") if f'"{code}"' in text]


def test_only_the_requester_sees_the_arm_and_only_of_that_participant(
    trial, mailoutbox, django_capture_on_commit_callbacks
):
    rows = randomize_both_arms(trial)
    target, other = rows[0], next(r for r in rows if r["arm"] != rows[0]["arm"])
    requester = second_investigator(trial)
    with django_capture_on_commit_callbacks(execute=True):
        answer = requester.post(f"/api/v1/participants/{target['code']}/unblind",
                                {"reason": REASON})
    assert answer.status_code == 201 and answer.json()["arm"] == target["arm"]

    # the requester: this participant's arm, no other's
    assert requester.get(f"/api/v1/participants/{target['code']}").json()["arm"] == target["arm"]
    assert "arm" not in requester.get(f"/api/v1/participants/{other['code']}").json()
    assert requester.get(f"/api/v1/kits/{other['kit']}").status_code == 404
    listed = {p["code"]: p for p in requester.get("/api/v1/participants").json()}
    assert [code for code, p in listed.items() if "arm" in p] == [target["code"]]

    # the requester is told the participant is unblinded; the DSMB too (read_unblinding_events)
    assert requester.get(f"/api/v1/participants/{target['code']}").json()["unblinded"] is True
    assert trial.api("dsmb_statistician").get(
        f"/api/v1/participants/{target['code']}").json()["unblinded"] is True
    # everyone else who reads the participant: neither the arm nor that it was unblinded (one
    # known arm unblinds, for a blinded analyst, everyone in the same coded group)
    for username in ("investigator-co-01", "coordinator-co-01", "monitor", "data_manager",
                     "analyst"):
        api = trial.api(username)
        detail = api.get(f"/api/v1/participants/{target['code']}")
        assert detail.status_code == 200 and detail.json()["unblinded"] is False, username
        assert _leaks(detail.content.decode()) == [], username
        assert _leaks(api.get("/api/v1/participants").content.decode()) == [], username
        client = signed_in_client(trial.users[username])
        for path in ("/", f"/participants/{target['code']}/",
                     f"/capture/participants/{target['code']}/"):
            assert _leaks(client.get(path).content.decode()) == [], (username, path)
    assert trial.api("investigator-co-02").get(
        f"/api/v1/participants/{target['code']}").status_code == 404

    # the record of it: who, when, why; no arm in the audit trail, the events or the e-mail; the
    # record itself only for a reader with read_unblinding_events (the admin, not the monitor)
    for reader in ("monitor", "admin"):
        audit = trial.api(reader).get("/api/v1/audit?limit=1000")
        assert ("emergency_unblind" in audit.content.decode()) is (reader == "admin")
        assert _leaks(audit.content.decode()) == [], reader
        assert _leaks(signed_in_client(trial.users[reader]).get("/audit/").content.decode()) == []
    events = trial.api("admin").get("/api/v1/unblinding-events")
    assert _leaks(events.content.decode()) == []
    run_ready()  # the notifications are sent by tasks (issue 20), one per address
    assert len(mailoutbox) == 2
    assert all(_leaks(m.subject + m.body) == [] for m in mailoutbox)


def test_the_colleagues_own_unblinding_page_does_not_show_the_earlier_result(trial):
    rows = randomize_both_arms(trial)
    requester = second_investigator(trial)
    requester.post(f"/api/v1/participants/{rows[0]['code']}/unblind", {"reason": REASON})
    colleague = signed_in_client(trial.users["investigator-co-01"])
    page = colleague.get(f"/participants/{rows[0]['code']}/unblind/")
    assert page.status_code == 200 and _leaks(page.content.decode()) == []


def test_roles_without_the_permission_cannot_unblind(trial):
    rows = randomize_both_arms(trial)
    path = f"/api/v1/participants/{rows[0]['code']}/unblind"
    for username in ("coordinator-co-01", "monitor", "data_manager", "analyst", "admin",
                     "pharmacist-co-01", "investigator-co-02"):
        response = trial.api(username).post(path, {"reason": REASON})
        # 403 for who reads the participant, 404 for who may not even see it
        assert response.status_code in (403, 404), username
        assert _leaks(response.content.decode()) == [], username
    assert not Participant.objects.get(code=rows[0]["code"]).unblinded
