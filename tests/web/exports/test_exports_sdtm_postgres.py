"""The SDTM and ADaM exports on PostgreSQL through the command line: participants randomized and
forms entered through the real server, then `trialdesk export` reads them back (its merge of
subjects and forms relies on the database's own order, whatever its collation)."""

from __future__ import annotations

import json

import pyreadstat
import pytest
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

from trialdesk.standards.sdtm.define import validate_define
from trialdesk.standards.sdtm.xpt import is_version_5

VITALS = {"heart_rate": 88, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.8}


@pytest.mark.postgres
def test_sdtm_and_adam_exports_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        # one request at a time and no task (the exports run from the command line below)
        with running(tmp_path, database, workers=1, threads=2, task_workers=0) as server:
            session = api_session(server.url, users["investigator-co-01"])
            codes = [enroll(session, server.url, index) for index in range(3)]
            for code in codes:
                base = f"{server.url}/api/v1/participants/{code}"
                session.post(f"{base}/randomize", json={}, timeout=60).raise_for_status()
                response = session.put(f"{base}/visits/day0/forms/vital_signs",
                                       json={"values": VITALS, "complete": True}, timeout=60)
                assert response.status_code in (200, 201), response.text
        out = {}
        for name in ("sdtm", "adam"):
            out[name] = tmp_path / f"out-{name}"
            result = trialdesk("export", name, "--out", str(out[name]), "--json", "--data-dir",
                               str(tmp_path), data_dir=tmp_path, database=database)
            assert json.loads(result.stdout)["allocation"] == "dummy"  # blinded trial
            validate_define(out[name] / "define.xml")
        dm, _ = pyreadstat.read_xport(str(out["sdtm"] / "dm.xpt"))
        assert sorted(dm["SUBJID"]) == sorted(codes)
        assert set(dm["ARMCD"]) <= {"DUMMY1", "DUMMY2"}
        vs, _ = pyreadstat.read_xport(str(out["sdtm"] / "vs.xpt"))
        assert sorted(vs.loc[vs["VSTESTCD"] == "PULSE", "USUBJID"].str[-len(codes[0]):]) == (
            sorted(codes))
        assert is_version_5(out["adam"] / "adsl.xpt")
        adsl, _ = pyreadstat.read_xport(str(out["adam"] / "adsl.xpt"))
        assert sorted(adsl["SUBJID"]) == sorted(codes)
    finally:
        drop_database(admin_url, database)
