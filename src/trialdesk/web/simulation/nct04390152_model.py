"""The clinical value model of the bundled protocol, NCT04390152 (COVID-19 ARDS, MSC vs standard).

The one module of the simulator that names the protocol's field codes: a latent patient (age, sex,
body size, baseline PaO2/FiO2) whose P/F ratio, ventilation, SOFA, laboratory values and cytokines
(log-normal; below the assay's lower limit of quantification entered as "<LLOQ", stored censored)
and its invasive ventilation episodes (intubated before randomization, extubated as the course
says, now and then reintubated; the end-of-study form derives the ventilator-free days) evolve
over the visits, better with a real cell effect and worse towards a death. Forms and fields it does
not know get values from the protocol's types and ranges (``values.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation.outcomes import Course

INELIGIBLE_SHARE = 0.28
# (criterion spoiled, weight): why screened ICU patients fail, roughly as often as in ARDS trials
SPOILERS = [("pf", 4), ("pcr", 3), ("cardiac", 2), ("malignancy", 2), ("other_trial", 2),
            ("moribund", 1), ("age", 1), ("pregnant", 1)]
# the cytokines the model draws; their limits of quantification are the protocol's (lloq)
LOQ_FIELDS = ("il1b", "il6", "tnf_alpha", "il10")
# forms whose empty fields mean something (an empty stop: ongoing): never left out at random
NOTHING_LEFT_OUT = ("ventilation_episode",)
REINTUBATION = 0.12  # survivors extubated, then reintubated two days later
CYTOKINE_MEDIAN_DAY0 = {"il1b": 2.0, "il6": 60.0, "tnf_alpha": 12.0, "il10": 14.0}
CYTOKINE_EFFECT = {"il1b": 0.6, "il6": 0.5, "tnf_alpha": 0.6, "il10": 1.5}  # treated, from day 3
AE_TERMS = [("Hypotension", "2"), ("Acute kidney injury", "3"), ("Ventilator-associated pneumonia",
            "3"), ("Hyperglycaemia", "1"), ("Atrial fibrillation", "2"), ("Delirium", "2"),
            ("Anaemia", "1"), ("Pressure ulcer", "1"), ("Fever", "1")]
CONMEDS = [("Dexamethasone", "COVID-19 ARDS", "iv"), ("Enoxaparin", "Thromboprophylaxis", "sc"),
           ("Propofol", "Sedation", "iv"), ("Fentanyl", "Analgesia", "iv"),
           ("Norepinephrine", "Vasopressor support", "iv"), ("Omeprazole", "Stress ulcer", "iv"),
           ("Ceftriaxone", "Suspected bacterial pneumonia", "iv"), ("Insulin", "Glycaemia", "sc")]


@dataclass
class Patient:
    age: int
    sex: str
    weight: float
    height: int
    pao2: float
    fio2: float
    peep: float
    cytokine_scale: dict[str, float]
    course: Course | None = None

    @property
    def pf0(self) -> float:
        return self.pao2 / self.fio2

    @property
    def severe(self) -> bool:
        return self.pf0 <= 100


def new_patient(rng: random.Random) -> Patient:
    sex = rng.choice("MMF")  # about two men for each woman in COVID-19 ICUs
    height = int(rng.gauss(172 if sex == "M" else 160, 7))
    bmi = rng.gauss(29, 5)
    fio2 = round(rng.uniform(0.5, 1.0), 2)
    pf = max(55.0, rng.gauss(135, 45))
    return Patient(
        age=max(18, min(92, int(rng.gauss(60, 13)))), sex=sex,
        weight=round(max(45.0, bmi * (height / 100) ** 2), 1), height=height,
        pao2=float(round(pf * fio2)), fio2=fio2, peep=float(rng.randint(8, 16)),
        cytokine_scale={code: math.exp(rng.gauss(0, 0.8)) for code in LOQ_FIELDS},
    )


def screening_values(rng: random.Random, patient: Patient) -> tuple[dict[str, Any], str | None]:
    """The screening answers; about ``INELIGIBLE_SHARE`` fail one criterion (returned)."""
    values: dict[str, Any] = {
        "age": patient.age, "sars_cov2_pcr": "positive", "onset_within_week": True,
        "bilateral_opacities": True, "cardiac_failure_explains": False, "pregnant": False,
        "active_malignancy": False, "expected_death_24h": False,
        "other_interventional_trial": False, "pao2": patient.pao2, "fio2": patient.fio2,
        "peep": patient.peep,
    }
    if rng.random() >= INELIGIBLE_SHARE:
        return values, None
    spoiler = rng.choices([s for s, _ in SPOILERS], weights=[w for _, w in SPOILERS])[0]
    if spoiler == "pf":
        values["pao2"], values["fio2"] = float(rng.randint(130, 200)), 0.4
    elif spoiler == "pcr":
        values["sars_cov2_pcr"] = rng.choice(["negative", "pending"])
    elif spoiler == "cardiac":
        values["cardiac_failure_explains"] = True
    elif spoiler == "malignancy":
        values["active_malignancy"] = True
    elif spoiler == "other_trial":
        values["other_interventional_trial"] = True
    elif spoiler == "moribund":
        values["expected_death_24h"] = True
    elif spoiler == "age":
        values["age"] = rng.randint(15, 17)
    else:
        values["pregnant"], patient.sex = True, "F"
    return values, spoiler


def _pf(rng: random.Random, patient: Patient, day: int) -> float:
    course = patient.course
    if day <= 0 or course is None:
        return patient.pf0
    if course.death_day is not None:  # worsening towards the death
        share = min(1.0, day / max(course.death_day, 1))
        pf = patient.pf0 + (60 - patient.pf0) * share
    else:
        tau = 5.0 if course.treated else 7.5
        pf = patient.pf0 + (320 - patient.pf0) * (1 - math.exp(-day / tau))
    return max(45.0, pf * math.exp(rng.gauss(0, 0.12)))


def _respiratory(rng: random.Random, patient: Patient, day: int) -> dict[str, Any]:
    if day <= 0:
        return {"pao2": patient.pao2, "fio2": patient.fio2, "peep": patient.peep,
                "ventilation_mode": "imv"}
    pf = _pf(rng, patient, day)
    fio2 = round(min(1.0, max(0.3, 0.3 + (300 - pf) / 300 * 0.7)), 2)
    on_ventilator = patient.course is None or day < patient.course.ventilation_days
    mode = "imv" if on_ventilator else rng.choice(["niv", "cpap"])
    peep = float(rng.randint(6, 14) if on_ventilator else rng.randint(4, 8))
    return {"pao2": float(round(min(pf * fio2, 600))), "fio2": fio2, "peep": peep,
            "ventilation_mode": mode}


def _cytokines(rng: random.Random, patient: Patient, day: int) -> dict[str, Any]:
    course = patient.course
    values = {}
    for code, median in CYTOKINE_MEDIAN_DAY0.items():
        level = median * patient.cytokine_scale[code]
        dying = course is not None and course.death_day is not None
        if day > 0 and not dying:
            level *= math.exp(-day / 10) if code != "il10" else 1.0
        if day >= 3 and course is not None and course.treated:
            level *= CYTOKINE_EFFECT[code]
        level *= math.exp(rng.gauss(0, 0.35))
        lloq = get_protocol().all_fields()[code].lloq
        values[code] = "<LLOQ" if lloq is not None and round(level, 2) < lloq else round(level, 2)
    return values


def _labs(rng: random.Random, day: int, improving: bool) -> dict[str, Any]:
    trend = math.exp(-day / 8) if improving else 1.1
    return {"crp": rng.lognormvariate(math.log(150 * trend + 5), 0.5),
            "ferritin": rng.lognormvariate(math.log(1100), 0.6),
            "d_dimer": rng.lognormvariate(math.log(1400), 0.7),
            "lymphocytes": max(0.1, rng.gauss(0.7 + (0.05 * day if improving else 0), 0.25))}


def _sofa(rng: random.Random, respiratory: dict[str, Any]) -> dict[str, Any]:
    pf = respiratory["pao2"] / respiratory["fio2"]
    resp = 4 if pf < 100 else 3 if pf < 200 else 2 if pf < 300 else 1 if pf < 400 else 0
    if respiratory["ventilation_mode"] != "imv":
        resp = min(resp, 2)  # 3 and 4 need ventilatory support
    ventilated = respiratory["ventilation_mode"] == "imv"
    return {"sofa_respiration": resp, "sofa_coagulation": rng.choice([0, 0, 1, 2]),
            "sofa_liver": rng.choice([0, 0, 0, 1]),
            "sofa_cardiovascular": rng.choice([0, 1, 3, 4] if ventilated else [0, 0, 1]),
            "sofa_cns": rng.choice([2, 3, 4] if ventilated else [0, 0, 1]),
            "sofa_renal": rng.choice([0, 0, 1, 2])}


def _vitals(rng: random.Random, improving: bool) -> dict[str, Any]:
    systolic = int(rng.gauss(122 if improving else 108, 15))
    return {"heart_rate": int(rng.gauss(92, 14)), "systolic_bp": systolic,
            "diastolic_bp": min(systolic - 15, int(systolic - rng.gauss(48, 8))),
            "temperature": rng.gauss(37.4 if improving else 38.0, 0.6),
            "respiratory_rate": int(rng.gauss(22, 4)), "spo2": min(100, int(rng.gauss(94, 2.5)))}


def visit_values(rng: random.Random, patient: Patient, form: str, day: int,
                 when: dt.datetime, kit_code: str, eligibility: dict[str, Any]) -> dict[str, Any]:
    """The model's values of ``form`` at study day ``day`` (``{}``: a form it does not know)."""
    improving = patient.course is None or patient.course.death_day is None
    if form == "demographics":
        return {"age": patient.age, "sex": patient.sex, "weight": patient.weight,
                "height": patient.height}
    if form == "eligibility":
        return {k: v for k, v in eligibility.items() if k not in ("age", "pao2", "fio2", "peep")}
    if form == "respiratory":
        return _respiratory(rng, patient, day)
    if form == "sofa":
        return _sofa(rng, _respiratory(rng, patient, day))
    if form == "cytokines":
        return _cytokines(rng, patient, day)
    if form == "laboratory":
        return _labs(rng, day, improving)
    if form == "vital_signs":
        return _vitals(rng, improving)
    if form == "infusion":
        # entered once the infusion has ended: no time on the form lies after its entry
        end = when.replace(tzinfo=None, second=0, microsecond=0) - dt.timedelta(
            minutes=rng.randint(10, 60))
        start = end - dt.timedelta(minutes=rng.randint(40, 90))
        reaction = rng.random() < 0.05
        return {"kit_code": kit_code, "infusion_start": start.isoformat(timespec="minutes"),
                "infusion_end": end.isoformat(timespec="minutes"),
                "volume_infused": float(rng.randint(90, 110)), "infusion_reaction": reaction,
                "reaction_description": "Transient fever and chills" if reaction else None}
    return {}


def end_of_study_values(patient: Patient, randomized: dt.date, *, last_contact: dt.date
                        ) -> dict[str, Any]:
    course = patient.course
    if course is None:
        raise ValueError("the end of study of a participant never randomized")
    if course.death_day is not None:
        death = randomized + dt.timedelta(days=course.death_day)
        return {"vital_status_day28": "dead", "death_date": death.isoformat(),
                "last_contact_date": death.isoformat()}
    if course.withdrawal_day is not None or course.lost_after_day is not None:
        return {"vital_status_day28": "unknown", "last_contact_date": last_contact.isoformat(),
                "death_date": None, "icu_discharge_date": None}
    discharge = randomized + dt.timedelta(days=min(27, course.ventilation_days + 3))
    return {"vital_status_day28": "alive", "death_date": None,
            "last_contact_date": last_contact.isoformat(),
            "icu_discharge_date": discharge.isoformat()}


def ventilation_episodes(rng: random.Random, patient: Patient, randomized_at: dt.datetime
                         ) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """The invasive ventilation episodes of the course: (when entered, values), in order.

    Intubated 6 to 48 hours before randomization; extubated on study day ventilation_days - 1
    (so the derived ventilator-free days are 28 - ventilation_days), or ventilated until death
    or the end of follow-up (the episode then stays ongoing); a few survivors are extubated
    earlier and reintubated two days later for the rest of the course."""
    course = patient.course
    if course is None:
        return []
    local = randomized_at.replace(tzinfo=None, second=0, microsecond=0)
    day0 = dt.datetime.combine(local.date(), dt.time())

    def at(day: int) -> dt.datetime:
        return day0 + dt.timedelta(days=day, hours=rng.randint(7, 20), minutes=rng.choice(
            [0, 15, 30, 45]))

    def entry(start: dt.datetime, stop: dt.datetime | None) -> dict[str, Any]:
        return {"ventilation_start": start.isoformat(timespec="minutes"),
                "ventilation_stop": stop.isoformat(timespec="minutes") if stop else None,
                "ventilation_episode_mode": "ett"}

    start = local - dt.timedelta(hours=rng.randint(6, 48))
    end = course.death_day or course.withdrawal_day or course.lost_after_day
    last = course.ventilation_days - 1
    if course.death_day is not None:
        death = at(course.death_day)
        return [(death + dt.timedelta(hours=2), entry(start, death))]
    if end is not None and last >= end:  # still ventilated when follow-up ended
        return [(at(end), entry(start, None))]
    if last >= 5 and rng.random() < REINTUBATION:
        first_stop, again = at(last - 3), at(last - 1)
        stop = max(at(last), again + dt.timedelta(hours=2))
        return [(first_stop + dt.timedelta(hours=3), entry(start, first_stop)),
                (stop + dt.timedelta(hours=3), entry(again, stop))]
    stop = at(max(last, 0))
    return [(stop + dt.timedelta(hours=3), entry(start, stop))]


def adverse_event_values(rng: random.Random, onset: dt.date, *, fatal: bool = False,
                         within: int = 6) -> dict[str, Any]:
    """An event's values; a non-fatal one resolves 1 to ``within`` days after its onset."""
    if fatal:
        return {"ae_term": "Progressive respiratory failure", "ae_onset_date": onset.isoformat(),
                "ae_resolution_date": onset.isoformat(), "ae_grade": "5", "ae_serious": True,
                "ae_relatedness": rng.choice(["unrelated", "unlikely"]), "ae_outcome": "fatal"}
    term, grade = rng.choice(AE_TERMS)
    resolved = onset + dt.timedelta(days=rng.randint(1, max(within, 1)))
    return {"ae_term": term, "ae_onset_date": onset.isoformat(),
            "ae_resolution_date": resolved.isoformat(), "ae_grade": grade,
            "ae_serious": grade == "3" and rng.random() < 0.4,
            "ae_relatedness": rng.choice(["unrelated", "unrelated", "unlikely", "possible"]),
            "ae_outcome": "recovered"}


def medication_values(rng: random.Random, start: dt.date, index: int) -> dict[str, Any]:
    name, indication, route = CONMEDS[index % len(CONMEDS)]
    return {"cm_name": name, "cm_indication": indication, "cm_route": route,
            "cm_start_date": start.isoformat(),
            "cm_stop_date": (start + dt.timedelta(days=rng.randint(3, 10))).isoformat()}


def log_forms() -> tuple[str, ...]:
    """The repeating forms the model fills: adverse events, medications, ventilation."""
    return "adverse_event", "concomitant_medication", "ventilation_episode"


# where the vital status at the end of follow-up is recorded: (visit, form, field)
END_OF_STUDY = ("day28", "end_of_study", "vital_status_day28")
