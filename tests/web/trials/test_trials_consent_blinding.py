"""Blinding, as an attacker would try it (issue 17): the consent history, the tasks, the refusal of
a form after a withdrawal from treatment and the audit trail answer alike whatever the arm, and
name no arm."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from enrollment import screen

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Randomization

INV = "investigator-co-01"
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date().isoformat()
LAR = {"consent_date": TODAY, "form_version": "1.0", "signer": "lar", "lar_name": "Ana",
       "lar_relationship": "spouse"}


@pytest.fixture(autouse=True)
def _still_clock():
    with clock.use_clock(clock.SimulatedClock(NOW)):
        yield


def _one_of_each_arm(trial) -> dict[str, tuple[str, str]]:
    """Randomize until both arms have a participant; return {arm: (code, kit)}."""
    api, found = trial.api(INV), {}
    for _ in range(12):
        code = screen(api)["code"]
        assert api.post(f"/api/v1/participants/{code}/consent", LAR).status_code == 201
        kit = api.post(f"/api/v1/participants/{code}/randomize", {}).json()["kit_code"]
        arm = Randomization.objects.get(participant__code=code).slot.arm
        found.setdefault(arm, (code, kit))
        if len(found) == 2:
            return found
    raise AssertionError("twelve randomizations gave one arm only")


def _normalized(text: str, code: str, kit: str) -> str:
    text = text.replace(code, "CODE").replace(kit, "KIT")
    return re.sub(r'"id": \d+', '"id": 0', text)


def test_consent_answers_are_alike_in_both_arms_and_name_no_arm(trial):
    arms = _one_of_each_arm(trial)
    api = trial.api(INV)
    answers = []
    for code, kit in arms.values():
        posts = [
            api.post(f"/api/v1/participants/{code}/consent/capacity-regained", {"date": TODAY}),
            api.post(f"/api/v1/participants/{code}/consent/withdrawal",
                     {"date": TODAY, "level": "treatment", "data_use": True}),
            api.put(f"/api/v1/participants/{code}/visits/day1/forms/infusion",
                    {"values": {"kit_code": kit}}),
        ]
        assert [p.status_code for p in posts] == [201, 201, 409]
        tasks = api.get("/api/v1/consent/tasks").json()
        history = api.get(f"/api/v1/participants/{code}/consent/history").json()
        audit = trial.api("admin").get("/api/v1/audit", limit=1000)
        assert audit.status_code == 200
        trail = [(r["action"], sorted(r["changes"])) for r in audit.json()
                 if r["object_id"] == code]
        assert ("consent_withdrawn", ["data_use", "date", "level"]) in trail
        bodies = [p.content.decode() for p in posts] + [
            json.dumps([t for t in tasks if t["participant"] == code]), json.dumps(history),
            audit.content.decode()]
        answers.append([_normalized(b, code, kit) for b in bodies[:-1]] + [trail])
        texts = arm_revealing_texts(get_protocol())
        for body in bodies:
            assert find_leaks(body, texts) == [], body
    first, second = answers
    assert first == second
