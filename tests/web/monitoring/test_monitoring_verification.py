"""Issue 16, source data verification: a monitor verifies per record and per field at a visit;
a change to a verified value reopens it, whatever wrote it; only the monitor verifies; each
verification is audited; the lock checklist names what is not verified."""

from __future__ import annotations

from monitoring_kit import (
    MONITOR,
    form_path,
    form_ref,
    participant_with_forms,
    plan_visit,
    record_path,
)

from trialdesk.web.core.lock_checklist import (
    DATABASE,
    FORM,
    PARTICIPANT,
    LockScope,
    lock_checklist,
    lock_checks,
)
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.monitoring.models import Verification


def _verify(trial, ref, visit, source="form", user=MONITOR, **body):
    return trial.api(user).post(f"{record_path(source, ref)}/verification",
                                {"visit": visit, "status": "verified", **body})


def _fields(trial, source, ref):
    answer = trial.api(MONITOR).get(record_path(source, ref))
    assert answer.status_code == 200, answer.content
    record = answer.json()
    return record["state"], {f["field"]: f["state"] for f in record["fields"]}


def test_verified_then_changed_through_the_api_reopens_only_the_changed_field(trial):
    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    response = _verify(trial, ref, visit)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "verified"
    assert _fields(trial, "form", ref)[0] == "verified"
    changed = trial.api("investigator-co-01").put(form_path(code), {
        "values": {"pao2": 75, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"},
        "reason": "transcription error"})
    assert changed.status_code == 200, changed.content
    state, fields = _fields(trial, "form", ref)
    assert state == "changed"
    assert fields == {"pao2": "changed", "fio2": "verified", "peep": "verified",
                      "ventilation_mode": "verified"}
    # verifying the changed field again closes it
    assert _verify(trial, ref, visit, fields=["pao2"]).status_code == 201
    assert _fields(trial, "form", ref)[0] == "verified"


def test_a_change_by_any_write_path_reopens_it(trial):
    """The check is made when read, so a write that bypasses every hook is still seen."""
    from trialdesk.web.capture.models import FormInstance

    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    assert _verify(trial, ref, visit).status_code == 201
    instance = FormInstance.objects.get(pk=ref)
    FormInstance.objects.filter(pk=ref).update(values={**instance.values, "peep": 12})
    assert _fields(trial, "form", ref)[1]["peep"] == "changed"


def test_per_field_verification_and_needs_correction_with_a_comment(trial):
    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    assert _verify(trial, ref, visit, fields=["pao2"]).status_code == 201
    state, fields = _fields(trial, "form", ref)
    assert state == "partly_verified" and fields["pao2"] == "verified"
    assert fields["fio2"] == "not_verified"
    refused = _verify(trial, ref, visit, fields=["fio2"], status="needs_correction")
    assert refused.status_code == 422  # a correction needs a comment
    assert not Verification.objects.filter(field="fio2").exists()
    marked = _verify(trial, ref, visit, fields=["fio2"], status="needs_correction",
                     comment="Source says FiO2 0.45")
    assert marked.status_code == 201
    assert _fields(trial, "form", ref)[0] == "needs_correction"
    # the site sees it as a data query on the field, with the monitor's comment
    queries = trial.api("investigator-co-01").get(
        "/api/v1/queries", status="open").json()
    [query] = [q for q in queries if q["field"] == "fio2"]
    assert query["text"] == "Source data verification: Source says FiO2 0.45"
    trial.api("investigator-co-01").put(form_path(code), {
        "values": {"pao2": 80, "fio2": 0.45, "peep": 10, "ventilation_mode": "imv"},
        "reason": "corrected from the source"})
    assert _fields(trial, "form", ref)[1]["fio2"] == "changed"  # to be verified again


def test_consent_and_bad_requests(trial):
    code = participant_with_forms(trial)
    visit = plan_visit(trial)
    assert _verify(trial, code, visit, source="consent").status_code == 201
    assert _fields(trial, "consent", code)[0] == "verified"
    before = Verification.objects.count()
    assert _verify(trial, code, visit, source="consent",
                   fields=["no_such_field"]).status_code == 422
    assert _verify(trial, "NOPE-0001", visit, source="consent").status_code == 404
    assert _verify(trial, "1", visit, source="nothing").status_code == 404
    other_site = plan_visit(trial, "CO-02")
    assert _verify(trial, code, other_site, source="consent").status_code == 422
    assert Verification.objects.count() == before


def test_only_the_monitor_verifies(trial):
    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    for user in ("investigator-co-01", "coordinator-co-01", "data_manager", "analyst",
                 "dsmb_statistician", "admin"):
        response = _verify(trial, ref, visit, user=user)
        assert response.status_code in (403, 404), (user, response.status_code)
    for user in ("investigator-co-01", "admin"):
        created = trial.api(user).post("/api/v1/monitoring/visits", {
            "site": "CO-01", "kind": "remote", "planned_date": "2026-12-03"})
        assert created.status_code in (403, 404), user
    assert not Verification.objects.exists()
    # the data manager reads the plan (the lock needs it); the investigator does not
    assert trial.api("data_manager").get("/api/v1/monitoring/plan").status_code == 200
    assert trial.api("investigator-co-01").get("/api/v1/monitoring/plan").status_code == 403


def test_a_verification_is_audited_with_states_and_the_comment_never_the_values(trial):
    code = participant_with_forms(trial)
    visit, ref = plan_visit(trial), form_ref(code)
    _verify(trial, ref, visit, fields=["pao2"], status="needs_correction",
            comment="The chart says 78 mmHg")
    record = AuditRecord.objects.filter(action="verify_source_data").get()
    # then the query the correction raised for the site, in the same transaction
    assert list(AuditRecord.objects.filter(seq__gt=record.seq).values_list(
        "action", flat=True)) == ["raise_query"]
    assert record.actor == MONITOR
    assert record.object_id == f"{code}/day0/respiratory/1"
    assert record.changes == {"pao2": {"old": "not_verified", "new": "needs_correction"},
                              "visit": {"old": None, "new": visit}}
    assert record.reason == "The chart says 78 mmHg"
    planned = AuditRecord.objects.get(action="plan_monitoring_visit")
    assert planned.changes["site"] == {"old": None, "new": "CO-01"}


def test_the_lock_check_names_unverified_planned_records_by_scope(trial):
    from trialdesk.web.capture.models import FormInstance
    from trialdesk.web.trials.models import Participant

    assert "unverified_sdv" in {check.code for check in lock_checks()}
    code = participant_with_forms(trial)
    participant = Participant.objects.get(code=code)
    visit = plan_visit(trial)
    subjects = {i.subject for i in lock_checklist(LockScope(PARTICIPANT, participant))[
        "unverified_sdv"]}
    # consent and eligibility are always planned; the sampled forms depend on the draw
    assert {f"{code} consent", f"{code} screening"} <= subjects
    everything = {i.subject for i in lock_checklist(LockScope(DATABASE))["unverified_sdv"]}
    assert subjects <= everything
    assert _verify(trial, code, visit, source="consent").status_code == 201
    after = {i.subject for i in lock_checklist(LockScope(PARTICIPANT, participant))[
        "unverified_sdv"]}
    assert after == subjects - {f"{code} consent"}
    # a form scope: the form's own record only, when it is in the plan
    for instance in FormInstance.objects.filter(participant=participant):
        found = lock_checklist(LockScope(FORM, participant, instance))["unverified_sdv"]
        assert {i.subject for i in found} <= subjects
        assert all(i.check == "unverified_sdv" for i in found)


def test_a_death_is_verified_in_full_and_its_record_is_verifiable(trial):
    import datetime as dt

    code = participant_with_forms(trial)
    answer = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/discontinue", {
        "kind": "died", "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "reason": "Refractory hypoxaemia"})
    assert answer.status_code == 201, answer.content
    plan = trial.api(MONITOR).get("/api/v1/monitoring/plan", participant=code).json()["items"]
    reasons = {item["key"]: item["reason"] for item in plan}
    assert reasons[f"{code}/discontinuation"] == "death"
    visit = plan_visit(trial)
    assert _verify(trial, code, visit, source="discontinuation").status_code == 201
    assert _fields(trial, "discontinuation", code)[0] == "verified"


def test_a_site_raising_many_queries_gets_the_risk_share_and_keeps_its_sample(trial):
    """The default protocol: 20% of other forms, 50% at a site with >= 10 forms and >= 0.5
    queries per form. Which forms are in follows from each form's draw alone."""
    from trialdesk.monitoring.sdv_plan import draw, full_reason
    from trialdesk.web.core.protocol import get_protocol
    from trialdesk.web.monitoring.plan_seed import plan_seed
    from trialdesk.web.monitoring.records import records

    plan = get_protocol().monitoring
    codes = [participant_with_forms(trial, "co-02") for _ in range(5)]

    def expected(share: float) -> set[str]:
        found = [r.item for r in records(site_code="CO-02")]
        return {item.key for item in found if full_reason(plan, item) is not None
                or draw(plan_seed(), item.key) < share}

    def shown() -> tuple[float, set[str]]:
        monitor = trial.api(MONITOR)
        [site] = [s for s in monitor.get("/api/v1/monitoring/progress").json()["sites"]
                  if s["site"] == "CO-02"]
        items = monitor.get("/api/v1/monitoring/plan", site="CO-02").json()["items"]
        return site["share"], {item["key"] for item in items}

    share, before = shown()
    assert share == 0.2 and before == expected(0.2)
    manager = trial.api("data_manager")
    for code in codes:
        raised = manager.post(form_path(code) + "/queries",
                              {"field": "pao2", "text": "Please check the PaO2 on the chart"})
        assert raised.status_code == 201, raised.content
    share, after = shown()
    assert share == 0.5 and after == expected(0.5)
    assert before <= after


def test_a_serious_event_of_the_safety_database_is_verified_in_full(trial):
    from django.utils import timezone

    from trialdesk.web.safety.models import AdverseEvent
    from trialdesk.web.trials.models import Participant

    code = participant_with_forms(trial)
    participant = Participant.objects.get(code=code)
    user, now = trial.users["investigator-co-01"], timezone.now()
    event = AdverseEvent.objects.create(
        participant=participant, site=participant.site, term="Pneumothorax", grade=3,
        onset_date=now.date(), hospitalization=True, relatedness="unlikely",
        investigator_aware_at=now, created_at=now, created_by=user, updated_at=now,
        updated_by=user)
    plan = trial.api(MONITOR).get("/api/v1/monitoring/plan", participant=code).json()["items"]
    reasons = {item["key"]: (item["reason"], item["full"]) for item in plan}
    assert reasons[f"{code}/adverse_event/{event.pk}"] == ("serious_adverse_event", True)
    visit = plan_visit(trial)
    assert _verify(trial, str(event.pk), visit, source="adverse_event").status_code == 201
    AdverseEvent.objects.filter(pk=event.pk).update(grade=4)
    state, fields = _fields(trial, "adverse_event", str(event.pk))
    assert state == "changed" and fields["grade"] == "changed"
    assert fields["term"] == "verified"
