"""The query life cycle: automatic and manual queries, answers with corrections, close, re-open."""

from __future__ import annotations

from capture_testkit import RESPIRATORY_OK, form_path, stored

from trialdesk.web.capture.models import Query
from trialdesk.web.core.auditchain import verify_chain
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"


def _entered(ct, values=RESPIRATORY_OK, **extra):
    code = ct.randomize()
    response = ct.api(COORD).put(form_path(code), {"values": values, **extra})
    assert response.status_code == 201, response.content
    return code


def test_manual_query_answer_with_correction_close_and_reopen(ct):
    code = _entered(ct, complete=True)
    dm = ct.api("data_manager")
    raised = dm.post(form_path(code) + "/queries", {"field": "pao2", "text": "Check the gas."})
    assert raised.status_code == 201, raised.content
    query_id = raised.json()["id"]
    assert raised.json()["status"] == "open"

    coord = ct.api(COORD)
    assert coord.post(f"/api/v1/queries/{query_id}/answer",
                      {"text": "Corrected", "correction": {"pao2": 75}}).status_code == 422
    answered = coord.post(f"/api/v1/queries/{query_id}/answer",
                          {"text": "Transcription error, corrected from the source.",
                           "correction": {"pao2": 75}, "reason": "transcription error"})
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "answered"
    assert stored(code)[0]["pao2"] == 75 and stored(code)[0]["pao2_fio2"] == 150
    change = AuditRecord.objects.filter(action="save_form").order_by("-seq").first()
    assert change.changes["pao2"] == {"old": 80, "new": 75}
    assert change.reason == "transcription error"

    assert coord.post(f"/api/v1/queries/{query_id}/close", {}).status_code == 403
    closed = dm.post(f"/api/v1/queries/{query_id}/close", {"text": "Thanks."})
    assert closed.json()["status"] == "closed"
    reopened = dm.post(f"/api/v1/queries/{query_id}/reopen", {"text": "Still not right."})
    assert reopened.json()["status"] == "open"
    thread = dm.get(f"/api/v1/queries/{query_id}").json()["messages"]
    assert [m["action"] for m in thread] == ["raised", "answered", "closed", "reopened"]
    assert [r.action for r in AuditRecord.objects.filter(model="query").order_by("seq")] == [
        "raise_query", "answer_query", "close_query", "reopen_query"]
    chain = verify_chain(AuditRecord.objects.order_by("seq").values())
    assert chain.ok, chain.problem


def test_reopen_needs_a_text_and_answer_needs_an_open_query(ct):
    code = _entered(ct)
    dm = ct.api("data_manager")
    query_id = dm.post(form_path(code) + "/queries", {"field": "fio2", "text": "?"}).json()["id"]
    dm.post(f"/api/v1/queries/{query_id}/close", {})
    assert dm.post(f"/api/v1/queries/{query_id}/reopen", {"text": " "}).status_code == 422
    response = ct.api(COORD).post(f"/api/v1/queries/{query_id}/answer", {"text": "fine"})
    assert response.status_code == 409
    assert response.json()["error"] == "query_not_open"


def test_automatic_query_closes_when_the_value_is_corrected(ct):
    code = _entered(ct, {**RESPIRATORY_OK, "pao2": 520}, confirm=["pao2"])
    query = Query.objects.get(participant__code=code)
    assert (query.kind, query.status, query.rule) == ("auto", "open", "soft_range")
    response = ct.api(COORD).post(f"/api/v1/queries/{query.pk}/answer",
                                  {"text": "Wrong digit.", "correction": {"pao2": 52},
                                   "reason": "typo"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["messages"][-1]["text"].startswith("closed automatically")


def test_confirmed_warning_raises_one_query_however_often_it_is_saved(ct):
    code = _entered(ct, {**RESPIRATORY_OK, "pao2": 520}, confirm=["pao2"])
    coord = ct.api(COORD)
    # the confirmation holds for the same value; a new out-of-range value needs a new one
    again = coord.put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520, "peep": 12},
                                        "complete": True})
    assert again.status_code == 200, again.content
    assert Query.objects.filter(participant__code=code).count() == 1
    other = coord.put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 530},
                                        "complete": True, "reason": "re-measured"})
    assert other.status_code == 422


def test_only_raising_roles_raise_queries_on_fields_of_the_form(ct):
    code = _entered(ct)
    assert ct.api(COORD).post(form_path(code) + "/queries",
                              {"field": "pao2", "text": "?"}).status_code == 403
    assert ct.api("monitor").post(form_path(code) + "/queries",
                                  {"field": "pao2", "text": "Source?"}).status_code == 201
    response = ct.api("data_manager").post(form_path(code) + "/queries",
                                           {"field": "heart_rate", "text": "?"})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "field"


def test_open_query_counts_per_site_and_participant(ct):
    first = _entered(ct)
    second = ct.randomize("co-02")
    ct.api("coordinator-co-02").put(form_path(second), {"values": RESPIRATORY_OK})
    dm = ct.api("data_manager")
    for code, field in ((first, "pao2"), (first, "fio2"), (second, "peep")):
        dm.post(form_path(code) + "/queries", {"field": field, "text": "?"})
    counts = dm.get("/api/v1/queries/open-counts").json()
    assert counts["sites"] == {"CO-01": 2, "CO-02": 1}
    assert counts["participants"] == {first: 2, second: 1}
    site_view = ct.api(COORD).get("/api/v1/queries/open-counts").json()
    assert site_view["sites"] == {"CO-01": 2}
    assert [q["participant"] for q in ct.api(COORD).get("/api/v1/queries").json()] == [first] * 2


def test_other_sites_and_the_pharmacist_cannot_reach_a_query(ct):
    code = _entered(ct)
    query_id = ct.api("data_manager").post(
        form_path(code) + "/queries", {"field": "pao2", "text": "?"}).json()["id"]
    for username in ("coordinator-co-02", "pharmacist-co-01"):
        assert ct.api(username).get(f"/api/v1/queries/{query_id}").status_code == 404
        assert ct.api(username).post(f"/api/v1/queries/{query_id}/answer",
                                     {"text": "x"}).status_code == 404
