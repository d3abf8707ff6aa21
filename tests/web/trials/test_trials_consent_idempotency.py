"""Issue 12: the consent's later events take an idempotency key (``core.idempotency``): a retried
withdrawal or re-consent answers the first event and records none again."""

from __future__ import annotations

import datetime as dt

import pytest
from enrollment import screen
from idempotency import assert_idempotent

from trialdesk.web.core import clock
from trialdesk.web.trials.models import ConsentEvent

INV = "investigator-co-01"
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
TODAY = NOW.date().isoformat()


@pytest.fixture(autouse=True)
def _still():
    with clock.use_clock(clock.SimulatedClock(NOW)) as simulated:
        yield simulated


def _consented(trial) -> str:
    api = trial.api(INV)
    code = screen(api)["code"]
    consent = api.post(f"/api/v1/participants/{code}/consent",
                       {"consent_date": TODAY, "form_version": "1.0"})
    assert consent.status_code == 201, consent.content
    return code


def test_a_retried_withdrawal_is_recorded_once(trial):
    code = _consented(trial)
    withdrawal = {"date": TODAY, "level": "treatment", "data_use": True,
                  "reason": "the family asks it"}
    event = assert_idempotent(trial.api(INV), f"/api/v1/participants/{code}/consent/withdrawal",
                              withdrawal, counted=(ConsentEvent,),
                              other_body={**withdrawal, "level": "all_data"})
    assert ConsentEvent.objects.get().pk == event["id"]
