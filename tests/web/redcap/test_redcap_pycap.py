"""PyCap (pinned, 2.7.0) against a real trial server: the scripts analysts already have, unchanged.

The token comes from the command line (``trialdesk users redcap-token``), as the administrator
would give it; the participant is enrolled through the JSON API.
"""

from __future__ import annotations

import pytest
import requests
from live_server import api_session, demo_users, enroll, running, setup_demo, trialdesk
from redcap import Project
from redcap.request import RedcapError

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.protocol import default_protocol_path, load_protocol

GOOD = {"redcap_event_name": "screening_arm_1", "age": "54", "sex": "F", "height": "165",
        "demographics_complete": "2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("redcap-pycap")
    setup_demo(data_dir, slots_per_stratum=8)
    users = demo_users(data_dir)
    redcap_tokens = {name: trialdesk("users", "redcap-token", name, "--data-dir", str(data_dir),
                                     data_dir=data_dir).stdout.strip()
                     for name in ("investigator-co-01", "analyst")}
    with running(data_dir, workers=1, threads=2) as live:
        session = api_session(live.url, users["investigator-co-01"])
        codes = [enroll(session, live.url, index) for index in range(2)]
        yield live, data_dir, redcap_tokens, codes


def test_pycap_reads_the_projects_structure(server):
    live, _, tokens, _ = server
    project = Project(live.url + "/redcap/api/", tokens["analyst"])
    assert project.is_longitudinal is True
    assert project.def_field == "record_id"
    metadata = project.export_metadata()
    assert metadata[0]["field_name"] == "record_id"
    frame = project.export_metadata(format_type="df")
    assert frame.loc["age", "text_validation_type_or_show_slider_number"] == "integer"
    info = project.export_project_info()
    assert info["is_longitudinal"] == 1
    names = project.export_field_names()
    assert {"original_field_name": "demographics_complete", "choice_value": "",
            "export_field_name": "demographics_complete"} in names
    mapping = project.export_instrument_event_mappings()
    assert {"arm_num": 1, "unique_event_name": "day0_arm_1", "form": "randomization"} in mapping
    assert project.export_arms() == [{"arm_num": 1, "name": "Arm 1"}]
    assert str(project.export_version()) == "14.7.0"


def test_pycap_imports_all_or_nothing_and_exports_json_and_data_frames(server):
    live, _, tokens, codes = server
    investigator = Project(live.url + "/redcap/api/", tokens["investigator-co-01"])
    first, second = codes
    with pytest.raises(RedcapError) as refused:
        investigator.import_records([{"record_id": first, **GOOD},
                                     {"record_id": second, **GOOD, "age": "300"}])
    assert "age" in str(refused.value) and "nothing was imported" in str(refused.value)
    rows = investigator.export_records(records=[first, second], forms=["demographics"])
    assert all(row["age"] == "" for row in rows)  # nothing stored
    assert investigator.import_records([{"record_id": first, **GOOD},
                                        {"record_id": second, **GOOD}]) == {"count": 2}
    rows = investigator.export_records(records=[first], forms=["demographics"])
    assert rows[0]["age"] == "54" and rows[0]["demographics_complete"] == "2"
    frame = investigator.export_records(format_type="df", forms=["demographics"])
    assert frame.loc[(first, "screening_arm_1"), "age"] == 54
    assert set(frame.index.get_level_values(0)) == set(codes)


def test_a_blinded_token_never_sees_an_arm(server):
    live, _, tokens, codes = server
    investigator = Project(live.url + "/redcap/api/", tokens["investigator-co-01"])
    answer = requests.post(live.url + "/redcap/api/", timeout=60, data={
        "token": tokens["investigator-co-01"], "content": "record", "action": "randomize",
        "record": codes[0], "randomization_id": "1", "returnAlt": "true", "format": "json",
        "returnFormat": "json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["target_field_alt"] == "*"
    texts = arm_revealing_texts(load_protocol(default_protocol_path()), ["en", "es"])
    analyst = Project(live.url + "/redcap/api/", tokens["analyst"])
    for project in (investigator, analyst):
        exported = project.export_records(format_type="csv")
        assert answer.json()["target_field"] in exported
        assert find_leaks(exported, texts) == []
        arms = {arm for arm in ("msc", "standard") if f",{arm}," in exported}
        assert arms == set()


def test_a_revoked_token_is_refused(server):
    live, data_dir, tokens, _ = server
    trialdesk("users", "redcap-token", "analyst", "--revoke", "--data-dir", str(data_dir),
              data_dir=data_dir)
    project = Project(live.url + "/redcap/api/", tokens["analyst"])
    with pytest.raises(RedcapError):
        project.export_metadata()
    status = requests.post(live.url + "/redcap/api/", timeout=60,
                           data={"token": tokens["analyst"], "content": "version"})
    assert status.status_code == 401
