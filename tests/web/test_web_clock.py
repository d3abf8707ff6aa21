"""Every action takes the time from one clock: with a simulated clock installed, the records and
their audit records carry the simulated time, and the audit chain still verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from eligible import ELIGIBLE_VALUES

from trialdesk.web.capture.access import access_form_slot
from trialdesk.web.capture.actions import do_save_form
from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.auditchain import HASHED_FIELDS, verify_chain
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials import actions
from trialdesk.web.trials.models import Randomization, ScreeningRecord

START = dt.datetime(2020, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_the_default_clock_is_the_real_one():
    before = dt.datetime.now(dt.UTC)
    assert before - dt.timedelta(seconds=1) <= clock.now() <= dt.datetime.now(dt.UTC)


def test_a_simulated_clock_stands_still_moves_forward_and_is_restored():
    simulated = clock.SimulatedClock(START)
    with clock.use_clock(simulated):
        assert clock.now() == START == clock.now()
        simulated.advance(dt.timedelta(days=3))
        assert clock.today() == dt.date(2020, 3, 5)
        simulated.set(dt.datetime(2020, 4, 1, tzinfo=dt.UTC))
        assert clock.now() == dt.datetime(2020, 4, 1, tzinfo=dt.UTC)
        with pytest.raises(ValueError):
            simulated.set(START)
        with pytest.raises(ValueError):
            simulated.advance(dt.timedelta(seconds=-1))
    assert clock.now().year >= 2025


def test_actions_on_a_simulated_clock_carry_its_time_and_the_chain_verifies(trial):
    investigator = actor_for(trial.users["investigator-co-01"])
    simulated = clock.SimulatedClock(START)
    with clock.use_clock(simulated):
        first_new = (AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
                     or 0) + 1
        participant = actions.do_screen(investigator, values=ELIGIBLE_VALUES)
        assert ScreeningRecord.objects.get(participant=participant).screened_at == START
        simulated.advance(dt.timedelta(hours=2))
        actions.do_consent(investigator, participant, form_version="1.0",
                           consent_date=simulated.now().date())
        randomized_at = simulated.advance(dt.timedelta(hours=1))
        actions.do_randomize(investigator, participant, idempotency_key="clock-test-1")
        assert Randomization.objects.get(participant=participant).randomized_at == randomized_at
        saved_at = simulated.advance(dt.timedelta(days=1))
        slot = access_form_slot(investigator, participant.code, "day0", "respiratory")
        instance = do_save_form(investigator, slot, values={
            "pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}, complete=True)
        assert instance.created_at == instance.updated_at == saved_at
    new = list(AuditRecord.objects.filter(seq__gte=first_new).order_by("seq"))
    assert [(r.action, r.at) for r in new] == [
        ("screen", START), ("consent", START + dt.timedelta(hours=2)),
        ("randomize", randomized_at), ("save_form", saved_at)]
    check = verify_chain(AuditRecord.objects.order_by("seq").values(*HASHED_FIELDS, "hash"))
    assert check.ok, check.problem
