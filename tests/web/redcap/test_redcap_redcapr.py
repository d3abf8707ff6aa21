"""REDCapR's calls, reproduced as the urlencoded requests it sends (REDCapR is not in Debian's
packages and CRAN is not reachable here): the bodies of ``redcapr_requests`` (each following the
REDCapR file it names), posted as ``httr::POST(encode = "form")`` writes them, the CSV shapes
REDCapR parses with ``readr``, and the status codes it relies on: REDCapR reads only the status
(``success <- status_code == 200L`` in R/kernel-api.R), never the body, to tell an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
import redcapr_requests as redcapr
from enrollment import enroll
from redcap_kit import client_of, httr_form

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol


def _table(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.content
    return list(csv.DictReader(io.StringIO(answer.content.decode())))


@pytest.fixture
def redcapr_world(trial):
    codes = [enroll(trial.api("investigator-co-01")) for _ in range(3)]
    return trial, codes, client_of(trial.users["investigator-co-01"])


def test_the_body_is_urlencoded_as_httr_writes_it():
    # reference: httr's compose_query() with curl::curl_escape() (httr R/url-query.r)
    body = redcapr.read_oneshot("ABC", records=["CO-01-001", "CO-01-002"])
    assert httr_form(body) == (
        "token=ABC&content=record&format=csv&type=flat&rawOrLabel=raw&rawOrLabelHeaders=raw"
        "&exportCheckboxLabel=false&exportSurveyFields=false&exportDataAccessGroups=false"
        "&filterLogic=&dateRangeBegin=&dateRangeEnd=&exportBlankForGrayFormStatus=FALSE"
        "&records=CO-01-001%2CCO-01-002")
    assert httr_form(redcapr.log_read("ABC", begin=dt.date(2026, 1, 2),
                                      end=dt.date(2026, 1, 9))) == (
        "token=ABC&content=log&format=csv&beginTime=2026-01-02%2000%3A00"
        "&endTime=2026-01-09%2024%3A00")
    assert httr_form(redcapr.metadata_read("ABC", forms=["sofa"])).endswith("&forms%5B0%5D=sofa")


def test_redcap_metadata_read(redcapr_world):
    _, _, client = redcapr_world
    answer = client.post_form(redcapr.metadata_read(client.token))
    assert answer.status_code == 200
    rows = json.loads(answer.content)  # jsonlite::fromJSON(flatten = TRUE)
    assert rows[0]["field_name"] == "record_id"
    sofa = json.loads(client.post_form(redcapr.metadata_read(client.token,
                                                             forms=["sofa"])).content)
    assert {row["form_name"] for row in sofa} == {"sofa"}


def test_redcap_read_oneshot_sends_no_empty_filter_and_reads_every_record(redcapr_world):
    _, codes, client = redcapr_world
    rows = _table(client.post_form(redcapr.read_oneshot(client.token)))
    assert {row["record_id"] for row in rows} == set(codes)
    assert list(rows[0])[:4] == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                                 "redcap_repeat_instance"]
    assert "randomization_complete" in rows[0]


def test_redcap_read_oneshot_gray_form_status(redcapr_world):
    """REDCap writes a form of the row's event that has no entry as Incomplete (0), or blank
    with ``exportBlankForGrayFormStatus``; REDCapR sends the flag as R's FALSE or TRUE."""
    _, codes, client = redcapr_world
    filters = {"records": codes[:1], "forms": ["demographics"], "events": ["screening_arm_1"]}
    default = _table(client.post_form(redcapr.read_oneshot(client.token, **filters)))
    assert [(r["record_id"], r["redcap_event_name"], r["demographics_complete"])
            for r in default] == [(codes[0], "screening_arm_1", "0")]
    blank = _table(client.post_form(redcapr.read_oneshot(
        client.token, **filters, blank_for_gray_form_status=True)))
    assert [r["demographics_complete"] for r in blank] == [""]


def test_redcap_read_eav_oneshot(redcapr_world):
    """Every column read as text (``readr::col_character()``); a value per row."""
    _, codes, client = redcapr_world
    data = redcapr.r_write_csv(
        ["record_id", "redcap_event_name", "age", "sex", "demographics_complete"],
        [[codes[0], "screening_arm_1", 54, "F", 2]])
    assert client.post_form(redcapr.write_oneshot(client.token, data)).status_code == 200
    rows = _table(client.post_form(redcapr.read_eav_oneshot(client.token, records=codes[:1],
                                                            forms=["demographics"])))
    assert list(rows[0]) == ["record", "redcap_event_name", "redcap_repeat_instrument",
                             "redcap_repeat_instance", "field_name", "value"]
    values = {(row["record"], row["redcap_event_name"], row["field_name"]): row["value"]
              for row in rows if row["field_name"] != "record_id"}
    assert values == {(codes[0], "screening_arm_1", "age"): "54",
                      (codes[0], "screening_arm_1", "sex"): "F",
                      (codes[0], "screening_arm_1", "demographics_complete"): "2"}


def test_redcap_read_asks_for_the_ids_then_reads_batches(redcapr_world):
    """R/redcap-read.R: the data dictionary first (its first field is the ID), then the ID
    column of every record, then batches of records, each through ``redcap_read_oneshot``."""
    _, codes, client = redcapr_world
    metadata = json.loads(client.post_form(redcapr.metadata_read(client.token)).content)
    id_field = metadata[0]["field_name"]
    ids = _table(client.post_form(redcapr.read_oneshot(client.token, fields=[id_field])))
    assert sorted({row[id_field] for row in ids}) == sorted(codes)
    assert list(ids[0]) == [id_field, "redcap_event_name", "redcap_repeat_instrument",
                            "redcap_repeat_instance"]
    batch = _table(client.post_form(redcapr.read_oneshot(client.token, records=codes[:2],
                                                         forms=["demographics"])))
    assert {row["record_id"] for row in batch} == set(codes[:2])
    assert "demographics_complete" in batch[0]


def test_redcap_write_oneshot_returns_the_ids_as_csv(redcapr_world):
    _, codes, client = redcapr_world
    data = redcapr.r_write_csv(
        ["record_id", "redcap_event_name", "age", "sex", "demographics_complete"],
        [[codes[0], "screening_arm_1", 54, "M", 2], [codes[1], "screening_arm_1", 61, "F", 0]])
    assert data.startswith('"record_id","redcap_event_name","age"')
    answer = client.post_form(redcapr.write_oneshot(client.token, data))
    assert answer.status_code == 200, answer.content
    assert answer.content.decode().splitlines() == ["id", codes[0], codes[1]]  # elements[-1]


def test_redcap_write_oneshot_error_is_a_non_200_status(redcapr_world):
    _, codes, client = redcapr_world
    data = redcapr.r_write_csv(["record_id", "redcap_event_name", "age"],
                               [[codes[0], "screening_arm_1", 300]])
    answer = client.post_form(redcapr.write_oneshot(client.token, data))
    assert answer.status_code == 400
    assert answer.content.decode().startswith("error: nothing was imported")


def test_status_codes_redcapr_relies_on(redcapr_world):
    trial, _codes, client = redcapr_world
    analyst = client_of(trial.users["analyst"])
    assert analyst.post_form(redcapr.read_oneshot(analyst.token)).status_code == 200
    unknown = "0123456789ABCDEF0123456789ABCDEF"
    assert client.post_form(redcapr.read_oneshot(unknown)).status_code == 401
    assert client.post_form(redcapr.read_oneshot(client.token,
                                                 fields=["no_such_field"])).status_code == 400
    pharmacist = client_of(trial.users["pharmacist-co-01"])
    assert pharmacist.post_form(redcapr.read_oneshot(pharmacist.token)).status_code == 403
    today = dt.datetime.now(dt.UTC).date()
    assert client.post_form(redcapr.log_read(client.token, begin=today,
                                             end=today)).status_code == 403  # no audit reading


def test_redcap_event_instruments_variables_and_version(redcapr_world):
    _, _, client = redcapr_world
    mapping = _table(client.post_form(redcapr.event_instruments(client.token)))
    assert list(mapping[0]) == ["arm_num", "unique_event_name", "form"]
    assert client.post_form(redcapr.event_instruments(client.token,
                                                      arms=["2"])).status_code == 400
    variables = _table(client.post_form(redcapr.variables(client.token)))
    assert list(variables[0]) == ["original_field_name", "choice_value", "export_field_name"]
    version = client.post_form(redcapr.version(client.token))
    assert version.status_code == 200 and version.content.decode() == "14.7.0"


def _newest_day() -> dt.date:
    return AuditRecord.objects.order_by("-seq").first().at.astimezone(dt.UTC).date()


def test_redcap_log_read_whole_days_to_24_00(redcapr_world):
    """REDCapR asks for whole days, its last one ending at ``24:00``: today's records are in
    its default window (the last week to today), none in a window that ends yesterday."""
    trial, codes, _ = redcapr_world
    admin = client_of(trial.users["admin"])
    today = _newest_day()
    week = _table(admin.post_form(redcapr.log_read(admin.token, begin=today - dt.timedelta(7),
                                                   end=today)))
    assert list(week[0]) == ["timestamp", "username", "action", "details", "record"]
    assert set(codes) <= {row["record"] for row in week}
    yesterday = today - dt.timedelta(days=1)
    before = admin.post_form(redcapr.log_read(admin.token, begin=yesterday, end=yesterday))
    assert before.status_code == 200 and _table(before) == []
    one = _table(admin.post_form(redcapr.log_read(admin.token, begin=today, end=today,
                                                  record=codes[0])))
    assert one and {row["record"] for row in one} == {codes[0]}


def test_the_log_reads_dates_alone_and_refuses_what_it_does_not_filter_by(redcapr_world):
    trial, codes, _ = redcapr_world
    admin = client_of(trial.users["admin"])
    today = _newest_day().isoformat()
    rows = _table(admin.post(content="log", format="csv", beginTime=today, endTime=today))
    assert set(codes) <= {row["record"] for row in rows}  # an end date is the whole day
    assert admin.post(content="log", beginTime="yesterday", format="csv").status_code == 400
    assert admin.post(content="log", endTime=f"{today} 25:00", format="csv").status_code == 400
    for refused in ({"logtype": "record"}, {"dag": "co_01"}):
        answer = admin.post(content="log", format="json", **refused)
        assert answer.status_code == 400 and next(iter(refused)) in answer.json()["error"]
    # what older REDCapR sent (logtype, user, record empty) is no filter
    assert admin.post(content="log", format="csv", logtype="", user="",
                      record="").status_code == 200


_FORM_RIGHT = re.compile(r"^(\w+):([0-2])$")  # redcap_users_export()'s pattern


def test_redcap_users_export_has_the_forms_columns_it_splits(redcapr_world):
    trial, _, _ = redcapr_world
    admin = client_of(trial.users["admin"])
    users = {row["username"]: row for row in _table(admin.post_form(
        redcapr.users_export(admin.token)))}
    instruments = [*(form.code for form in get_protocol().forms), "randomization"]
    for row in users.values():
        for column in ("forms", "forms_export"):  # tidyr::separate_rows(sep = ",")
            pairs = [_FORM_RIGHT.match(item) for item in row[column].split(",")]
            assert all(pairs), (row["username"], column, row[column])
            assert [pair[1] for pair in pairs] == instruments
    rights = {name: dict(item.split(":") for item in row["forms"].split(","))
              for name, row in users.items()}
    assert rights["investigator-co-01"]["demographics"] == "1"  # view and edit
    assert rights["investigator-co-01"]["randomization"] == "2"  # read only
    assert rights["monitor"]["demographics"] == "2"
    assert set(rights["admin"].values()) == {"0"}
    assert users["analyst"]["forms_export"].startswith("demographics:1")
