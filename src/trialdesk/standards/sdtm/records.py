"""The plain records the SDTM builders read; the web layer fills them from its tables.

Dates are ``datetime.date`` (or ISO text for a date-time, as entered). ``arm`` is the cell the
export's allocation gives the participant (``arms.ArmCell``), decided by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trialdesk.standards.sdtm.arms import ArmCell


@dataclass(frozen=True)
class Subject:
    code: str
    site: str
    country: str
    randomized_on: dt.date
    consented_on: dt.date | None = None
    arm: ArmCell | None = None
    stratum: str = ""
    infusion_start: str = ""
    infusion_end: str = ""
    death_on: dt.date | None = None
    # (standardized term, date): COMPLETED, DEATH, WITHDRAWAL BY SUBJECT, LOST TO FOLLOW-UP
    disposition: tuple[str, dt.date | None] | None = None
    last_on: dt.date | None = None
    data_use: str = "Y"
    # DM's SEX (F, M, U or ""): a normal range may differ by sex
    sex: str = ""


@dataclass(frozen=True)
class FormRecord:
    subject: str
    visit: str
    form: str
    seq: int
    values: Mapping[str, Any] = field(default_factory=dict)
    collected_on: dt.date | None = None
    # the protocol version the form was captured under: its fields' normal ranges are that
    # version's (an amendment may change one)
    protocol_version: int = 1
