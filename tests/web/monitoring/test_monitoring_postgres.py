"""Source data verification on PostgreSQL, through the real server (``trialdesk serve``) over
HTTP: a monitor plans a visit and verifies a form; the values come back from JSONB (keys
reordered, numbers re-read) and must still hash as verified; a correction reopens the field; the
visit is closed (a row locked FOR UPDATE) and its letter generated."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    api_session,
    demo_users,
    enroll,
    fetch,
    fresh_postgres_database,
    running,
    setup_demo,
)

VITALS = {"temperature": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70}
TIMEOUT = 120  # a loaded 2-core machine: generous, never asserted on


@pytest.mark.postgres
def test_verification_on_postgresql_through_the_real_server(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=2, task_workers=0) as server:
            url = server.url
            investigator = api_session(url, users["investigator-co-01"])
            monitor = api_session(url, users["monitor"])
            code = enroll(investigator, url, 1)
            assert investigator.post(f"{url}/api/v1/participants/{code}/randomize", json={},
                                     timeout=TIMEOUT).status_code == 201
            form = f"{url}/api/v1/participants/{code}/visits/day0/forms/vital_signs"
            assert investigator.put(form, json={"values": VITALS},
                                    timeout=TIMEOUT).status_code == 201
            today = dt.datetime.now(dt.UTC).date().isoformat()
            visit = monitor.post(f"{url}/api/v1/monitoring/visits", timeout=TIMEOUT, json={
                "site": "CO-01", "kind": "on_site", "planned_date": today})
            assert visit.status_code == 201, visit.text
            visit_id = visit.json()["id"]
            [[ref]] = fetch(tmp_path, database,
                            "SELECT id FROM capture_forminstance WHERE form = 'vital_signs'")
            record = f"{url}/api/v1/monitoring/records/form/{ref}"
            verified = monitor.post(f"{record}/verification", timeout=TIMEOUT,
                                    json={"visit": visit_id, "status": "verified"})
            assert verified.status_code == 201, verified.text
            assert monitor.get(record, timeout=TIMEOUT).json()["state"] == "verified"
            changed = investigator.put(form, timeout=TIMEOUT, json={
                "values": {**VITALS, "heart_rate": 82}, "reason": "re-read from the monitor"})
            assert changed.status_code == 200, changed.text
            fields = {f["field"]: f["state"]
                      for f in monitor.get(record, timeout=TIMEOUT).json()["fields"]}
            assert fields["heart_rate"] == "changed" and fields["temperature"] == "verified"
            done = monitor.patch(f"{url}/api/v1/monitoring/visits/{visit_id}", timeout=TIMEOUT,
                                 json={"status": "done", "summary": "Vital signs verified."})
            assert done.status_code == 200, done.text
            letter = monitor.get(f"{url}/api/v1/monitoring/visits/{visit_id}/letter",
                                 timeout=TIMEOUT)
            assert letter.status_code == 200 and "Vital signs verified." in letter.text
            progress = monitor.get(f"{url}/api/v1/monitoring/progress", timeout=TIMEOUT)
            assert progress.status_code == 200 and progress.json()["total"]["planned"] >= 2
