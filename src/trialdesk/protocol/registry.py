"""Registry facts: what the public record of the trial says (ClinicalTrials.gov vocabulary)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from trialdesk.protocol.base import StrictModel
from trialdesk.protocol.text import LocalizedText

Phase = Literal["NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"]
OverallStatus = Literal[
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING",
    "RECRUITING", "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
]
NctId = Annotated[str, StringConstraints(pattern=r"^NCT\d{8}$")]

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: Any) -> str:
    """Accept ``yyyy``, ``yyyy-MM`` or ``yyyy-MM-dd`` (text or a TOML date); return the text."""
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("date_kind", "expected a date, got a date and time")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise PydanticCustomError("date_type", "a date must be text such as 2020-01-13")
    match = _PARTIAL_DATE.match(value.strip())
    if match is None:
        raise PydanticCustomError(
            "date_format", f"'{value}' is not a date of the form yyyy, yyyy-MM or yyyy-MM-dd"
        )
    year, month, day = (int(part) if part else None for part in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise PydanticCustomError("date_month", f"'{value}' has no month {month}")
    if day is not None and month is not None:
        last = calendar.monthrange(year or 1, month)[1]
        if not 1 <= day <= last:
            raise PydanticCustomError(
                "date_day", f"'{value}' is not a calendar date ({month:02d}/{year} has {last} days)"
            )
    return value.strip()


PartialDate = Annotated[str, BeforeValidator(parse_partial_date)]


def format_partial_date(value: str) -> str:
    """Write a partial date as the registry page does: "January 13, 2020" or "April 2022"."""
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = calendar.month_name[parts[1]]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{month} {parts[2]}, {parts[0]}"


PHASE_DISPLAY = {
    "NA": "N/A", "EARLY_PHASE1": "Early Phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2",
    "PHASE3": "Phase 3", "PHASE4": "Phase 4",
}


def format_phases(phases: list[str]) -> str:
    """Write phases as the registry page does: ["PHASE1", "PHASE2"] -> "Phase 1/Phase 2"."""
    return "/".join(PHASE_DISPLAY[phase] for phase in phases)


def format_status(status: str) -> str:
    """ "NOT_YET_RECRUITING" -> "Not yet recruiting"."""
    return status.replace("_", " ").capitalize()


class Contact(StrictModel):
    name: str
    phone: str | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None


class MeshTerm(StrictModel):
    term: str
    mesh_id: Annotated[str, StringConstraints(pattern=r"^D\d{9}$")] | None = None


class RelatedTrial(StrictModel):
    nct_id: NctId
    title: str
    status: OverallStatus
    phases: list[Phase] = Field(default_factory=list)


class Registry(StrictModel):
    nct_id: NctId
    brief_title: LocalizedText
    official_title: LocalizedText
    acronym: str | None = None
    brief_summary: LocalizedText
    detailed_description: LocalizedText
    study_type: Literal["INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS"]
    phases: list[Phase]
    overall_status: OverallStatus
    start_date: PartialDate
    start_date_type: Literal["ACTUAL", "ESTIMATED"] | None = None
    completion_date: PartialDate
    completion_date_type: Literal["ACTUAL", "ESTIMATED"] | None = None
    sponsor: str
    contact: Contact
    conditions: list[str]
    mesh_terms: list[MeshTerm] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    related_trials: list[RelatedTrial] = Field(default_factory=list)
