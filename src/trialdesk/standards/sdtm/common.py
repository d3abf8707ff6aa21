"""What every SDTM builder shares: identifiers, visits, epochs, dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from trialdesk.protocol.schema import Protocol
from trialdesk.standards.sdtm.frames import study_day

SCREENING, TREATMENT, FOLLOW_UP = "SCREENING", "TREATMENT", "FOLLOW-UP"


@dataclass(frozen=True)
class Study:
    """The protocol as the builders read it: study id, visits numbered in protocol order."""

    protocol: Protocol

    @property
    def studyid(self) -> str:
        return self.protocol.registry.nct_id

    def usubjid(self, code: str) -> str:
        return f"{self.studyid}-{code}"

    @cached_property
    def _visits(self) -> dict[str, dict[str, Any]]:
        """Visit code -> VISITNUM (protocol order), VISIT (its English title in capitals) and
        VISITDY (the planned SDTM study day: protocol day 0, randomization, is study day 1)."""
        return {planned.code: {"VISITNUM": number, "VISIT": planned.title.text("en").upper(),
                               "VISITDY": planned.day + 1 if planned.day >= 0 else planned.day}
                for number, planned in enumerate(self.protocol.visits, start=1)}

    def visit_number(self, visit: str) -> int | None:
        return self._visits.get(visit, {}).get("VISITNUM")

    def visit_day(self, visit: str) -> int | None:
        return self._visits.get(visit, {}).get("VISITDY")

    def visit_name(self, visit: str) -> str:
        return self._visits.get(visit, {}).get("VISIT", "")

    def visit_columns(self, visit: str) -> dict[str, Any]:
        return dict(self._visits.get(visit) or {"VISITNUM": None, "VISIT": "", "VISITDY": None})


def english(value: Any) -> str:
    """The English text of a protocol text (localized or plain)."""
    if value is None:
        return ""
    return value.text("en") if hasattr(value, "text") else str(value)


def iso(value: Any) -> str:
    """ISO 8601 text of a date, a date-time or an already ISO text ("" for none)."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def epoch(day: int | None, infusion_day: int = 2) -> str:
    """The epoch of a study day: before day 1 screening, to the infusion treatment, then
    follow-up (the trial design datasets' epochs)."""
    if day is None:
        return ""
    if day < 1:
        return SCREENING
    return TREATMENT if day <= infusion_day else FOLLOW_UP


def day_and_epoch(when: Any, reference: dt.date) -> tuple[int | None, str]:
    day = study_day(when, reference)
    return day, epoch(day)
