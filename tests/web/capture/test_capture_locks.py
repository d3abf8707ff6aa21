"""Locks on forms, participants and the database; unlocking needs a reason."""

from __future__ import annotations

import json

from capture_testkit import RESPIRATORY_OK, form_path, page_path, stored
from lock_override import lock
from login import login_page_client
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Lock
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"


def _complete(ct):
    code = ct.randomize()
    response = ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    assert response.status_code == 201, response.content
    return code


def _verified_at_source(ct, code: str) -> None:
    """The monitor verifies the form against the source: whether the verification plan samples
    it depends on the plan's seed, and a sampled form left unverified would hold the lock."""
    import datetime as dt

    from trialdesk.web.capture.models import FormInstance

    monitor = ct.api("monitor")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    visit = monitor.post("/api/v1/monitoring/visits",
                         {"site": "CO-01", "kind": "remote", "planned_date": today})
    assert visit.status_code == 201, visit.content
    form = FormInstance.objects.get(participant__code=code, visit="day0", form="respiratory")
    verified = monitor.post(f"/api/v1/monitoring/records/form/{form.pk}/verification",
                            {"visit": visit.json()["id"], "status": "verified"})
    assert verified.status_code == 201, verified.content


def test_form_lock_refuses_changes_until_unlocked_with_a_reason(ct):
    code = _complete(ct)
    signed = ct.api("investigator-co-01").post(form_path(code) + "/sign", {"password": PASSWORD})
    assert signed.status_code < 300, signed.content
    _verified_at_source(ct, code)  # signed and verified: nothing outstanding on the form
    dm = ct.api("data_manager")
    locked = dm.post("/api/v1/locks", {"scope": "form", "participant": code, "visit": "day0",
                                       "form": "respiratory", "reason": "cleaned"})
    assert locked.status_code == 201, locked.content
    change = {"values": {**RESPIRATORY_OK, "peep": 12}, "complete": True, "reason": "x"}
    refused = ct.api(COORD).put(form_path(code), change)
    assert refused.status_code == 409 and refused.json()["error"] == "form_locked"
    assert ct.api(COORD).get(form_path(code)).json()["status"] == "locked"
    lock_id = locked.json()["id"]
    assert dm.post(f"/api/v1/locks/{lock_id}/unlock", {"reason": ""}).status_code == 422
    assert dm.post(f"/api/v1/locks/{lock_id}/unlock", {}).status_code == 422
    unlocked = dm.post(f"/api/v1/locks/{lock_id}/unlock", {"reason": "query on PEEP"})
    assert unlocked.status_code == 200 and unlocked.json()["unlock_reason"] == "query on PEEP"
    assert ct.api(COORD).put(form_path(code), change).status_code == 200
    record = AuditRecord.objects.filter(action="unlock").get()
    assert record.reason == "query on PEEP"


def test_only_the_data_manager_locks(ct):
    code = _complete(ct)
    body = {"scope": "participant", "participant": code}
    for username in (COORD, "investigator-co-01", "monitor"):
        assert ct.api(username).post("/api/v1/locks", body).status_code == 403
    assert not Lock.objects.exists()


def test_a_draft_form_cannot_be_locked(ct):
    code = ct.randomize()
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK})
    response = ct.api("data_manager").post("/api/v1/locks", {
        "scope": "form", "participant": code, "visit": "day0", "form": "respiratory"})
    assert response.status_code == 409 and response.json()["error"] == "not_complete"


def test_participant_lock_refuses_every_form_of_the_participant(ct):
    code = _complete(ct)
    other = _complete(ct)
    assert lock(ct.api("data_manager"), ct.api("principal_investigator"),
                {"scope": "participant", "participant": code}).status_code == 201
    vitals = {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37}
    refused = ct.api(COORD).put(form_path(code, form="vital_signs"), {"values": vitals})
    assert refused.status_code == 409 and refused.json()["error"] == "participant_locked"
    assert ct.api(COORD).put(form_path(other, form="vital_signs"),
                             {"values": vitals}).status_code == 201


def test_database_lock_refuses_every_clinical_write_through_the_api(ct):
    code = _complete(ct)
    dm = ct.api("data_manager")
    query_id = dm.post(form_path(code) + "/queries", {"field": "pao2", "text": "?"}).json()["id"]
    lock_id = lock(dm, ct.api("principal_investigator"),
                   {"scope": "database", "reason": "final"}).json()["id"]
    before = stored(code)
    coord, inv = ct.api(COORD), ct.api("investigator-co-01")
    vitals = {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37}
    writes = [
        (coord, "put", form_path(code), {"values": {**RESPIRATORY_OK, "peep": 11},
                                         "complete": True, "reason": "x"}),
        (coord, "put", form_path(code, form="vital_signs"), {"values": vitals}),
        (inv, "post", form_path(code) + "/sign", {"password": PASSWORD}),
        (inv, "post", f"/api/v1/participants/{code}/visits/day0/sign", {"password": PASSWORD}),
        (coord, "post", f"/api/v1/participants/{code}/visits/day3/not-done", {"reason": "x"}),
        (coord, "post", f"/api/v1/participants/{code}/discontinue",
         {"kind": "withdrew", "date": "2026-01-01"}),
        (dm, "post", form_path(code) + "/queries", {"field": "fio2", "text": "?"}),
        (coord, "post", f"/api/v1/queries/{query_id}/answer", {"text": "ok"}),
        (dm, "post", f"/api/v1/queries/{query_id}/close", {}),
        (dm, "post", "/api/v1/locks", {"scope": "participant", "participant": code}),
    ]
    for client, method, path, body in writes:
        response = getattr(client, method)(path, body)
        assert response.status_code == 409, (path, response.content)
        assert response.json()["error"] == "database_locked", path
    imported = coord.post("/api/v1/form-data/import", {"format": "json", "data": [
        {"participant": code, "visit": "day0", "form": "vital_signs", **vitals}]}).json()
    assert imported["saved"] == 0 and imported["errors"][0]["rule"] == "database_locked"
    assert stored(code) == before
    unlocked = dm.post(f"/api/v1/locks/{lock_id}/unlock", {"reason": "late SAE follow-up"})
    assert unlocked.status_code == 200
    assert coord.put(form_path(code, form="vital_signs"), {"values": vitals}).status_code == 201


def test_database_lock_refuses_writes_through_the_pages(ct):
    code = _complete(ct)
    manager = login_page_client("data_manager")
    query = manager.post(page_path(code) + "query/", {"field": "pao2", "text": "?"})
    query_path = query.url
    assert lock(ct.api("data_manager"), ct.api("principal_investigator"),
                {"scope": "database"}).status_code == 201
    coord, inv = login_page_client(COORD), login_page_client("investigator-co-01")
    assert coord.get(page_path(code)).status_code == 200  # reading still works
    vitals = {"heart_rate": "80", "systolic_bp": "120", "diastolic_bp": "70",
              "temperature": "37", "action": "draft"}
    writes = [
        (coord, page_path(code), {"pao2": "81", "fio2": "0.5", "peep": "10",
                                  "ventilation_mode": "imv", "action": "complete",
                                  "reason": "x"}),
        (coord, page_path(code, form="vital_signs"), vitals),
        (inv, page_path(code) + "sign/", {"password": PASSWORD}),
        (inv, f"/capture/participants/{code}/day0/sign/", {"password": PASSWORD}),
        (coord, f"/capture/participants/{code}/day3/not-done/", {"reason": "x"}),
        (coord, f"/capture/participants/{code}/discontinue/",
         {"kind": "withdrew", "date": "2026-01-01"}),
        (coord, query_path, {"action": "answer", "text": "ok"}),
        (manager, query_path, {"action": "close"}),
        (manager, page_path(code) + "query/", {"field": "fio2", "text": "?"}),
        (manager, "/capture/locks/", {"scope": "participant", "participant": code}),
    ]
    for client, path, data in writes:
        response = client.post(path, data)
        assert response.status_code == 409, (path, response.status_code)
        assert 'data-reason="database_locked"' in response.content.decode(), path
    imported = coord.post("/capture/import/", {"format": "json", "text": json.dumps(
        [{"participant": code, "visit": "day0", "form": "vital_signs",
          **{k: v for k, v in vitals.items() if k != "action"}}])})
    assert "database_locked" in imported.content.decode()
    assert stored(code)[0]["pao2"] == 80
    assert stored(code, form="vital_signs") == (None, None)
