"""Helpers of the DSMB tests: randomized participants, adverse events and infusion records
written straight to the tables (their dates set as a test needs), and the real arm of each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from enrollment import randomize

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import Participant, Randomization

INVESTIGATOR = "investigator-co-01"
DSMB = "dsmb_statistician"
SPONSOR = "safety_contact"
MEETINGS = "/api/v1/dsmb/meetings"


def participants(trial: Any, count: int, *, days_ago: int = 30) -> dict[str, str]:
    """Randomize ``count`` participants ``days_ago`` days back; return code -> real arm."""
    codes = [randomize(trial.api(INVESTIGATOR), days_ago=days_ago)[0] for _ in range(count)]
    return dict(Randomization.objects.filter(participant__code__in=codes).values_list(
        "participant__code", "slot__arm"))


def add_event(trial: Any, code: str, *, onset: dt.date, aware: dt.date | None = None,
              grade: int = 1, relatedness: str = "not_related", **criteria: bool
              ) -> AdverseEvent:
    """An adverse event of ``code`` (straight to the table: the receivers still run)."""
    participant = Participant.objects.get(code=code)
    user = trial.users[INVESTIGATOR]
    aware_at = timezone.make_aware(dt.datetime.combine(aware or onset, dt.time(12)), dt.UTC)
    now = timezone.now()
    return AdverseEvent.objects.create(
        participant=participant, site=participant.site, term="Event", onset_date=onset,
        grade=grade, relatedness=relatedness, investigator_aware_at=aware_at,
        created_at=now, created_by=user, updated_at=now, updated_by=user,
        outcome="fatal" if criteria.get("death") else "unknown", **criteria)


def add_infusion(trial: Any, code: str, *, on: dt.date) -> FormInstance:
    participant = Participant.objects.get(code=code)
    user = trial.users[INVESTIGATOR]
    now = timezone.now()
    return FormInstance.objects.create(
        participant=participant, site=participant.site, visit="day1", form="infusion",
        values={"infusion_start": f"{on.isoformat()}T10:00"}, created_at=now, created_by=user,
        updated_at=now, updated_by=user)


def days_ago(days: int) -> dt.date:
    return timezone.now().date() - dt.timedelta(days=days)
