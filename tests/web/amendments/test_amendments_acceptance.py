"""Issue 17's amendment acceptance test, end to end through the API and the pages.

An amendment adds a required field to the vital signs, narrows the PaO2 range (max 700 -> 600
mmHg), adds a day-21 visit and adds consent version 2.0. Site CO-01 approves it, CO-02 not yet:
forms saved before keep their definition and validity, new forms at CO-01 follow the amendment,
CO-02 keeps the old version, and re-consent tasks appear at CO-01 only and clear on re-consent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from amendment_kit import AMENDMENTS, NEW_CONSENT, NEW_FIELD, NEW_VISIT, amend, amended_text
from enrollment import randomize
from login import login_page_client

TODAY = dt.datetime.now(dt.UTC).date().isoformat()
RESPIRATORY_650 = {"pao2": 650, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.0}


def form_path(code: str, visit: str, form: str) -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


def save(client: Any, code: str, visit: str, form: str, values: dict[str, Any], **extra: Any
         ) -> Any:
    return client.put(form_path(code, visit, form), {"values": values, "complete": True, **extra})


def rejected_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {f["field"]: f["rule"] for f in response.json()["fields"]}


def schedule_visits(client: Any, code: str) -> list[str]:
    response = client.get(f"/api/v1/participants/{code}/schedule")
    assert response.status_code == 200, response.content
    return [visit["visit"] for visit in response.json()["visits"]]


def reconsent_rows(client: Any) -> set[str]:
    """The participants of the dashboard's re-consent panel."""
    page = client.get("/").content.decode()
    marker = 'class="reconsent-task" data-participant="'
    return {chunk.split('"', 1)[0] for chunk in page.split(marker)[1:]}


def test_an_amendment_keeps_old_data_under_their_version_and_new_data_under_the_new(trial):
    site_a, site_b = trial.api("investigator-co-01"), trial.api("investigator-co-02")
    admin = trial.api("admin")
    a, _ = randomize(site_a, days_ago=8)
    b, _ = randomize(site_b, days_ago=8)
    # before the amendment: PaO2 650 is in range (a warning to confirm), no weight is asked
    assert save(site_a, a, "day0", "respiratory", RESPIRATORY_650,
                confirm=["pao2"]).status_code == 201
    assert save(site_a, a, "day0", "vital_signs", VITALS).status_code == 201

    response = amend(admin, amended_text(), effective_date=TODAY)
    assert response.status_code == 201, response.content
    version = response.json()
    assert version["number"] == 2
    categories = {c["category"] for c in version["changes"]}
    assert {"field_added", "range_changed", "visit_added", "consent_changed"} <= categories
    # recorded, not yet approved anywhere: every site still works under version 1
    assert not any(row["in_force"] for row in version["approvals"])
    assert save(site_a, a, "day3", "respiratory", RESPIRATORY_650,
                confirm=["pao2"]).status_code == 201
    assert NEW_VISIT not in schedule_visits(site_a, a)

    approval = admin.post(f"{AMENDMENTS}/2/approvals", {"site": "CO-01", "approval_date": TODAY})
    assert approval.status_code == 201, approval.content
    in_force = {row["site"]: row["in_force"] for row in approval.json()["approvals"]}
    assert in_force == {"CO-01": True, "CO-02": False, "CO-03": False}

    # old forms keep their definition and validity (read, re-validated, edited)
    old = site_a.get(form_path(a, "day0", "vital_signs")).json()
    assert old["protocol_version"] == 1 and old["status"] == "complete"
    assert NEW_FIELD not in old["values"]
    edited = save(site_a, a, "day0", "vital_signs", {**VITALS, "heart_rate": 91},
                  reason="transcription error")
    assert edited.status_code == 200, edited.content
    assert site_a.get(form_path(a, "day0", "respiratory")).json()["values"]["pao2"] == 650
    assert save(site_a, a, "day0", "respiratory", RESPIRATORY_650, confirm=["pao2"],
                reason="re-saved").status_code in (200, 201)
    # new forms at the approved site follow the amendment
    assert rejected_fields(save(site_a, a, "day7", "vital_signs", VITALS)) == {
        NEW_FIELD: "required"}
    saved = save(site_a, a, "day7", "vital_signs", {**VITALS, NEW_FIELD: 70.5})
    assert saved.status_code == 201, saved.content
    assert site_a.get(form_path(a, "day7", "vital_signs")).json()["protocol_version"] == 2
    assert "pao2" in rejected_fields(save(site_a, a, "day7", "respiratory", RESPIRATORY_650,
                                          confirm=["pao2"]))
    assert NEW_VISIT in schedule_visits(site_a, a)
    # the site not yet approved keeps the old version
    assert save(site_b, b, "day7", "respiratory", RESPIRATORY_650,
                confirm=["pao2"]).status_code == 201
    assert save(site_b, b, "day7", "vital_signs", VITALS).status_code == 201
    assert site_b.get(form_path(b, "day7", "vital_signs")).json()["protocol_version"] == 1
    assert NEW_VISIT not in schedule_visits(site_b, b)

    # re-consent: a task at the approved site only, cleared by a re-consent on the page
    tasks = reconsent_rows(login_page_client("data_manager"))
    assert a in tasks and b not in tasks
    page = login_page_client("investigator-co-01")
    consent_page = page.get(f"/participants/{a}/consent/").content.decode()
    assert 'id="reconsent-task"' in consent_page and NEW_CONSENT in consent_page
    posted = page.post(f"/participants/{a}/consent/reconsent/", {
        "consent_date": TODAY, "form_version": NEW_CONSENT, "signer": "participant",
        "signer_can_read": "on"})
    assert posted.status_code == 302
    assert a not in reconsent_rows(login_page_client("data_manager"))
    history = site_a.get(f"/api/v1/participants/{a}/consent/history").json()
    assert [e["form_version"] for e in history["events"] if e["kind"] == "reconsented"] == [
        NEW_CONSENT]
