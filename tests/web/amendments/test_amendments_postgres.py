"""The amendment path on PostgreSQL, through the real server over HTTP (issue 17): an amendment
recorded (version 1 with it), one site's approval sent twice at once (one recorded, the other
told it exists: no server error, one row), a form saved afterwards at that site stamped with the
new version and one at the other site with the old, and a randomization change refused once a
participant is randomized, nothing stored; a consent on the old version no longer randomizes at
the approved site."""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from amendment_kit import AMENDMENTS, amended_text, randomization_changed_text
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    enroll,
    fetch,
    postgres_database,
    randomized,
    running,
    setup_demo,
)

VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.0}


@pytest.mark.postgres
def test_amendment_and_site_approval_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=2) as server:
            admin = api_session(server.url, users["admin"])
            site_a = api_session(server.url, users["investigator-co-01"])
            site_b = api_session(server.url, users["investigator-co-02"])
            today = dt.datetime.now(dt.UTC).date().isoformat()
            a = randomized(site_a, server.url, 1)
            b = randomized(site_b, server.url, 2)
            amended = admin.post(f"{server.url}{AMENDMENTS}", timeout=120, json={
                "toml_text": amended_text(), "effective_date": today, "reason": "Amendment 1"})
            assert amended.status_code == 201, amended.text
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda _: admin.post(
                    f"{server.url}{AMENDMENTS}/2/approvals", timeout=60,
                    json={"site": "CO-01", "approval_date": today}), range(2)))
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            assert fetch(tmp_path, database,
                         "SELECT count(*) FROM amendments_siteapproval") == [(1,)]

            # at CO-01 consent version 2.0 is now in force: a consent on 1.0 randomizes no more
            late = enroll(site_a, server.url, 3)
            refused_randomization = site_a.post(
                f"{server.url}/api/v1/participants/{late}/randomize", json={}, timeout=60)
            assert refused_randomization.status_code == 409
            assert refused_randomization.json()["error"] == "consent_version"
            form = "{}/api/v1/participants/{}/visits/day0/forms/vital_signs"
            refused = site_a.put(form.format(server.url, a), json={"values": VITALS,
                                                                   "complete": True}, timeout=60)
            assert refused.status_code == 422, refused.text
            assert site_a.put(form.format(server.url, a), timeout=60, json={
                "values": {**VITALS, "weight_kg": 72.5}, "complete": True}).status_code == 201
            assert site_b.put(form.format(server.url, b), timeout=60, json={
                "values": VITALS, "complete": True}).status_code == 201
            stamped = dict(fetch(tmp_path, database, (
                "SELECT p.code, f.protocol_version FROM capture_forminstance f "
                "JOIN trials_participant p ON p.id = f.participant_id")))
            assert stamped == {a: 2, b: 1}

            blocks = admin.post(f"{server.url}{AMENDMENTS}", timeout=120, json={
                "toml_text": randomization_changed_text(), "effective_date": today,
                "reason": "bigger blocks"})
            assert blocks.status_code == 422, blocks.text
            assert blocks.json()["fields"][0]["field"] == "design.randomization.block_sizes"
            assert fetch(tmp_path, database,
                         "SELECT number FROM amendments_protocolversion ORDER BY number") == [
                (1,), (2,)]
            actions = fetch(tmp_path, database, (
                "SELECT action FROM trials_auditrecord WHERE action IN ('record_protocol_version',"
                " 'amend_protocol', 'record_site_approval') ORDER BY seq"))
            assert actions == [("record_protocol_version",), ("amend_protocol",),
                               ("record_site_approval",)]
    finally:
        drop_database(admin_url, database)
