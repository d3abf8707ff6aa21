"""Source data verification after an amendment (issue 17): a form captured under the amended
protocol is verified on its fields of that version, the field the amendment added included; one
captured before keeps the fields it had."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from enrollment import randomize
from monitoring_kit import MONITOR, VITALS_OK, form_path, form_ref, plan_visit, record_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "amendments"))
from amendment_kit import AMENDMENTS, NEW_FIELD, amend, amended_text


def _fields(trial, ref: str) -> dict[str, str]:
    answer = trial.api(MONITOR).get(record_path("form", ref))
    assert answer.status_code == 200, answer.content
    return {f["field"]: f["state"] for f in answer.json()["fields"]}


def test_a_field_an_amendment_adds_is_verified_on_the_forms_that_have_it(trial):
    site, admin = trial.api("investigator-co-01"), trial.api("admin")
    code, _ = randomize(site, days_ago=8)
    assert site.put(form_path(code, "day0", "vital_signs"),
                    {"values": VITALS_OK, "complete": True}).status_code == 201
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert amend(admin, amended_text(), effective_date=today).status_code == 201
    assert admin.post(f"{AMENDMENTS}/2/approvals",
                      {"site": "CO-01", "approval_date": today}).status_code == 201
    saved = site.put(form_path(code, "day7", "vital_signs"),
                     {"values": {**VITALS_OK, NEW_FIELD: 70.5}, "complete": True})
    assert saved.status_code == 201, saved.content

    before, after = form_ref(code, "day0", "vital_signs"), form_ref(code, "day7", "vital_signs")
    assert NEW_FIELD not in _fields(trial, before)
    assert NEW_FIELD in _fields(trial, after)
    verified = trial.api(MONITOR).post(f"{record_path('form', after)}/verification",
                                       {"visit": plan_visit(trial), "status": "verified"})
    assert verified.status_code == 201, verified.content
    assert _fields(trial, after)[NEW_FIELD] == "verified"
