"""A few plain records and the SDTM frames the builders make of them (no Django)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd

from trialdesk.protocol import default_protocol_path, load_protocol
from trialdesk.standards.sdtm import design, form_domains, subject_domains
from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.standards.sdtm.common import Study
from trialdesk.standards.sdtm.frames import numbered, to_frame
from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.standards.sdtm.spec import SDTM_DATASETS

DAY0 = dt.date(2020, 3, 2)


@cache
def study() -> Study:
    return Study(load_protocol(default_protocol_path()))


def subjects() -> list[Subject]:
    return [
        Subject("CO-01-0001", "CO-01", "Colombia", DAY0, DAY0 - dt.timedelta(days=1),
                ArmCell.real("msc", "Standard therapy plus MSC"), "CO-01|severe",
                "2020-03-03T10:00", "2020-03-03T11:00", DAY0 + dt.timedelta(days=5),
                ("DEATH", DAY0 + dt.timedelta(days=5)), DAY0 + dt.timedelta(days=5)),
        Subject("CO-01-0002", "CO-01", "Colombia", DAY0, DAY0,
                ArmCell.dummy_group(2), "CO-01|moderate", "", "", None,
                ("COMPLETED", DAY0 + dt.timedelta(days=28)), DAY0 + dt.timedelta(days=28)),
    ]


def forms(code: str) -> list[FormRecord]:
    return [
        FormRecord(code, "day1", "infusion", 1, {"infusion_start": "2020-03-03T10:00",
                                                 "infusion_end": "2020-03-03T11:00",
                                                 "volume_infused": 100}, DAY0),
        FormRecord(code, "log", "adverse_event", 1, {
            "ae_term": "Hypotension", "ae_onset_date": "2020-03-03", "ae_grade": "3",
            "ae_serious": True, "ae_relatedness": "unlikely", "ae_outcome": "fatal"}, DAY0),
    ]


def frames() -> dict[str, pd.DataFrame]:
    """DM, DS, EX, AE, TA and TS of the sample: the domains the CDISC pilot's files show."""
    s = study()
    people = subjects()
    rows = {
        "DM": [subject_domains.dm_row(s, p, {"age": 54, "sex": "F"}) for p in people],
        "DS": [r for p in people for r in subject_domains.ds_rows(s, p)],
        "EX": [r for p in people for r in numbered(subject_domains.ex_rows(
            s, p, forms(p.code)[:1], "msc"), "EXSEQ")],
        "AE": [r for p in people for r in numbered(form_domains.ae_rows(
            s, p, forms(p.code)[1:]), "AESEQ")],
        "TA": design.ta_rows(s), "TS": design.ts_rows(s),
    }
    return {name: to_frame(SDTM_DATASETS[name], found) for name, found in rows.items()}
