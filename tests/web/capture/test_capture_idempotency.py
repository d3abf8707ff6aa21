"""Issue 12: the data-capture API's creates take an idempotency key (``core.idempotency``): an
adverse event reported as the log form's next entry and a query raised on a field, each retried,
answer the first answer and add no entry, query or audit record."""

from __future__ import annotations

import datetime as dt

from capture_testkit import RESPIRATORY_OK, form_path
from idempotency import assert_idempotent

from trialdesk.web.capture.models import FormInstance, Query

INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"


def _event(term: str = "Infusion-site rash") -> dict:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return {"values": {"ae_term": term, "ae_onset_date": today, "ae_grade": "2",
                       "ae_serious": "no", "ae_relatedness": "possible",
                       "ae_outcome": "recovering"}}


def test_a_retried_adverse_event_report_is_the_first_log_entry(ct):
    code = ct.randomize()
    answer = assert_idempotent(ct.api(INVESTIGATOR), f"/api/v1/participants/{code}/adverse-events",
                               _event(), counted=(FormInstance, Query),
                               other_body=_event("Headache"))
    assert answer["seq"] == 1
    assert FormInstance.objects.filter(form="adverse_event").count() == 1


def test_a_retried_query_is_raised_once(ct):
    code = ct.randomize()
    entered = ct.api(COORDINATOR).put(form_path(code), {"values": RESPIRATORY_OK,
                                                         "complete": True})
    assert entered.status_code == 201, entered.content
    query = {"field": "pao2", "text": "Please check against the blood gas"}
    answer = assert_idempotent(ct.api("data_manager"), form_path(code) + "/queries", query,
                               counted=(Query,), other_body={**query, "field": "fio2"})
    assert Query.objects.get().pk == answer["id"]


def test_a_retried_visit_not_done_and_discontinuation_are_recorded_once(ct):
    from trialdesk.web.capture.models import Discontinuation, VisitNotDone

    code = ct.randomize()
    coordinator = ct.api(COORDINATOR)
    reason = {"reason": "the patient was transferred for the day"}
    assert_idempotent(coordinator, f"/api/v1/participants/{code}/visits/day3/not-done", reason,
                      counted=(VisitNotDone,), key="not-done-key-1",
                      other_body={"reason": "another reason"})
    ended = {"kind": "withdrew", "date": dt.datetime.now(dt.UTC).date().isoformat(),
             "reason": "moved away"}
    assert_idempotent(coordinator, f"/api/v1/participants/{code}/discontinue", ended,
                      counted=(Discontinuation,), key="discontinue-1",
                      other_body={**ended, "kind": "died"})
