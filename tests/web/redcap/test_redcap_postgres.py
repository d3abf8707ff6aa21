"""The REDCap API on PostgreSQL through the real server: an import that fails on one row stores
nothing, a good one is counted, two imports at once both land (the writers take turns), exports in
flat and EAV shapes, the randomization and the log."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    enroll,
    fetch,
    postgres_database,
    running,
    setup_demo,
    trialdesk,
)

ROW = {"redcap_event_name": "screening_arm_1", "age": "54", "sex": "F",
       "demographics_complete": "2"}
FORMS = "SELECT count(*) FROM capture_forminstance"


@pytest.mark.postgres
def test_the_redcap_api_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        tokens = {name: trialdesk("users", "redcap-token", name, "--data-dir", str(tmp_path),
                                  data_dir=tmp_path, database=database).stdout.strip()
                  for name in ("investigator-co-01", "admin")}
        with running(tmp_path, database, workers=2, threads=2) as server:
            session = api_session(server.url, users["investigator-co-01"])
            codes = [enroll(session, server.url, index) for index in range(4)]
            url = server.url + "/redcap/api/"

            def call(who: str, **params: str) -> requests.Response:
                return requests.post(url, data={"token": tokens[who], **params}, timeout=120)

            def send(rows: list[dict]) -> requests.Response:
                return call("investigator-co-01", content="record", format="json",
                            data=json.dumps(rows))

            bad = send([{"record_id": codes[0], **ROW}, {"record_id": codes[1], **ROW,
                                                        "sex": "X"}])
            assert bad.status_code == 400 and bad.json()["rows"][0]["field"] == "sex"
            assert fetch(tmp_path, database, FORMS) == [(0,)]
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(send, [[{"record_id": codes[0], **ROW}],
                                               [{"record_id": codes[1], **ROW}]]))
            assert [a.json() for a in answers] == [{"count": 1}, {"count": 1}]
            assert fetch(tmp_path, database, FORMS) == [(2,)]
            flat = call("investigator-co-01", content="record", format="json",
                        forms="demographics").json()
            assert {(r["record_id"], r["age"]) for r in flat} == {
                (codes[0], "54"), (codes[1], "54"), (codes[2], ""), (codes[3], "")}
            eav = call("investigator-co-01", content="record", format="json", type="eav",
                       records=codes[0]).json()
            assert any(r["field_name"] == "sex" and r["value"] == "F" for r in eav)
            randomized = call("investigator-co-01", content="record", action="randomize",
                              record=codes[2], returnAlt="true", returnFormat="json")
            assert randomized.status_code == 200 and randomized.json()["target_field_alt"] == "*"
            log = call("admin", content="log", format="json", record=codes[0]).json()
            assert {row["record"] for row in log} == {codes[0]}
            assert any(row["action"].startswith("save_form") for row in log)
    finally:
        drop_database(admin_url, database)
