"""Helpers of the monitoring tests: randomized participants with forms entered through the API,
a planned monitoring visit, and the API paths of records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from enrollment import randomize

MONITOR = "monitor"
RESPIRATORY_OK = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
VITALS_OK = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
VISITS = "/api/v1/monitoring/visits"


def form_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


def participant_with_forms(trial: Any, site: str = "co-01") -> str:
    """Randomize a participant at ``site`` and enter day 0 respiratory and vital signs."""
    investigator = trial.api(f"investigator-{site}")
    code, _kit = randomize(investigator)
    for form, values in (("respiratory", RESPIRATORY_OK), ("vital_signs", VITALS_OK)):
        response = investigator.put(form_path(code, "day0", form), {"values": values})
        assert response.status_code in (200, 201), response.content
    return code


def form_ref(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    from trialdesk.web.capture.models import FormInstance

    return str(FormInstance.objects.get(participant__code=code, visit=visit, form=form).pk)


def record_path(source: str, ref: str) -> str:
    return f"/api/v1/monitoring/records/{source}/{ref}"


def plan_visit(trial: Any, site: str = "CO-01", days: int = 0) -> int:
    """A monitoring visit of ``site``, planned ``days`` from today, by the monitor."""
    when = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()
    return trial.api(MONITOR).ok("POST", VISITS, {"site": site, "kind": "on_site",
                                                  "planned_date": when})["id"]
