"""Shared by the export tests: a small trial with data, jobs run in the test's thread."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from api_client import ApiClient
from enrollment import randomize

from trialdesk.web.exports import api, views
from trialdesk.web.trials.models import Randomization
from trialdesk.web.worker.runner import run_ready

COORD = "coordinator-co-01"
INVESTIGATOR = "investigator-co-01"


def enter_trial(trial, participants: int = 4) -> list[str]:
    """``participants`` randomized 30 days ago at CO-01, each with demographics, vital signs,
    cytokines (IL-6 below its LLOQ), an infusion, an adverse event, a medication and an
    end-of-study form (the first dead on day 5, the others alive)."""
    codes = []
    for index in range(participants):
        code, _ = randomize(ApiClient(trial.users[INVESTIGATOR]), days_ago=30)
        day0 = Randomization.objects.get(participant__code=code).randomized_at.date()
        api = ApiClient(trial.users[COORD])
        base = f"/api/v1/participants/{code}/visits"
        dead = index == 0
        eos = ({"vital_status_day28": "dead", "death_date": str(day0 + dt.timedelta(days=5))}
               if dead else {"vital_status_day28": "alive"})
        for path, values in (
            ("day0/forms/vital_signs", {"heart_rate": 88, "systolic_bp": 120,
                                        "diastolic_bp": 70, "temperature": 37.8}),
            ("day0/forms/cytokines", {"il1b": 2.5, "il6": "<1.5", "tnf_alpha": 12,
                                      "il10": 14.25}),
            ("day0/forms/laboratory", {"crp": 120.5, "ferritin": 900, "d_dimer": 1500,
                                       "lymphocytes": 0.6}),
            ("log/forms/ventilation_episode", {
                "ventilation_start": f"{day0 - dt.timedelta(days=1)}T08:00",
                "ventilation_stop": f"{day0 + dt.timedelta(days=9)}T11:00",
                "ventilation_episode_mode": "ett"}),
            ("log/forms/concomitant_medication", {
                "cm_name": "Dexamethasone", "cm_indication": "ARDS", "cm_route": "iv",
                "cm_start_date": str(day0 - dt.timedelta(days=2))}),
            ("log/forms/adverse_event", {
                "ae_term": "Hypotension", "ae_onset_date": str(day0 + dt.timedelta(days=1)),
                "ae_grade": "2", "ae_serious": False, "ae_relatedness": "possible",
                "ae_outcome": "recovered"}),
            ("day28/forms/end_of_study", eos),
        ):
            response = api.put(f"{base}/{path}", {"values": values, "complete": True})
            assert response.status_code in (200, 201), (path, response.content)
        codes.append(code)
    return codes


def run_jobs_inline(monkeypatch) -> None:
    """Run a started job's task at once in the test's thread, as the worker would (a worker
    would not see the test's uncommitted rows): the API and the page answer a finished job."""
    for module in (api, views):
        start = module.do_start_export

        def start_and_run(*args, start=start, **kwargs):
            job = start(*args, **kwargs)
            run_ready()
            job.refresh_from_db()
            return job

        monkeypatch.setattr(module, "do_start_export", start_and_run)


def download(api: ApiClient, job_id: str) -> dict[str, bytes]:
    response = api.get(f"/api/v1/exports/{job_id}/download")
    assert response.status_code == 200, response
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def read_xpt(data: bytes, folder: Path, name: str):
    import pyreadstat

    path = folder / name
    path.write_bytes(data)
    frame, meta = pyreadstat.read_xport(str(path))
    return frame, meta
