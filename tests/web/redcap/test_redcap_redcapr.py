"""REDCapR's calls, reproduced as the requests it sends (REDCapR is not in Debian's packages and
CRAN is not reachable here): the form bodies of ``redcap_metadata_read``, ``redcap_read`` (the ID
column first, then batches of records), ``redcap_read_oneshot``, ``redcap_write_oneshot``,
``redcap_event_instruments``, ``redcap_variables``, ``redcap_log_read`` and
``redcap_version`` as REDCapR 1.x builds them (empty strings included: ``forms=""``), the CSV
shapes it parses with ``readr``, and the status codes it relies on: REDCapR reads only the
status (``success <- status_code == 200``), never the body, to tell an error.
"""

from __future__ import annotations

import csv
import io

import pytest
from enrollment import enroll
from redcap_kit import client_of


def _table(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.content
    return list(csv.DictReader(io.StringIO(answer.content.decode())))


@pytest.fixture
def redcapr(trial):
    codes = [enroll(trial.api("investigator-co-01")) for _ in range(3)]
    return trial, codes, client_of(trial.users["investigator-co-01"])


def test_redcap_metadata_read(redcapr):
    _, _, client = redcapr
    # post_body <- list(token, content = "metadata", format = "csv", forms = "", fields = "")
    table = _table(client.post(content="metadata", format="csv", forms="", fields=""))
    assert list(table[0])[:4] == ["field_name", "form_name", "section_header", "field_type"]
    assert table[0]["field_name"] == "record_id"


def test_redcap_read_batches_the_ids_then_the_records(redcapr):
    _, codes, client = redcapr
    common = {"content": "record", "format": "csv", "type": "flat", "rawOrLabel": "raw",
              "rawOrLabelHeaders": "raw", "exportCheckboxLabel": "false",
              "exportSurveyFields": "false", "exportDataAccessGroups": "false",
              "filterLogic": ""}
    # first the ID column of every record ...
    ids = _table(client.post(**common, fields="record_id"))
    assert sorted({row["record_id"] for row in ids}) == sorted(codes)
    assert list(ids[0]) == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                            "redcap_repeat_instance"]
    # ... then batches of records, comma-collapsed
    batch = _table(client.post(**common, records=",".join(codes[:2]), fields="",
                               forms="demographics", events=""))
    assert {row["record_id"] for row in batch} == set(codes[:2])
    assert "demographics_complete" in batch[0]


def test_redcap_write_oneshot_returns_the_ids_as_csv(redcapr):
    _, codes, client = redcapr
    data = ("record_id,redcap_event_name,age,sex,demographics_complete\n"
            f"{codes[0]},screening_arm_1,54,M,2\n{codes[1]},screening_arm_1,61,F,0\n")
    # post_body <- list(token, content='record', format='csv', type='flat', data=csv,
    #                   overwriteBehavior='normal', returnContent='ids', returnFormat='csv')
    answer = client.post(content="record", format="csv", type="flat", data=data,
                         overwriteBehavior="normal", returnContent="ids", returnFormat="csv")
    assert answer.status_code == 200
    lines = answer.content.decode().splitlines()
    assert lines == ["id", codes[0], codes[1]]  # affectedIDs <- elements[-1]


def test_redcap_write_oneshot_error_is_a_non_200_status(redcapr):
    _, codes, client = redcapr
    data = f"record_id,redcap_event_name,age\n{codes[0]},screening_arm_1,300\n"
    answer = client.post(content="record", format="csv", type="flat", data=data,
                         overwriteBehavior="normal", returnContent="ids", returnFormat="csv")
    assert answer.status_code == 400
    assert answer.content.decode().startswith("error: nothing was imported")


def test_status_codes_redcapr_relies_on(redcapr):
    trial, _codes, client = redcapr
    read = {"content": "record", "format": "csv", "type": "flat"}
    assert client_of(trial.users["analyst"]).post(**read).status_code == 200
    bad_token = client.__class__("0123456789ABCDEF0123456789ABCDEF")
    assert bad_token.post(**read).status_code == 401
    assert client.post(**read, fields="no_such_field").status_code == 400
    assert client_of(trial.users["pharmacist-co-01"]).post(**read).status_code == 403
    assert client.post(content="log", format="csv").status_code == 403  # no audit reading


def test_redcap_event_instruments_variables_and_version(redcapr):
    _, _, client = redcapr
    mapping = _table(client.post(content="formEventMapping", format="csv", arms=""))
    assert list(mapping[0]) == ["arm_num", "unique_event_name", "form"]
    assert client.post(content="formEventMapping", format="csv", arms="2").status_code == 400
    variables = _table(client.post(content="exportFieldNames", format="csv"))
    assert list(variables[0]) == ["original_field_name", "choice_value", "export_field_name"]
    version = client.post(content="version")
    assert version.status_code == 200 and version.content.decode() == "14.7.0"


def test_redcap_log_read(redcapr):
    trial, codes, _ = redcapr
    admin = client_of(trial.users["admin"])
    # post_body <- list(token, content='log', logtype='', user='', record='', beginTime='',
    #                   endTime='', format='csv')
    rows = _table(admin.post(content="log", logtype="", user="", record="", beginTime="",
                             endTime="", format="csv"))
    assert list(rows[0]) == ["timestamp", "username", "action", "details", "record"]
    screened = _table(admin.post(content="log", record=codes[0], format="csv"))
    assert screened and {row["record"] for row in screened} == {codes[0]}
    assert admin.post(content="log", beginTime="yesterday", format="csv").status_code == 400
