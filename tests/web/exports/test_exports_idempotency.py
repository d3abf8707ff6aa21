"""Issue 12: starting an export takes an idempotency key (``core.idempotency``): a retry answers
the first job and queues none; the key is its user's own, so the DSMB statistician's job (the
real arms) is never the answer another role gets for the same key."""

from __future__ import annotations

import pytest
from idempotency import assert_idempotent

from trialdesk.web.exports.models import ExportJob

EXPORTS = "/api/v1/exports"


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))


def test_a_retried_export_starts_one_job(trial):
    job = assert_idempotent(trial.api("analyst"), EXPORTS, {"format": "adam"},
                            counted=(ExportJob,), other_body={"format": "sdtm"})
    assert job["allocation"] == "dummy"
    assert [str(pk) for pk in ExportJob.objects.values_list("pk", flat=True)] == [job["id"]]


def test_another_role_with_the_same_key_gets_its_own_job_never_the_unblinded_one(trial):
    body = {"format": "adam", "idempotency_key": "export-key-01"}
    real = trial.api("dsmb_statistician").post(EXPORTS, body)
    assert real.status_code == 201 and real.json()["allocation"] == "real"
    blinded = trial.api("analyst").post(EXPORTS, body)
    assert blinded.status_code == 201, blinded.content
    assert blinded.json()["allocation"] == "dummy" and blinded.json()["id"] != real.json()["id"]
