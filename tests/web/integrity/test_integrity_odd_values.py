"""Values that JSON parsers let through but a trial must not store: NaN, Infinity, huge numbers,
wrongly typed import columns, and a "correction" that changes nothing. Each gives a 4xx (or an
import error row) naming the field, and the stored data stay as they were."""

from __future__ import annotations

import json

import pytest
from integrity_kit import (
    COORDINATOR,
    INVESTIGATOR,
    RESPIRATORY_OK,
    VITALS_OK,
    dump_database,
    form_path,
)

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import ScreeningRecord


@pytest.mark.parametrize(
    ("form", "body", "field"),
    [
        ("vital_signs", '{"values": {"heart_rate": Infinity}}', "heart_rate"),
        ("vital_signs", '{"values": {"heart_rate": -Infinity}}', "heart_rate"),
        ("vital_signs", '{"values": {"heart_rate": NaN}}', "heart_rate"),
        ("vital_signs", '{"values": {"temperature": Infinity}}', "temperature"),
        ("vital_signs", '{"values": {"temperature": NaN}}', "temperature"),
        ("vital_signs", json.dumps({"values": {"temperature": 10**400}}), "temperature"),
        ("vital_signs", json.dumps({"values": {"temperature": "1e400"}}), "temperature"),
        ("respiratory", '{"values": {"pao2": Infinity}}', "pao2"),
    ],
)
def test_non_finite_numbers_in_a_form_are_refused_naming_the_field(scenarios, form, body, field):
    code, _ = scenarios.randomized()
    before = dump_database()
    response = scenarios.api(COORDINATOR).send("PUT", form_path(code, "day0", form), body)
    assert response.status_code == 422, response.content
    assert field in {item["field"] for item in response.json()["fields"]}
    assert dump_database() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"seq": [1]}, "seq"),
        ({"seq": 1.5}, "seq"),
        ({"seq": -2}, "seq"),
        ({"seq": True}, "seq"),
        ({"confirm": 5}, "confirm"),
        ({"confirm": [{"code": "pao2"}]}, "confirm"),
    ],
)
def test_import_row_with_a_wrongly_typed_column_is_an_error_row(scenarios, extra, field):
    code, _ = scenarios.randomized()
    rows = [{"participant": code, "visit": "day0", "form": "respiratory", **RESPIRATORY_OK},
            {"participant": code, "visit": "day0", "form": "vital_signs", **VITALS_OK, **extra}]
    before = dump_database()
    response = scenarios.api(COORDINATOR).send(
        "POST", "/api/v1/form-data/import",
        {"format": "json", "data": rows, "all_or_nothing": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rolled_back"] is True and body["saved"] == 0
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, field)]
    assert dump_database() == before


def test_import_accepts_seq_as_csv_text(scenarios):
    code, _ = scenarios.randomized()
    text = ("participant,visit,form,seq,pao2,fio2,peep,ventilation_mode\n"
            f"{code},day0,respiratory,1,80,0.5,10,imv\n")
    response = scenarios.api(COORDINATOR).send("POST", "/api/v1/form-data/import",
                                               {"format": "csv", "data": text})
    assert response.json() == {"rows": 1, "saved": 1, "rolled_back": False, "errors": []}


def test_screening_correction_that_changes_nothing_is_refused_and_not_audited(scenarios):
    code = scenarios.screened()
    before = dump_database()
    response = scenarios.api(INVESTIGATOR).send(
        "PATCH", f"/api/v1/participants/{code}/screening",
        {"values": {"age": 54}, "reason": "re-entered from the chart"})
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == [{"field": "values",
                                          "rule": "must change at least one value"}]
    assert dump_database() == before


def test_screening_correction_that_moves_the_stratum_audits_the_stratum(scenarios):
    code = scenarios.screened()  # PaO2/FiO2 70/0.8 = 87.5: severe
    response = scenarios.api(INVESTIGATOR).send(
        "PATCH", f"/api/v1/participants/{code}/screening",
        {"values": {"pao2": 150}, "reason": "blood gas re-read from the print-out"})
    assert response.status_code == 200, response.content
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "correct_screening"
    assert record.changes["pao2"] == {"old": 70, "new": 150}
    assert record.changes["stratum"] == {"old": "site=CO-01|ards_severity=severe",
                                         "new": "site=CO-01|ards_severity=moderate"}
    assert ScreeningRecord.objects.get(participant__code=code).stratum.endswith("moderate")
