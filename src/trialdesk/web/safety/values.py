"""Checking an adverse event's values: each refusal names the field and the rule it breaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialdesk.safety import rules
from trialdesk.web.core import clock
from trialdesk.web.core.characters import refused_character_rule
from trialdesk.web.core.dates import check_trial_date, check_trial_moment
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.safety.models import TERM_MAX, TEXT_MAX

# the fields a report or an update may set, in the order pages show them
EDITABLE = ("term", "onset_date", "end_date", "grade", *rules.SERIOUSNESS_CRITERIA,
            "relatedness", "expectedness", "action_taken", "outcome", "investigator_aware_at",
            "sponsor_aware_date")
REQUIRED = ("term", "onset_date", "grade", "relatedness")
CHOICES: dict[str, tuple[str, ...]] = {
    "relatedness": rules.RELATEDNESS,
    "expectedness": rules.EXPECTEDNESS,
    "action_taken": rules.ACTIONS_TAKEN,
    "outcome": rules.OUTCOMES,
}
DEFAULTS: dict[str, Any] = {
    "end_date": None, "expectedness": "unknown", "action_taken": "unknown", "outcome": "unknown",
    "sponsor_aware_date": None, **dict.fromkeys(rules.SERIOUSNESS_CRITERIA, False),
}


def text(field: str, value: Any, *, limit: int = TERM_MAX, required: bool = True) -> str:
    """A stripped text of at most ``limit`` characters, without refused characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "is required")
    if len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    rule = refused_character_rule(value)
    if rule:
        raise InvalidInput(field, rule)
    return value


def _date(field: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)") from None


def _datetime(field: str, value: Any, latest: dt.date) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(field, "must be a date and time (ISO 8601)") from None
    return check_trial_moment(field, value, latest=latest)


def _grade(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidInput("grade", "must be a CTCAE v5 grade from 1 to 5")
    try:
        grade = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("grade", "must be a CTCAE v5 grade from 1 to 5") from None
    if grade not in rules.GRADES or str(value).strip() not in {str(g) for g in rules.GRADES}:
        raise InvalidInput("grade", "must be a CTCAE v5 grade from 1 to 5")
    return grade


def _boolean(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "", None, "0"):
        return False
    raise InvalidInput(field, "must be true or false")


def clean(values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
          ) -> dict[str, Any]:
    """Return the event's values, checked; ``current``: the stored ones an update starts from.

    A field left out of an update keeps its value; a new report starts from the defaults.
    """
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(unknown[0], "is not a field of an adverse event")
    merged = {**(current or DEFAULTS), **values}
    cleaned: dict[str, Any] = {}
    for field in REQUIRED:
        if merged.get(field) in (None, ""):
            raise InvalidInput(field, "is required")
    cleaned["term"] = text("term", merged["term"])
    cleaned["grade"] = _grade(merged["grade"])
    for field, options in CHOICES.items():
        value = merged.get(field)
        if value not in options:
            raise InvalidInput(field, f"must be one of {', '.join(options)}")
        cleaned[field] = value
    for field in rules.SERIOUSNESS_CRITERIA:
        cleaned[field] = _boolean(field, merged.get(field))
    now = clock.now()
    # a day of leeway: a site ahead of UTC may already be on the next day
    latest = now.date() + dt.timedelta(days=1)
    for field in ("onset_date", "end_date", "sponsor_aware_date"):
        day = _date(field, merged.get(field))
        cleaned[field] = None if day is None else check_trial_date(field, day, latest=latest)
    aware = _datetime("investigator_aware_at", merged.get("investigator_aware_at"), latest)
    cleaned["investigator_aware_at"] = aware or now
    _check_together(cleaned, now)
    return cleaned


def _check_together(values: dict[str, Any], now: dt.datetime) -> None:
    # every date already lies in the trial's window (``check_trial_date``)
    onset, end = values["onset_date"], values["end_date"]
    if end is not None and end < onset:
        raise InvalidInput("end_date", "must be on or after the onset date")
    aware = values["investigator_aware_at"]
    if aware > now + dt.timedelta(minutes=5):
        raise InvalidInput("investigator_aware_at", "must not be in the future")
    if aware.date() < onset - dt.timedelta(days=1):
        raise InvalidInput("investigator_aware_at", "must not be before the onset date")
    day0 = values["sponsor_aware_date"]
    if day0 is not None and day0 < onset - dt.timedelta(days=1):
        raise InvalidInput("sponsor_aware_date", "must not be before the onset date")
    if values["grade"] == 5 and values["outcome"] != "fatal":
        raise InvalidInput("outcome", "must be fatal for a grade 5 event (CTCAE: death)")
    if values["outcome"] == "fatal" and not values["death"]:
        raise InvalidInput("death", "must be true when the outcome is fatal")
    if values["outcome"] == "fatal" and values["grade"] != 5:
        raise InvalidInput("grade", "must be 5 for a fatal event (CTCAE: death)")
    if values["outcome"] in rules.FINAL_OUTCOMES and values["outcome"] != "fatal" and end is None:
        raise InvalidInput("end_date", f"is required when the outcome is {values['outcome']}")


def long_text(field: str, value: Any) -> str:
    """A required free text of at most ``TEXT_MAX`` characters (follow-ups, reasons)."""
    return text(field, value, limit=TEXT_MAX)


def as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
