"""The ODM, CSV and FHIR exports on PostgreSQL through the command line: forms entered and
corrected through the real server, then `trialdesk export` reads them back batch by batch."""

from __future__ import annotations

import csv
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    enroll,
    postgres_database,
    running,
    setup_demo,
    trialdesk,
)

from trialdesk.standards.odm import validate_odm

FIRST = {"age": 54, "sex": "F", "weight": 70.5, "height": 162}


@pytest.mark.postgres
def test_odm_csv_and_fhir_exports_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        # one request at a time and no task (the exports run from the command line below)
        with running(tmp_path, database, workers=1, threads=2, task_workers=0) as server:
            session = api_session(server.url, users["investigator-co-01"])
            codes = [enroll(session, server.url, index) for index in range(2)]
            path = f"{server.url}/api/v1/participants/{codes[0]}/visits/screening/forms/" \
                   "demographics"
            for body in ({"values": FIRST, "complete": True},
                         {"values": {**FIRST, "age": 55}, "complete": True,
                          "reason": "age misread"}):
                response = session.put(path, json=body, timeout=60)
                assert response.status_code in (200, 201), response.text
        out = {}
        for name in ("odm", "csv", "fhir"):
            out[name] = tmp_path / f"out-{name}"
            result = trialdesk("export", name, "--out", str(out[name]), "--json", "--data-dir",
                               str(tmp_path), data_dir=tmp_path, database=database)
            assert json.loads(result.stdout)["allocation"] == "dummy"  # blinded trial
        odm = out["odm"] / "trialdesk-odm-1.3.2.xml"
        assert validate_odm(odm) == []
        text = odm.read_text(encoding="utf-8")
        assert text.count("<SubjectData") == 2
        assert 'Value="55"' in text and "<ReasonForChange>age misread</ReasonForChange>" in text
        with (out["csv"] / "forms" / "demographics.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [(row["participant"], row["age"], row["version"]) for row in rows] == [
            (codes[0], "55", "2")]
        bundle = Bundle.model_validate_json(
            (out["fhir"] / "trialdesk-fhir-r4-bundle.json").read_text(encoding="utf-8"))
        subjects = [e.resource for e in bundle.entry
                    if e.resource.get_resource_type() == "ResearchSubject"]
        assert sorted(s.identifier[0].value for s in subjects) == sorted(codes)
        assert all(s.assignedArm is None for s in subjects)  # consented, not randomized
    finally:
        drop_database(admin_url, database)
