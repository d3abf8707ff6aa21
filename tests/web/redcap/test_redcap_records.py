"""Record export and import, randomization and deletion through ``/redcap/api/`` (in process)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from enrollment import enroll
from redcap_kit import client_of

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol

DEMOGRAPHICS = {"redcap_event_name": "screening_arm_1", "age": "54", "sex": "M",
                "weight": "71.5", "demographics_complete": "2"}


@pytest.fixture
def records(trial):
    """Two participants at CO-01, one at CO-02; the CO-01 investigator's REDCap client."""
    codes = {site: [enroll(trial.api(f"investigator-{site}")) for _ in range(n)]
             for site, n in (("co-01", 2), ("co-02", 1))}
    return trial, codes, client_of(trial.users["investigator-co-01"])


def _import(client, rows, **params):
    return client.post(content="record", format="json", type="flat",
                       data=json.dumps(rows), **params)


def _audit_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_import_counts_distinct_records_and_saves_through_the_capture_action(records):
    _trial, codes, investigator = records
    first, second = codes["co-01"]
    rows = [{"record_id": first, **DEMOGRAPHICS},
            {"record_id": first, "redcap_event_name": "day0_arm_1", "heart_rate": "88",
             "systolic_bp": "120", "diastolic_bp": "80", "temperature": "37.2"},
            {"record_id": second, **DEMOGRAPHICS, "age": "61"}]
    response = _import(investigator, rows)
    assert response.status_code == 200, response.content
    assert response.json() == {"count": 2}
    stored = FormInstance.objects.get(participant__code=first, form="demographics")
    assert stored.values["age"] == 54 and stored.values["sex"] == "M"
    assert stored.status == "complete"
    vitals = FormInstance.objects.get(participant__code=first, form="vital_signs")
    assert vitals.visit == "day0" and vitals.status == "draft"
    saves = AuditRecord.objects.filter(action="save_form", object_id__startswith=first)
    assert {record.actor for record in saves} == {"investigator-co-01"}


def test_a_bad_value_is_an_error_naming_row_and_field_and_nothing_is_stored(records):
    _trial, codes, investigator = records
    first, second = codes["co-01"]
    before = _audit_seq()
    rows = [{"record_id": first, **DEMOGRAPHICS},
            {"record_id": second, **DEMOGRAPHICS, "age": "300"}]
    response = _import(investigator, rows)
    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["error"]
    assert [(r["row"], r["record"], r["field"]) for r in body["rows"]] == [("2", second, "age")]
    assert not FormInstance.objects.filter(participant__code__in=codes["co-01"]).exists()
    assert _audit_seq() == before
    csv_answer = investigator.post(content="record", format="json", returnFormat="csv",
                                   data=json.dumps(rows))
    assert csv_answer.status_code == 400
    assert csv_answer.content.decode().startswith("error: nothing was imported")


@pytest.mark.parametrize(("row", "field"), [
    ({"nope": "1"}, "nope"),
    ({"redcap_event_name": "day99_arm_1"}, "redcap_event_name"),
    ({"rand_number": "R00001"}, "rand_number"),
    ({"redcap_event_name": "day0_arm_1", "age": "50"}, "age"),  # not collected at day 0
])
def test_unknown_or_misplaced_columns_are_refused(records, row, field):
    _trial, codes, investigator = records
    response = _import(investigator, [{"record_id": codes["co-01"][0], **DEMOGRAPHICS, **row}])
    assert response.status_code == 400
    assert response.json()["rows"][0]["field"] == field


def test_a_record_of_another_site_reads_as_no_record(records):
    _trial, codes, investigator = records
    other = codes["co-02"][0]
    response = _import(investigator, [{"record_id": other, **DEMOGRAPHICS}])
    assert response.status_code == 400 and f"no record {other}" in response.json()["error"]
    missing = _import(investigator, [{"record_id": "ZZ-999", **DEMOGRAPHICS}])
    assert missing.json()["rows"][0]["message"].replace("ZZ-999", other) == (
        response.json()["rows"][0]["message"])
    exported = investigator.post(content="record", format="json", records=other)
    assert exported.status_code == 400
    assert exported.json()["error"] == f"records: no record {other}"


def test_a_change_to_a_complete_form_needs_a_reason(records):
    _trial, codes, investigator = records
    first = codes["co-01"][0]
    assert _import(investigator, [{"record_id": first, **DEMOGRAPHICS}]).status_code == 200
    change = [{"record_id": first, "redcap_event_name": "screening_arm_1", "weight": "72"}]
    refused = _import(investigator, change)
    assert refused.status_code == 400 and refused.json()["rows"][0]["field"] == "reason"
    accepted = _import(investigator, change, reason="Weight re-measured on the ward scale")
    assert accepted.status_code == 200
    stored = FormInstance.objects.get(participant__code=first, form="demographics")
    assert stored.values["weight"] == 72 and stored.values["age"] == 54  # normal: kept
    audit = AuditRecord.objects.filter(action="save_form").last()
    assert audit.reason == "Weight re-measured on the ward scale"


def test_export_flat_json_csv_filters_and_labels(records):
    _trial, codes, investigator = records
    first, second = codes["co-01"]
    _import(investigator, [{"record_id": first, **DEMOGRAPHICS},
                           {"record_id": first, "redcap_event_name": "log_arm_1",
                            "redcap_repeat_instrument": "concomitant_medication",
                            "redcap_repeat_instance": "2", "cm_name": "Dexamethasone",
                            "cm_start_date": "2026-01-02"}])
    rows = investigator.json(content="record", type="flat")
    assert {row["record_id"] for row in rows} == set(codes["co-01"])  # own site only
    screening = next(r for r in rows if r["record_id"] == first
                     and r["redcap_event_name"] == "screening_arm_1")
    assert (screening["age"], screening["sex"], screening["demographics_complete"]) == (
        "54", "M", "2")
    medication = next(r for r in rows if r["redcap_repeat_instrument"] == "concomitant_medication")
    assert (medication["redcap_repeat_instance"], medication["cm_name"]) == ("2", "Dexamethasone")
    only = investigator.json(content="record", **{"records[0]": first, "fields[0]": "sex",
                                                  "events[0]": "screening_arm_1"},
                             rawOrLabel="label")
    assert only == [{"record_id": first, "redcap_event_name": "screening_arm_1",
                     "redcap_repeat_instrument": "", "redcap_repeat_instance": "",
                     "sex": "Male"}]
    text = investigator.post(content="record", format="csv", records=f"{first},{second}",
                             forms="demographics", exportDataAccessGroups="true").content
    table = list(csv.DictReader(io.StringIO(text.decode())))
    assert list(table[0])[:5] == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                                  "redcap_repeat_instance", "redcap_data_access_group"]
    assert {row["redcap_data_access_group"] for row in table} == {"co_01"}
    assert investigator.post(content="record", format="json", fields="nope").status_code == 400
    assert investigator.post(content="record", format="json", forms="nope").status_code == 400
    assert investigator.post(content="record", format="json", events="x_arm_1").status_code == 400


def test_export_eav_and_xml(records):
    _trial, codes, investigator = records
    first = codes["co-01"][0]
    _import(investigator, [{"record_id": first, **DEMOGRAPHICS}])
    eav = investigator.json(content="record", type="eav", records=first, forms="demographics")
    assert {"record": first, "redcap_event_name": "screening_arm_1",
            "redcap_repeat_instrument": "", "redcap_repeat_instance": "",
            "field_name": "age", "value": "54"} in eav
    # a form with no entry (gray) has no value, so no status row: REDCap's EAV is stored data
    everything = investigator.json(content="record", type="eav", records=first)
    assert {row["field_name"] for row in everything if row["field_name"].endswith(
        "_complete")} == {"demographics_complete"}
    answer = investigator.post(content="record", records=first)
    assert answer.streamed  # records are streamed, a page of participants at a time
    xml = answer.content.decode()
    assert xml.startswith("<?xml") and f"<record_id>{first}</record_id>" in xml


def test_every_export_is_audited_with_the_tokens_user(records):
    _trial, codes, investigator = records
    investigator.json(content="record", records=codes["co-01"][0])
    read = AuditRecord.objects.filter(action="redcap_read").last()
    assert read.actor == "investigator-co-01" and read.object_id == "record"
    assert read.changes["read"]["new"]["records"] == [codes["co-01"][0]]


def test_randomize_returns_the_number_and_a_star_for_a_blinded_caller(records):
    trial, codes, investigator = records
    first = codes["co-01"][0]
    answer = investigator.post(content="record", action="randomize", record=first,
                               randomization_id="1", returnAlt="true", format="json",
                               returnFormat="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["record"] == first and body["target_field"].startswith("R")
    assert body["target_field_alt"] == "*"
    assert AuditRecord.objects.filter(action="randomize", object_id=first,
                                      actor="investigator-co-01").exists()
    again = investigator.post(content="record", action="randomize", record=first,
                              returnFormat="json")
    assert again.status_code == 409 and "already randomized" in again.json()["error"]
    exported = investigator.post(content="record", format="json", records=first)
    rows = json.loads(exported.content)
    day0 = next(r for r in rows if r["redcap_event_name"] == "day0_arm_1")
    assert day0["rand_number"] == body["target_field"] and day0["rand_kit_code"]
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    assert find_leaks(exported.content.decode(), texts) == []
    coordinator = client_of(trial.users["coordinator-co-01"])
    refused = coordinator.post(content="record", action="randomize", record=codes["co-01"][1],
                               returnFormat="json")
    assert refused.status_code == 403


def test_delete_is_refused_always_and_names_the_lock_after_it(records):
    from lock_override import lock_database

    trial, codes, investigator = records
    first = codes["co-01"][0]
    refused = investigator.post(content="record", action="delete", returnFormat="json",
                                **{"records[0]": first})
    assert refused.status_code == 403 and "never deleted" in refused.json()["error"]
    assert lock_database(trial.users).status_code == 201
    locked = investigator.post(content="record", action="delete", returnFormat="json",
                               **{"records[0]": first})
    assert locked.status_code == 409 and "locked" in locked.json()["error"]
    blocked = _import(investigator, [{"record_id": first, **DEMOGRAPHICS}])
    assert blocked.status_code == 400 and "locked" in blocked.json()["error"]


def test_eav_import_overwrite_and_the_parameter_spellings(records):
    _trial, codes, investigator = records
    first, second = codes["co-01"]
    eav = [{"record": first, "redcap_event_name": "screening_arm_1", "field_name": name,
            "value": value} for name, value in (("age", "54"), ("sex", "F"), ("weight", "70"))]
    answer = investigator.post(content="record", format="json", type="eav",
                               data=json.dumps(eav), returnContent="ids")
    assert answer.status_code == 200 and answer.json() == [first]
    blank = [{"record_id": first, "redcap_event_name": "screening_arm_1", "weight": ""}]
    assert _import(investigator, blank).status_code == 200  # normal: a blank keeps the value
    stored = FormInstance.objects.get(participant__code=first, form="demographics")
    assert stored.values["weight"] == 70
    assert _import(investigator, blank, overwriteBehavior="overwrite").status_code == 200
    stored.refresh_from_db()
    assert stored.values.get("weight") is None
    for spelling in ({"records[0]": first, "records[1]": second},
                     {"records[]": [first, second]}, {"records": f"{first},{second}"}):
        rows = investigator.json(content="record", fields="record_id",
                                 exportDataAccessGroups="True", **spelling)
        assert {row["record_id"] for row in rows} == {first, second}
    refused = investigator.post(content="record", format="json", exportDataAccessGroups="maybe")
    assert refused.status_code == 400 and "exportDataAccessGroups" in refused.json()["error"]


@pytest.mark.parametrize("name", ["filterLogic", "dateRangeBegin", "dateRangeEnd"])
def test_a_filter_the_server_does_not_apply_is_refused_not_ignored(records, name):
    _trial, _codes, investigator = records
    assert investigator.post(content="record", format="json", **{name: ""}).status_code == 200
    refused = investigator.post(content="record", format="json", **{name: "[age] > 50"})
    assert refused.status_code == 400 and name in refused.json()["error"]


def test_an_export_names_more_records_than_djangos_form_field_limit(records, settings):
    """PyCap sends ``records[0]`` ... ``records[n]``: one form field per record."""
    from urllib.parse import urlencode

    from django.test import Client

    _trial, codes, investigator = records
    named = {f"records[{i}]": codes["co-01"][i % 2] for i in range(1500)}
    assert len(named) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    body = urlencode({"token": investigator.token, "content": "record", "format": "json",
                      "fields": "record_id", **named})
    answer = Client().post("/redcap/api/", body,
                           content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    rows = json.loads(answer.getvalue())
    assert {row["record_id"] for row in rows} == set(codes["co-01"])


def test_csv_delimiter_and_decimal_character_of_an_export_and_an_import(records):
    """REDCap's csvDelimiter (export and import) and decimalCharacter (export: number-validated
    fields and calculations written with the given decimal mark)."""
    _trial, codes, investigator = records
    first = codes["co-01"][0]
    data = ("record_id;redcap_event_name;age;sex;weight;demographics_complete\n"
            f"{first};screening_arm_1;54;M;71.5;2\n")
    imported = investigator.post(content="record", format="csv", csvDelimiter=";", data=data)
    assert imported.status_code == 200, imported.content
    assert FormInstance.objects.get(participant__code=first, form="demographics").values[
        "weight"] == 71.5
    common = {"content": "record", "format": "csv", "records": first,
              "forms": "demographics", "events": "screening_arm_1"}
    text = investigator.post(**common, csvDelimiter="tab",
                             decimalCharacter=",").content.decode().splitlines()
    row = dict(zip(text[0].split("\t"), text[1].split("\t"), strict=True))
    assert (row["weight"], row["age"]) == ("71,5", "54")
    dotted = list(csv.DictReader(io.StringIO(investigator.post(
        **common, decimalCharacter=".").content.decode())))
    assert dotted[0]["weight"] == "71.5"
    comma_in_comma = list(csv.DictReader(io.StringIO(investigator.post(
        **common, decimalCharacter=",").content.decode())))
    assert comma_in_comma[0]["weight"] == "71,5"  # quoted by the csv writer
    for name, value in (("decimalCharacter", "x"), ("csvDelimiter", "::")):
        answer = investigator.post(**{**common, "returnFormat": "json", name: value})
        assert answer.status_code == 400 and name in answer.json()["error"]
