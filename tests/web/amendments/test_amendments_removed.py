"""What an amendment removes stays readable (issue 17): a field removed from the vital signs is
shown and kept on the forms captured before, with their definition; a form a visit no longer
lists is still read where it was entered, while new forms follow the amendment."""

from __future__ import annotations

import datetime as dt

from amendment_kit import AMENDMENTS, amend, base_text
from enrollment import randomize
from login import signed_in_client

TODAY = dt.datetime.now(dt.UTC).date().isoformat()
VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.0}
SPO2_FIELD = ('[[forms.fields]]\ncode = "spo2"\nlabel = { en = "SpO2", es = "SpO2" }\n'
              'type = "integer"\nunit = "%"\nrange = { min = 40, max = 100 }\n'
              'soft_range = { min = 80, max = 100 }\n')
DAY3_FORMS = ('code = "day3"\ntitle = { en = "Day 3", es = "Día 3" }\nday = 3\n'
              'window_before = 1\nwindow_after = 1\n'
              'forms = ["vital_signs", "respiratory", "sofa", "laboratory", "cytokines"]')


def removed_text() -> str:
    """The bundled protocol without the SpO2 field, and without the cytokines at day 3."""
    text = base_text()
    for old, new in ((SPO2_FIELD, ""), (DAY3_FORMS, DAY3_FORMS.replace(', "cytokines"', ""))):
        assert text.count(old) == 1, f"the bundled protocol changed: {old!r}"
        text = text.replace(old, new)
    return text


def path(code: str, visit: str, form: str) -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


def test_removed_fields_and_forms_stay_readable_and_new_forms_follow_the_amendment(trial):
    site = trial.api("investigator-co-01")
    code, _ = randomize(site, days_ago=4)
    assert site.put(path(code, "day0", "vital_signs"),
                    {"values": {**VITALS, "spo2": 95}, "complete": True}).status_code == 201
    assert site.put(path(code, "day3", "cytokines"), {"values": {"il6": 40}}).status_code == 201
    admin = trial.api("admin")
    response = amend(admin, removed_text(), effective_date=TODAY, reason="SpO2 not collected")
    assert response.status_code == 201, response.content
    categories = {(c["category"], c["path"]) for c in response.json()["changes"]}
    assert ("field_removed", "forms.vital_signs.fields.spo2") in categories
    assert admin.post(f"{AMENDMENTS}/2/approvals",
                      {"site": "CO-01", "approval_date": TODAY}).status_code == 201

    old = site.get(path(code, "day0", "vital_signs")).json()
    assert (old["protocol_version"], old["values"]["spo2"]) == (1, 95)
    page = signed_in_client(trial.users["investigator-co-01"], "en").get(
        f"/capture/participants/{code}/day0/vital_signs/").content.decode()
    assert "SpO2" in page and 'value="95"' in page
    kept = site.put(path(code, "day0", "vital_signs"), {
        "values": {**VITALS, "spo2": 96}, "complete": True, "reason": "monitor's correction"})
    assert kept.status_code == 200, kept.content
    assert site.get(path(code, "day3", "cytokines")).json()["values"] == {"il6": 40}

    fresh = site.put(path(code, "day7", "vital_signs"),
                     {"values": {**VITALS, "spo2": 95}, "complete": True})
    assert fresh.status_code == 422
    assert "spo2" in {f["field"] for f in fresh.json()["fields"]}
    other, _ = randomize(site, days_ago=4)
    assert site.get(path(other, "day3", "cytokines")).status_code == 404
