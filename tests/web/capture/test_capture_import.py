"""Bulk import of form data (CSV and JSON): row-level errors, and all or nothing."""

from __future__ import annotations

from capture_testkit import stored

from trialdesk.web.capture.models import FormInstance

COORD = "coordinator-co-01"
VITALS = {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.0}


def _import(ct, fmt, data, all_or_nothing=False, user=COORD):
    return ct.api(user).post("/api/v1/form-data/import", {
        "format": fmt, "data": data, "all_or_nothing": all_or_nothing})


def test_json_rows_are_saved_and_bad_rows_reported_by_number(ct):
    code = ct.randomize()
    rows = [
        {"participant": code, "visit": "day0", "form": "vital_signs", **VITALS},
        {"participant": code, "visit": "day1", "form": "vital_signs", **VITALS,
         "heart_rate": "fast"},
        {"participant": "CO-01-9999", "visit": "day0", "form": "respiratory"},
        {"participant": code, "visit": "day3", "form": "vital_signs", **VITALS,
         "complete": True, "temperature": None},
    ]
    body = _import(ct, "json", rows).json()
    assert (body["rows"], body["saved"], body["rolled_back"]) == (4, 1, False)
    assert [(e["row"], e["field"], e["rule"]) for e in body["errors"]] == [
        (2, "heart_rate", "type"), (3, "participant", "not_found"), (4, "temperature", "required")]
    assert stored(code, "day0", "vital_signs")[0]["heart_rate"] == 80


def test_all_or_nothing_saves_no_row_when_one_fails(ct):
    code = ct.randomize()
    csv_text = ("participant,visit,form,heart_rate,systolic_bp,diastolic_bp,temperature\n"
                f"{code},day0,vital_signs,80,120,70,37.0\n"
                f"{code},day1,vital_signs,80,120,70,99\n")
    body = _import(ct, "csv", csv_text, all_or_nothing=True).json()
    assert body["rolled_back"] and body["saved"] == 0
    assert [(e["row"], e["field"], e["rule"]) for e in body["errors"]] == [
        (2, "temperature", "hard_range")]
    assert not FormInstance.objects.exists()
    fixed = csv_text.replace(",99\n", ",37.5\n")
    body = _import(ct, "csv", fixed, all_or_nothing=True).json()
    assert (body["saved"], body["errors"]) == (2, [])
    assert stored(code, "day1", "vital_signs")[0]["temperature"] == 37.5


def test_import_checks_site_access_like_the_pages(ct):
    code = ct.randomize("co-02")
    body = _import(ct, "json", [{"participant": code, "visit": "day0", "form": "vital_signs",
                                 **VITALS}]).json()
    assert body["saved"] == 0 and body["errors"][0]["rule"] == "not_found"
    assert _import(ct, "json", [], user="data_manager").status_code == 403


def test_completeness_reports_missing_forms_per_site_and_visit(ct):
    code = ct.randomize()
    _import(ct, "json", [{"participant": code, "visit": "day0", "form": "vital_signs",
                          **VITALS, "complete": True}])
    report = ct.api("data_manager").get("/api/v1/completeness").json()
    day0 = next(r for r in report["rows"] if r["visit"] == "day0")
    assert (day0["site"], day0["expected"], day0["complete"], day0["percent"]) == (
        "CO-01", 5, 1, 20.0)
    assert {"participant": code, "form": "respiratory"} in day0["missing"]
    assert report["sites"]["CO-01"]["expected"] == 8  # screening (3 forms) and day 0 (5)
