"""The demo's outcome model (issue 13): control 28-day mortality about 40%, and with the realistic
effect fewer deaths and less IL-6 in the experimental arm. Drawn as the simulation draws them
(``new_patient``, ``draw_course``, the cytokines form's values), many patients, a fixed seed."""

from __future__ import annotations

import math
import random
import statistics

from trialdesk.web.simulation import nct04390152_model as model
from trialdesk.web.simulation.outcomes import HORIZON, draw_course

PATIENTS = 6000


def _arm(rng: random.Random, *, treated: bool) -> tuple[float, float]:
    """28-day mortality, and the day-7 geometric mean of IL-6 among survivors measured above
    the limit of quantification."""
    deaths, logs = 0, []
    for _ in range(PATIENTS):
        patient = model.new_patient(rng)
        patient.course = draw_course(rng, treated=treated, severe=patient.severe)
        if patient.course.death_day is not None:
            assert 1 <= patient.course.death_day <= HORIZON
            deaths += 1
            continue
        il6 = model.visit_values(rng, patient, "cytokines", 7, None, "", {})["il6"]
        if not isinstance(il6, str):  # "<LLOQ"
            logs.append(math.log(il6))
    return deaths / PATIENTS, math.exp(statistics.fmean(logs))


def test_control_mortality_is_about_40_percent_and_the_cells_lower_death_and_il6():
    rng = random.Random(13)
    control_deaths, control_il6 = _arm(rng, treated=False)
    cell_deaths, cell_il6 = _arm(rng, treated=True)
    assert 0.35 <= control_deaths <= 0.45, control_deaths
    # the realistic effect: a risk ratio near the model's 0.6, IL-6 about halved from day 3
    assert 0.5 <= cell_deaths / control_deaths <= 0.7, (cell_deaths, control_deaths)
    assert 0.4 <= cell_il6 / control_il6 <= 0.65, (cell_il6, control_il6)
