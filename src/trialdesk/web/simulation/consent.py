"""Consent in the simulated trial (issue 17), through the same actions as the pages.

Ventilated ARDS patients mostly cannot consent: a legally authorized representative signs for
most. After randomization some of those regain capacity and are asked for their own consent
within the protocol's deadline (some later, so overdue tasks are seen): most confirm, a few refuse
(the protocol's data rule then stops further data collection). A few withdraw from the study
treatment before the infusion; the model's withdrawals from follow-up are recorded as consent
withdrawals at a level (visits only, or all further data, some taking back the data's use).
Forms the consent no longer allows are refused by data capture; the flow skips them.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from trialdesk.web.capture.actions import do_discontinue
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials import actions as trial_actions

DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
LAR_SHARE = 0.85  # patients too ill to consent: their representative signs
CAPACITY_SHARE = 0.6  # of those, survivors who regain capacity during follow-up
REFUSAL_SHARE = 0.25  # of those asked, who refuse to go on
TREATMENT_WITHDRAWAL = 0.08  # withdraw from the infusion between randomization and day 1
ALL_DATA_SHARE = 0.3  # of the model's withdrawals, from all further data (else visits only)
RELATIONSHIPS = ("spouse", "daughter", "son", "mother", "father", "sister", "brother")
NAMES = ("Ana Gómez", "Luis Restrepo", "María Ospina", "Carlos Duque", "Paula Arango",
         "Jorge Zapata", "Laura Cardona", "Andrés Mejía")


class _Flow(Protocol):
    rng: random.Random
    timeline: Any


def consent_values(rng: random.Random, site_code: str) -> dict[str, Any]:
    """The first consent's fields: a representative's for most, signed now (the site's time)."""
    site = next((s for s in get_protocol().sites if s.code == site_code), None)
    local = clock.now().astimezone(ZoneInfo(site.timezone if site else "UTC"))
    values: dict[str, Any] = {"consent_date": local.date(), "form_version": "1.0",
                              "consent_time": local.time().replace(microsecond=0)}
    if rng.random() < LAR_SHARE:
        values.update(signer="lar", lar_name=rng.choice(NAMES),
                      lar_relationship=rng.choice(RELATIONSHIPS))
    return values


def schedule_consent_events(flow: _Flow, person: Any) -> None:
    """After randomization: a withdrawal from treatment, or capacity regained and the answer."""
    rng, course, start = flow.rng, person.patient.course, person.randomized_at
    investigator, participant = person.team.investigator, person.participant
    if rng.random() < TREATMENT_WITHDRAWAL:
        flow.timeline.at(start + HOUR * rng.uniform(2, 12), lambda: trial_actions.
                         do_withdraw_consent(investigator, participant, date=clock.today(),
                                             level="treatment", data_use=True,
                                             reason="The family declines the infusion."))
    if participant.consent.signer != "lar" or rng.random() >= CAPACITY_SHARE:
        return
    day = rng.randint(4, 14)
    ends = course.death_day or course.withdrawal_day or course.lost_after_day
    if ends is not None and ends <= day + 10:
        return  # the model ends this follow-up before the participant could be asked

    def regained() -> None:
        trial_actions.do_record_capacity_regained(investigator, participant, date=clock.today())
        flow.timeline.after(DAY * rng.uniform(1, 9), answer)

    def answer() -> None:
        if ends is None and rng.random() < REFUSAL_SHARE:
            trial_actions.do_refuse_consent(investigator, participant, date=clock.today(),
                                            note="Does not wish to continue in the study.")
            do_discontinue(investigator, participant, kind="withdrew", date=clock.today(),
                           reason="Refused own consent on regaining capacity.")
        else:
            trial_actions.do_confirm_consent(investigator, participant, date=clock.today())

    flow.timeline.at(start + DAY * day + HOUR * rng.uniform(1, 8), regained)


def withdraw(rng: random.Random, person: Any, date: dt.date) -> None:
    """The model's withdrawal from follow-up, as a consent withdrawal at a level."""
    all_data = rng.random() < ALL_DATA_SHARE
    trial_actions.do_withdraw_consent(
        person.team.investigator, person.participant, date=date,
        level="all_data" if all_data else "follow_up",
        data_use=not all_data or rng.random() < 0.5,
        reason="Consent withdrawn by the legal representative.")
