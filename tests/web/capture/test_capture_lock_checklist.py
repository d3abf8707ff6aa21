"""The lock checklist's capture and safety checks on hand-made data, a lock refused with the list,
a clean scope locked with its (empty) checklist kept and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from capture_testkit import RESPIRATORY_OK, form_path
from lock_checklist_kit import (
    capture_and_safety_checks,  # noqa: F401  (a fixture)
    checklist,
    details,
    items,
)
from trial_factory import PASSWORD

from trialdesk.web.capture.models import FormInstance, Lock, LockOverride
from trialdesk.web.core.models import AuditRecord

COORD, INV, DM = "coordinator-co-01", "investigator-co-01", "data_manager"
EVENTS = "/api/v1/safety/adverse-events"
VITALS = {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37}


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _sae(ct, code: str, term: str = "Pneumonia") -> dict:
    return ct.api(INV).ok("POST", EVENTS, {
        "participant": code, "term": term, "onset_date": _today(), "grade": 3,
        "hospitalization": True, "relatedness": "unlikely"})


def test_capture_checks_list_queries_missing_draft_and_unsigned_forms(ct):
    code = ct.randomize()
    dm = ct.api(DM)
    scope = {"scope": "participant", "participant": code}
    before = checklist(dm, **scope)
    # randomized today: the screening and day-0 forms are expected, day 28's not yet
    missing = items(before, "missing_forms")
    assert f"{code}/day0/respiratory/1" in missing and f"{code}/screening/demographics/1" in missing
    assert not any("/day28/" in subject for subject in missing)
    assert before["outstanding"] >= len(missing)
    coord = ct.api(COORD)
    coord.ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    coord.ok("PUT", form_path(code, form="vital_signs"), {"values": VITALS})  # a draft
    query = dm.ok("POST", form_path(code) + "/queries", {"field": "pao2", "text": "Check it"})
    now = checklist(dm, **scope)
    missing = items(now, "missing_forms")
    # a form counts once: begun forms are not missing; the draft is incomplete
    assert f"{code}/day0/respiratory/1" not in missing
    assert f"{code}/day0/vital_signs/1" not in missing
    assert items(now, "incomplete_forms") == [f"{code}/day0/vital_signs/1"]
    assert items(now, "unsigned_forms") == [f"{code}/day0/respiratory/1"]
    assert details(now, "open_queries") == {
        f"{code}/day0/respiratory/1 pao2": f"query {query['id']}: open"}
    # an answered query is still outstanding until the data manager closes it
    coord.ok("POST", f"/api/v1/queries/{query['id']}/answer", {"text": "Checked: as in source"})
    assert details(checklist(dm, **scope), "open_queries") == {
        f"{code}/day0/respiratory/1 pao2": f"query {query['id']}: answered"}
    dm.ok("POST", f"/api/v1/queries/{query['id']}/close", {"text": "ok"})
    ct.api(INV).ok("POST", form_path(code) + "/sign", {"password": PASSWORD})
    after = checklist(dm, **scope)
    assert items(after, "open_queries") == [] and items(after, "unsigned_forms") == []
    # the form scope: that form's queries and signature only
    form_scope = checklist(dm, scope="form", participant=code, visit="day0", form="respiratory")
    assert form_scope["target"] == f"{code}/day0/respiratory/1"
    assert items(form_scope, "missing_forms") == [] and items(form_scope, "incomplete_forms") == []


def test_safety_checks_list_unresolved_saes_and_uncoded_terms(ct):
    code, other = ct.randomize(), ct.randomize()
    sae = _sae(ct, code)
    mild = ct.api(INV).ok("POST", EVENTS, {"participant": code, "term": "Head ache",
                                           "onset_date": _today(), "grade": 1,
                                           "relatedness": "not_related"})
    dm = ct.api(DM)
    snapshot = checklist(dm, scope="participant", participant=code)
    assert details(snapshot, "unresolved_saes") == {f"AE-{sae['id']} {code}": "follow_up"}
    assert details(snapshot, "uncoded_terms") == {f"AE-{sae['id']} {code}": "Pneumonia",
                                                  f"AE-{mild['id']} {code}": "Head ache"}
    # another participant's scope does not see them; the database's does
    assert items(checklist(dm, scope="participant", participant=other), "uncoded_terms") == []
    assert len(items(checklist(dm, scope="database"), "uncoded_terms")) == 2
    dm.ok("POST", f"{EVENTS}/{mild['id']}/code",
          {"llt_code": "10019211", "llt_name": "Headache", "pt_code": "10019211",
           "pt_name": "Headache", "soc_code": "10029205", "soc_name": "Nervous system disorders"})
    ct.api(INV).ok("POST", f"{EVENTS}/{sae['id']}/follow-ups",
                   {"text": "Discharged home", "outcome": "recovered", "resolved": True,
                    "end_date": _today()})
    snapshot = checklist(dm, scope="participant", participant=code)
    assert items(snapshot, "unresolved_saes") == []
    assert items(snapshot, "uncoded_terms") == [f"AE-{sae['id']} {code}"]


def test_a_lock_is_refused_with_the_list_and_nothing_changes(ct):
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    _sae(ct, code)
    dm = ct.api(DM)
    expected = checklist(dm, scope="participant", participant=code)
    forms = list(FormInstance.objects.values())
    audit = AuditRecord.objects.count()
    for body in ({"scope": "participant", "participant": code}, {"scope": "database"}):
        refused = dm.post("/api/v1/locks", body)
        assert refused.status_code == 409
        answer = refused.json()
        assert answer["error"] == "checklist_outstanding"
        assert "unresolved_saes" not in answer["detail"]  # the labels, for a person
        assert "Unsigned forms (1)" in answer["detail"]
        codes = {c["code"]: c["count"] for c in answer["checklist"]["checks"]}
        assert codes["unsigned_forms"] == 1 and codes["unresolved_saes"] == 1
    assert answer["checklist"]["outstanding"] >= expected["outstanding"]
    assert not Lock.objects.exists() and not LockOverride.objects.exists()
    assert list(FormInstance.objects.values()) == forms
    assert AuditRecord.objects.count() == audit


def test_only_who_locks_or_confirms_reads_the_checklist(ct):
    code = ct.randomize()
    for username in (COORD, INV, "monitor", "analyst", "pharmacist-co-01", "admin"):
        assert ct.api(username).get("/api/v1/locks/checklist", scope="database").status_code \
            in (403, 404), username
    assert ct.api("principal_investigator").get(
        "/api/v1/locks/checklist", scope="participant", participant=code).status_code == 200
    # a participant the caller may not see, or none: not found alike
    assert ct.api(DM).get("/api/v1/locks/checklist", scope="participant",
                          participant="CO-09-9999").status_code == 404


@pytest.mark.usefixtures("capture_and_safety_checks")
def test_a_clean_participant_locks_with_its_empty_checklist_kept_and_audited(ct):
    code = ct.randomize()
    dm = ct.api(DM)
    # the expected visits recorded as not done: nothing is expected of them any more
    for visit in sorted({s.split("/")[1] for s in items(
            checklist(dm, scope="participant", participant=code), "missing_forms")}):
        ct.api(COORD).ok("POST", f"/api/v1/participants/{code}/visits/{visit}/not-done",
                         {"reason": "The patient was transferred before the visit"})
    assert checklist(dm, scope="participant", participant=code)["outstanding"] == 0
    locked = dm.post("/api/v1/locks", {"scope": "participant", "participant": code,
                                       "reason": "reviewed"})
    assert locked.status_code == 201, locked.content
    lock = Lock.objects.get()
    assert lock.checklist["outstanding"] == 0
    assert {c["code"] for c in lock.checklist["checks"]} == {
        "open_queries", "missing_forms", "incomplete_forms", "unsigned_forms",
        "unresolved_saes", "uncoded_terms"}
    record = AuditRecord.objects.filter(action="lock").get()
    assert record.actor == DM and record.object_id == code and record.reason == "reviewed"
    assert record.changes["checklist"]["new"] == lock.checklist


@pytest.mark.parametrize("scope", ["participant", "database"])
def test_the_checklist_does_not_depend_on_the_arm(ct, scope):
    """Two participants of the same site in different arms, with the same data: the same items
    (their codes aside), in the same order of checks; the answers name no arm."""
    from trialdesk.blinding import arm_revealing_texts, find_leaks
    from trialdesk.web.core.protocol import get_protocol
    from trialdesk.web.trials.models import Randomization

    by_arm: dict[str, str] = {}
    while len(by_arm) < 2:
        code = ct.randomize()
        arm = Randomization.objects.get(participant__code=code).slot.arm
        by_arm.setdefault(arm, code)
    dm = ct.api(DM)
    shapes = []
    for code in by_arm.values():
        ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
        _sae(ct, code)
        snapshot = checklist(dm, scope="participant", participant=code)
        # source data verification samples records by their identity under a secret seed (its
        # independence of the arm is tested by monitoring: test_monitoring_blinding), so two
        # participants' samples differ whatever their arms
        shapes.append([(c["code"], c["count"],
                        [i["subject"].replace(code, "P") for i in c["items"]])
                       for c in snapshot["checks"] if c["code"] != "unverified_sdv"])
    # the checks' codes and counts alike; capture's items (which name forms) alike in full
    # (adverse events are numbered in the order they were reported)
    assert [(c, n) for c, n, _ in shapes[0]] == [(c, n) for c, n, _ in shapes[1]]
    capture = ("open_queries", "missing_forms", "incomplete_forms", "unsigned_forms")
    assert [s for c, _, s in shapes[0] if c in capture] == [
        s for c, _, s in shapes[1] if c in capture]
    body = dm.get("/api/v1/locks/checklist", scope=scope,
                  **({"participant": next(iter(by_arm.values()))} if scope == "participant"
                     else {})).content.decode()
    assert find_leaks(body, arm_revealing_texts(get_protocol())) == []
