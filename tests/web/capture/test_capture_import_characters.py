"""Issue 12 leftover: the contents of an import file at ``/capture/import/`` meet the character
rule every other field meets (``core.characters.refused_character_rule``, the middleware's): a
CSV cell or a JSON string (a key included) holding NUL, another C0 control character, a
bidirectional override or a zero-width character refuses the whole file with 422 naming its row
(1 = the first data row) and column, before any row is saved; a JSON file giving a key twice in
one object is refused as the API's parser refuses it (``api/parser.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from enrollment import randomize
from login import signed_in_client

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.characters import CONTROL_RULE, FORMAT_RULE, NUL_RULE
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"
HEADER = "participant,visit,form,heart_rate,systolic_bp,diastolic_bp,temperature\n"
VITALS = {"heart_rate": "80", "systolic_bp": "120", "diastolic_bp": "70", "temperature": "37.0"}
REFUSED = [("\x00", NUL_RULE), ("\x07", CONTROL_RULE), ("\x1b", CONTROL_RULE),
           ("\u202e", FORMAT_RULE), ("\u2066", FORMAT_RULE), ("\u200b", FORMAT_RULE),
           ("\ufeff", FORMAT_RULE)]


def _client(trial: Any) -> Client:
    return signed_in_client(trial.users[COORD], raise_request_exception=False)


def _upload(client: Client, text: str, fmt: str = "csv") -> Any:
    upload = SimpleUploadedFile(f"rows.{fmt}", text.encode(), content_type="text/plain")
    return client.post("/capture/import/", {"format": fmt, "file": upload})


def _stored() -> tuple[int, int]:
    return FormInstance.objects.count(), AuditRecord.objects.count()


@pytest.fixture
def code(trial: Any) -> str:
    return randomize(trial.api("investigator-co-01"))[0]


@pytest.mark.parametrize(("character", "rule"), REFUSED)
@pytest.mark.parametrize("column", ["participant", "heart_rate"])
def test_a_csv_cell_with_a_refused_character_refuses_the_file_naming_row_and_column(
        trial, code, character, rule, column):
    good = f"{code},day0,vital_signs,80,120,70,37.0\n"
    cells = {"participant": code, "heart_rate": "80"}
    cells[column] = cells[column][:2] + character + cells[column][2:]
    bad = f"{cells['participant']},day1,vital_signs,{cells['heart_rate']},120,70,37.0\n"
    client = _client(trial)  # signing in is audited
    before = _stored()
    response = _upload(client, HEADER + good + bad)
    assert response.status_code == 422, response.content[:300]
    assert f"row 2, column {column}: {rule}" in response.content.decode()
    assert _stored() == before  # not even the good first row


def test_a_refused_character_in_a_csv_header_names_the_column_escaped(trial, code):
    client = _client(trial)  # signing in is audited
    before = _stored()
    response = _upload(client, HEADER.replace("heart_rate", "heart\u202erate")
                       + f"{code},day0,vital_signs,80,120,70,37.0\n")
    assert response.status_code == 422
    assert f"row 1, column heart\\u202erate: {FORMAT_RULE}" in response.content.decode()
    assert _stored() == before


@pytest.mark.parametrize(("character", "rule"), REFUSED)
def test_a_json_string_with_a_refused_character_refuses_the_file(trial, code, character, rule):
    rows = [{"participant": code, "visit": "day0", "form": "vital_signs", **VITALS},
            {"participant": code, "visit": "day1", "form": "vital_signs", **VITALS,
             "confirm": ["heart_rate", f"temp{character}erature"]}]
    client = _client(trial)  # signing in is audited
    before = _stored()
    response = _upload(client, json.dumps(rows), "json")
    assert response.status_code == 422, response.content[:300]
    assert f"row 2, column confirm: {rule}" in response.content.decode()
    assert _stored() == before


def test_a_json_key_with_a_refused_character_refuses_the_file(trial, code):
    rows = [{"participant": code, "visit": "day0", "form": "vital_signs", **VITALS,
             "heart\u200b_rate": "80"}]
    response = _upload(_client(trial), json.dumps(rows), "json")
    assert response.status_code == 422
    assert f"row 1, column heart\\u200b_rate: {FORMAT_RULE}" in response.content.decode()
    assert not FormInstance.objects.exists()


def test_a_json_key_given_twice_refuses_the_file_naming_row_and_key(trial, code):
    first = json.dumps({"participant": code, "visit": "day0", "form": "vital_signs", **VITALS})
    # the second row names its participant twice: the last would win with json.loads
    second = first[:-1] + ', "participant": "CO-01-9999"}'
    client = _client(trial)  # signing in is audited
    before = _stored()
    response = _upload(client, f"[{first}, {second}]", "json")
    assert response.status_code == 422, response.content[:300]
    assert "row 2, column participant: appears more than once" in response.content.decode()
    assert _stored() == before


def test_a_clean_file_is_still_imported_tab_and_line_breaks_included(trial, code):
    rows = [{"participant": code, "visit": "day0", "form": "vital_signs", **VITALS,
             "reason": "typed\tfrom the\r\npaper CRF"}]
    response = _upload(_client(trial), json.dumps(rows), "json")
    assert response.status_code == 200, response.content[:300]
    assert FormInstance.objects.count() == 1


def test_the_api_import_names_row_and_column_for_csv_text(trial, code):
    # the API's schema refuses the whole text ("data"); either way nothing is stored
    response = trial.api(COORD).post("/api/v1/form-data/import", {
        "format": "csv", "data": HEADER + f"{code}\x00,day0,vital_signs,80,120,70,37.0\n"})
    assert response.status_code in (400, 422), response.content
    assert not FormInstance.objects.exists()
