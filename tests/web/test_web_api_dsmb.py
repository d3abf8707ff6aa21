"""DSMB recommendations through the API: recorded by the DSMB statistician, the decision read by
the administrator too, the rationale (which may name an arm) by the DSMB only."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from api_client import ApiClient
from role_checks import arm_leaks, refused_to_all
from trial_factory import create_user, protocol_in_use

from trialdesk.protocol import default_protocol_path
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.api_dsmb import RecommendationIn
from trialdesk.web.trials.models import DsmbRecommendation
from trialdesk.web.worker.runner import run_ready

PATH = "/api/v1/dsmb/recommendations"


def _arm_label() -> str:
    return get_protocol().design.arms[0].label.text("en")


def _recommendation(**change):
    # the rationale names an arm, as a real one may: only the DSMB may read it
    return {"meeting_date": "2026-03-02", "decision": "continue_with_modifications",
            "rationale": f"Infusion reactions were more frequent with {_arm_label()}; "
                         "add premedication and monitor for 2 hours.", **change}


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def dsmb(trial):
    return trial.api("dsmb_statistician")


def test_the_dsmb_statistician_records_a_recommendation(dsmb, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    before = _last_seq()
    with django_capture_on_commit_callbacks(execute=True):
        response = dsmb.post(PATH, _recommendation())
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("meeting_date", "decision", "decision_label", "recorded_by",
                                 "rationale")} == {
        "meeting_date": "2026-03-02", "decision": "continue_with_modifications",
        "decision_label": "Continue with modifications", "recorded_by": "dsmb_statistician",
        "rationale": _recommendation()["rationale"]}
    stored = DsmbRecommendation.objects.get()
    assert (stored.meeting_date, stored.decision) == (dt.date(2026, 3, 2),
                                                      "continue_with_modifications")
    [record] = AuditRecord.objects.filter(seq__gt=before)
    assert (record.actor, record.action, record.model, record.object_id) == (
        "dsmb_statistician", "record_recommendation", "dsmb_recommendation", str(stored.pk))
    assert record.changes == {"decision": {"old": None, "new": "continue_with_modifications"},
                              "meeting_date": {"old": None, "new": "2026-03-02"}}
    # the audit trail is read by blinded roles: the rationale is not in it
    assert _arm_label() not in str(record.changes) + record.reason
    assert run_ready() == 2  # sent by tasks (issue 20), one e-mail per address
    for mail in mailoutbox:
        assert "Continue with modifications" in mail.subject
        assert _arm_label() not in mail.subject + mail.body
    assert sorted(a for m in mailoutbox for a in m.to) == ["dsmb@localhost", "sponsor@localhost"]


def test_the_dsmb_reads_the_rationale_and_the_administrator_the_decision_only(trial, dsmb):
    dsmb.post(PATH, _recommendation())
    dsmb.post(PATH, _recommendation(meeting_date="2026-04-06", decision="continue",
                                    rationale="No new safety signal; continue as planned."))
    listed = dsmb.get(PATH).json()
    assert [r["meeting_date"] for r in listed] == ["2026-04-06", "2026-03-02"]
    assert listed[1]["rationale"] == _recommendation()["rationale"]
    admin = trial.api("admin")
    response = admin.get(PATH)
    assert response.status_code == 200
    assert [(r["meeting_date"], r["decision"]) for r in response.json()] == [
        ("2026-04-06", "continue"), ("2026-03-02", "continue_with_modifications")]
    assert all("rationale" not in r for r in response.json())
    assert arm_leaks(trial.users["admin"], response) == []
    assert arm_leaks(trial.users["admin"], admin.get("/api/v1/audit")) == []
    assert "add premedication" not in admin.get("/api/v1/audit").content.decode()


def test_a_role_holding_unblinded_reports_reads_the_rationale(trial, dsmb, settings, tmp_path):
    """The rationale goes with recommend or unblinded_reports, not with the role's name."""
    text = default_protocol_path().read_text(encoding="utf-8")
    old = 'permissions = ["unblinded_reports", "recommend", "read", "read_unblinding_events"]'
    assert old in text
    text = text.replace(old, old + '\n[[roles]]\ncode = "sponsor_safety"\n'
                        'name = { en = "Sponsor safety physician", es = "Médico de seguridad" }\n'
                        'site_scoped = false\nsees_arm = "all"\n'
                        'permissions = ["unblinded_reports"]', 1)
    path = tmp_path / "with-safety-physician.toml"
    path.write_text(text, encoding="utf-8")
    dsmb.post(PATH, _recommendation())
    with protocol_in_use(settings, path):
        client = ApiClient(create_user("safety", "sponsor_safety", None))
        [row] = client.get(PATH).json()
        assert row["rationale"] == _recommendation()["rationale"]
        assert client.post(PATH, _recommendation()).status_code == 403


def test_the_decisions_are_the_closed_list():
    literal = typing.get_args(RecommendationIn.model_fields["decision"].annotation)
    assert set(literal) == {code for code, _ in DsmbRecommendation.DECISIONS} == {
        "continue", "continue_with_modifications", "pause_enrollment", "stop_for_safety",
        "stop_for_efficacy", "stop_for_futility"}


@pytest.mark.parametrize(("change", "field"), [
    ({"decision": "stop"}, "decision"),
    ({"decision": None}, "decision"),
    ({"rationale": "too short"}, "rationale"),
    ({"rationale": "   short   "}, "rationale"),   # 11 characters, 5 once trimmed
    ({"meeting_date": "2026-02-30"}, "meeting_date"),
    ({"meeting_date": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()},
     "meeting_date"),
    ({"arm": "msc"}, "arm"),
])
def test_a_bad_recommendation_is_refused_naming_the_field(dsmb, change, field):
    before = _last_seq()
    response = dsmb.post(PATH, _recommendation(**change))
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    assert _last_seq() == before and not DsmbRecommendation.objects.exists()


def test_a_recommendation_without_a_rationale_is_refused(dsmb):
    body = {k: v for k, v in _recommendation().items() if k != "rationale"}
    response = dsmb.post(PATH, body)
    assert response.status_code == 422
    assert _fields(response) == {"rationale": "is required"}


def test_every_other_role_may_not_record(trial):
    assert refused_to_all(trial.users, ("recommend",), "POST", PATH, _recommendation()) == []
    assert not DsmbRecommendation.objects.exists()


def test_roles_without_recommend_unblinded_reports_or_read_audit_may_not_read(trial, dsmb):
    dsmb.post(PATH, _recommendation())
    permissions = ("recommend", "unblinded_reports", "read_audit")
    assert refused_to_all(trial.users, permissions, "GET", PATH) == []


def test_no_blinded_role_that_reads_the_list_sees_an_arm(trial, dsmb):
    dsmb.post(PATH, _recommendation())
    for name, user in trial.users.items():
        response = ApiClient(user).get(PATH)
        assert arm_leaks(user, response) == [], name
