"""VS and LB of three participants (a woman, a man, one of unknown sex) with laboratory and
cytokine results inside, below and above the protocol's normal ranges, one IL-6 below its LLOQ,
and DM with their arms (no Django)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sdtm_sample import study

from trialdesk.standards.sdtm import form_domains, subject_domains
from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.standards.sdtm.frames import numbered, to_frame
from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.standards.sdtm.spec import SDTM_DATASETS

DAY0 = dt.date(2020, 3, 2)
LABS = {"crp": 120.5, "ferritin": 300, "d_dimer": 500, "lymphocytes": 0.62}
CYTOKINES = {"il1b": 2.5, "il6": {"censored": "<", "limit": 1.5}, "tnf_alpha": 12,
             "il10": 14.25}
VITALS = {"heart_rate": 88, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.8}


def people(arms: tuple[ArmCell, ArmCell, ArmCell] | None = None) -> list[Subject]:
    arms = arms or (ArmCell.dummy_group(1), ArmCell.dummy_group(2), ArmCell.dummy_group(1))
    return [Subject(f"CO-01-000{n}", "CO-01", "Colombia", DAY0, DAY0, arm, sex=sex)
            for n, (sex, arm) in enumerate(zip(("F", "M", "U"), arms, strict=True), start=1)]


def records(subject: Subject, version: int = 1) -> list[FormRecord]:
    return [FormRecord(subject.code, "day0", "vital_signs", 1, VITALS, DAY0, version),
            FormRecord(subject.code, "day0", "laboratory", 1, LABS, DAY0, version),
            FormRecord(subject.code, "day0", "cytokines", 1, CYTOKINES, DAY0, version)]


def _fields(forms: tuple[str, ...]) -> dict:
    return {field.code: field for form in study().protocol.forms if form.code in forms
            for field in form.fields if field.type in ("integer", "decimal")}


def lab_fields() -> dict:
    return _fields(("laboratory", "cytokines"))


def findings_frames(arms: tuple[ArmCell, ArmCell, ArmCell] | None = None
                    ) -> dict[str, pd.DataFrame]:
    """DM, VS and LB of ``people(arms)``."""
    s, subjects = study(), people(arms)
    vitals = _fields(("vital_signs",))
    rows = {
        "DM": [subject_domains.dm_row(s, p, {"age": 60, "sex": p.sex}) for p in subjects],
        "VS": [r for p in subjects for r in numbered(form_domains.vs_rows(
            s, p, records(p)[:1], vitals), "VSSEQ")],
        "LB": [r for p in subjects for r in numbered(form_domains.lb_rows(
            s, p, records(p)[1:], lab_fields()), "LBSEQ")],
    }
    return {name: to_frame(SDTM_DATASETS[name], found) for name, found in rows.items()}
