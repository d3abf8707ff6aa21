"""A small trial built through the server's real actions, with the values the tests expect back.

Participants are screened, consented and randomized through the API, and their forms are imported
through the bulk import (each row goes through ``do_save_form``). The values are drawn from a fixed
seed and kept in ``Built.entered`` so a test can redo every analysis from what it entered.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from eligible import ELIGIBLE_VALUES
from enrollment import randomize, screen

from trialdesk.web.worker.runner import run_ready

SITES = ("co-01", "co-02")
CYTOKINE_DAYS = {"day0": 0, "day3": 3, "day7": 7, "day14": 14}


@dataclass
class Built:
    codes: list[str] = field(default_factory=list)
    randomized_on: dict[str, dt.date] = field(default_factory=dict)
    entered: dict[str, dict[str, Any]] = field(default_factory=dict)


def _forms(rng: random.Random, code: str, kit: str, randomized: dt.date, index: int
           ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the import rows of one participant and the values a test needs."""
    day = randomized.isoformat()
    pao2_0, pao2_7 = rng.randint(55, 90), rng.randint(60, 200)
    dead = index % 4 == 1
    lost = index == 6
    rows = [
        {"visit": "day0", "form": "respiratory", "pao2": pao2_0, "fio2": 0.8, "peep": 10,
         "ventilation_mode": "imv"},
        {"visit": "day7", "form": "respiratory", "pao2": pao2_7, "fio2": 0.5, "peep": 8,
         "ventilation_mode": "imv"},
    ]
    if index != 3:  # one participant without an infusion form
        rows.append({"visit": "day1", "form": "infusion", "kit_code": kit,
                     "infusion_start": f"{randomized + dt.timedelta(days=1)}T10:00",
                     "infusion_end": f"{randomized + dt.timedelta(days=1)}T11:00",
                     "infusion_reaction": False})
    cytokines = {}
    for visit, offset in CYTOKINE_DAYS.items():
        values = {"il1b": round(rng.uniform(1, 40), 2), "il6": round(rng.uniform(5, 400), 2),
                  "tnf_alpha": round(rng.uniform(2, 60), 2), "il10": round(rng.uniform(1, 90), 2)}
        if index == 2 and visit == "day3":
            values["il6"] = "<LLOQ"  # below the assay's limit: stored censored at 1.5 pg/mL
        cytokines[offset] = values
        rows.append({"visit": visit, "form": "cytokines", **values})
    death_day = rng.randint(3, 20) if dead else None
    vfd = 0 if dead else rng.randint(5, 26)
    # the ventilation record the end-of-study form derives ventilator-free days from: intubated
    # the day before randomization, extubated on day 27 - vfd (days 0 to 27 - vfd ventilated)
    stop_day = death_day if dead else 12 if lost else 27 - vfd
    rows.append({"visit": "log", "form": "ventilation_episode", "seq": 1,
                 "ventilation_start": f"{randomized - dt.timedelta(days=1)}T08:00",
                 "ventilation_stop": f"{randomized + dt.timedelta(days=stop_day)}T10:00",
                 "ventilation_episode_mode": "ett"})
    if lost:
        eos = {"vital_status_day28": "unknown",
               "last_contact_date": (randomized + dt.timedelta(days=12)).isoformat()}
    elif dead:
        eos = {"vital_status_day28": "dead",
               "death_date": (randomized + dt.timedelta(days=death_day)).isoformat()}
    else:
        eos = {"vital_status_day28": "alive"}
    rows.append({"visit": "day28", "form": "end_of_study", **eos})
    if index % 3 == 0:
        rows.append({"visit": "log", "form": "adverse_event", "ae_term": "Fever",
                     "ae_onset_date": day, "ae_grade": "3" if index % 2 else "2",
                     "ae_serious": index % 2 == 1, "ae_relatedness": "possible"})
    for row in rows:
        row.update(participant=code, complete=True)
    entered = {"pf0": round(pao2_0 / 0.8), "pf7": round(pao2_7 / 0.5), "cytokines": cytokines,
               "dead": None if lost else int(dead), "vfd": None if lost else vfd,
               "death_day": death_day, "lost_day": 12 if lost else None}
    return rows, entered


def build_trial(trial: Any, *, per_site: int = 7, seed: int = 7) -> Built:
    """Randomize ``per_site`` participants at each of two sites, screen an ineligible patient and
    an eligible one without consent, and enter every outcome form through the bulk import."""
    from trialdesk.web.trials.models import Randomization

    rng = random.Random(seed)
    built = Built()
    for s, site in enumerate(SITES):
        investigator = trial.api(f"investigator-{site}")
        screen(investigator, {**ELIGIBLE_VALUES, "age": 16})  # not eligible
        screen(investigator)  # eligible, never consented
        rows = []
        for i in range(per_site):
            code, kit = randomize(investigator)
            # Test set-up only: spread the randomizations over past weeks, as a real trial would.
            when = timezone.now() - dt.timedelta(days=60 - 4 * i - s)
            Randomization.objects.filter(participant__code=code).update(randomized_at=when)
            form_rows, entered = _forms(rng, code, kit, when.date(), i)
            rows += form_rows
            built.codes.append(code)
            built.randomized_on[code] = when.date()
            built.entered[code] = entered
        body = investigator.post("/api/v1/form-data/import",
                                 {"format": "json", "data": rows}).json()
        assert body["errors"] == [] and body["saved"] == len(rows), body
    return built



def generated(client: Any, path: str = "/reports/") -> Any:
    """The report's button pressed as ``client``'s reader (issue 20: it queues a task), the task
    run here as a worker would, then ``path`` as the reader opens it."""
    queued = client.post("/reports/")
    assert queued.status_code == 302 and queued.url.startswith("/reports/jobs/"), queued
    assert run_ready() >= 1  # with any e-mail the trial's actions queued
    return client.get(path)
