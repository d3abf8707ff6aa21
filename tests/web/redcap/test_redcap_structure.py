"""The protocol as a REDCap project: data dictionary, instruments, events, arm, sites, version."""

from __future__ import annotations

import pytest
from redcap_kit import client_of

from trialdesk.web.core.protocol import get_protocol


@pytest.fixture
def analyst(trial):
    return client_of(trial.users["analyst"])


def test_version_is_plain_text(analyst):
    response = analyst.post(content="version")
    assert response.status_code == 200
    assert response.content == b"14.7.0"


def test_metadata_has_the_record_id_first_then_every_field_in_form_order(analyst):
    rows = analyst.json(content="metadata")
    protocol = get_protocol()
    assert rows[0]["field_name"] == "record_id"
    assert rows[0]["form_name"] == protocol.forms[0].code
    expected = [f.code for form in protocol.forms for f in form.fields]
    names = [row["field_name"] for row in rows]
    assert names[1:1 + len(expected)] == expected
    assert names[1 + len(expected):] == ["rand_number", "rand_kit_code", "rand_datetime"]
    assert len(set(names)) == len(names)  # REDCap field names are unique across instruments
    by_name = {row["field_name"]: row for row in rows}
    assert by_name["pregnant"]["field_type"] == "yesno"
    assert by_name["pregnant"]["select_choices_or_calculations"] == "0, No|1, Yes"
    assert by_name["sex"]["field_type"] == "radio"
    assert by_name["sex"]["select_choices_or_calculations"].startswith("F, ")
    assert by_name["age"]["text_validation_type_or_show_slider_number"] == "integer"
    assert (by_name["age"]["text_validation_min"], by_name["age"]["text_validation_max"]) == (
        "0", "120")
    assert by_name["age"]["required_field"] == "y" and by_name["weight"]["required_field"] == ""
    assert by_name["fio2"]["text_validation_type_or_show_slider_number"] == "number"
    assert by_name["ae_onset_date"]["text_validation_type_or_show_slider_number"] == "date_ymd"
    assert by_name["sofa_total"]["field_type"] == "calc"


def test_metadata_filtered_by_form_and_unknown_names_refused(analyst):
    rows = analyst.json(content="metadata", **{"forms[0]": "sofa"})
    assert {row["form_name"] for row in rows} == {"sofa"}
    response = analyst.post(content="metadata", format="json", fields="nope")
    assert response.status_code == 400
    assert "nope" in response.json()["error"]


def test_events_are_the_visits_and_the_mapping_is_the_schedule(analyst):
    protocol = get_protocol()
    events = analyst.json(content="event")
    assert [e["unique_event_name"] for e in events] == [
        *(f"{v.code}_arm_1" for v in protocol.visits), "log_arm_1"]
    mapping = analyst.json(content="formEventMapping")
    day0 = {m["form"] for m in mapping if m["unique_event_name"] == "day0_arm_1"}
    assert day0 == {*next(v for v in protocol.visits if v.code == "day0").forms, "randomization"}
    assert {m["arm_num"] for m in mapping} == {1}
    log = {m["form"] for m in mapping if m["unique_event_name"] == "log_arm_1"}
    assert log == {"adverse_event", "concomitant_medication", "ventilation_episode"}


def test_one_arm_never_the_allocation_groups(analyst):
    assert analyst.json(content="arm") == [{"arm_num": 1, "name": "Arm 1"}]
    text = analyst.post(content="arm", format="csv").content.decode()
    for arm in get_protocol().design.arms:
        assert arm.code not in text and arm.label.text("en") not in text


def test_field_names_include_each_forms_complete_field(analyst):
    rows = analyst.json(content="exportFieldNames")
    names = [row["export_field_name"] for row in rows]
    assert names[0] == "record_id"
    assert "demographics_complete" in names and "randomization_complete" in names
    assert names.index("demographics_complete") == names.index("height") + 1


def test_project_instruments_and_dags(analyst):
    project = analyst.json(content="project")
    assert project["is_longitudinal"] == 1 and project["randomization_enabled"] == 1
    instruments = analyst.json(content="instrument")
    assert instruments[0]["instrument_name"] == get_protocol().forms[0].code
    dags = analyst.json(content="dag")
    assert {d["unique_group_name"] for d in dags} >= {"co_01", "co_02"}


def test_csv_and_xml_shapes(analyst):
    csv_text = analyst.post(content="instrument", format="csv").content.decode()
    assert csv_text.splitlines()[0] == "instrument_name,instrument_label"
    xml = analyst.post(content="instrument").content.decode()  # xml when format is absent
    assert xml.startswith("<?xml") and "<instrument_name>demographics</instrument_name>" in xml


def test_an_unknown_field_name_is_an_error_not_an_empty_list(analyst):
    assert analyst.json(content="exportFieldNames", field="age") == [
        {"original_field_name": "age", "choice_value": "", "export_field_name": "age"}]
    response = analyst.post(content="exportFieldNames", format="json", field="nope")
    assert response.status_code == 400 and response.json()["error"] == "field: no field nope"


def test_the_project_is_not_imported(trial):
    admin = client_of(trial.users["admin"])
    for params in ({"action": "import"}, {"data": '{"project_title": "x"}'}):
        response = admin.post(content="project", format="json", **params)
        assert response.status_code == 403 and "not imported" in response.json()["error"]


def test_csv_delimiter_of_every_csv_answer(analyst):
    tab = analyst.post(content="instrument", format="csv", csvDelimiter="tab").content.decode()
    assert tab.splitlines()[0] == "instrument_name\tinstrument_label"
    semicolon = analyst.post(content="project", format="csv", csvDelimiter=";").content.decode()
    assert semicolon.startswith("project_id;project_title;")
    refused = analyst.post(content="instrument", format="json", csvDelimiter="x")
    assert refused.status_code == 400 and "csvDelimiter" in refused.json()["error"]
