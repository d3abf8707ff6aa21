"""Minimization draws a kit of the chosen arm from the site's stock: running out must not tell.

Attack: under minimization the pharmacy holds a stock of kits per arm and site. When one arm's
stock is used up, a refusal that comes only when the procedure picks that arm (and success when it
picks the other) tells the investigator each participant's arm: the refused ones would have had
the empty arm, and every one randomized from then on has the other. Once any arm is out of stock
at a site, every randomization there must be refused alike until the pharmacy restocks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eligible import ELIGIBLE_VALUES
from enrollment import enroll
from trial_factory import make_trial, protocol_in_use, write_minimization_protocol

from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import AllocationSlot

KITS_PER_ARM = 3


@pytest.fixture
def minimization_trial(tmp_path: Path, db, settings):
    with protocol_in_use(settings, write_minimization_protocol(tmp_path)):
        yield make_trial(settings, seed=b"stock-test-seed-0123456789abcdef",
                         slots_per_stratum=KITS_PER_ARM)


def _stock(site: str) -> dict[str, int]:
    arms = [arm.code for arm in get_protocol().design.arms]
    return {arm: AllocationSlot.objects.filter(stratum=site, arm=arm, used=False).count()
            for arm in arms}


def test_an_empty_arm_refuses_every_randomization_at_the_site_alike(minimization_trial):
    investigator = minimization_trial.api("investigator-co-01")
    elsewhere = [minimization_trial.api("investigator-co-02"),
                 minimization_trial.api("investigator-co-03")]
    answers = []
    for index in range(8):
        one_arm_empty = min(_stock("CO-01").values()) == 0
        values = {**ELIGIBLE_VALUES, "pao2": 70 if index % 2 else 150}
        code = enroll(investigator, values)
        response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
        answers.append((one_arm_empty, response.status_code,
                        response.content.replace(code.encode(), b"<code>")))
        # an allocation at another site moves the procedure on (its next random draw)
        other = elsewhere[index % 2]
        other.post(f"/api/v1/participants/{enroll(other, values)}/randomize", {})
    assert any(empty for empty, _, _ in answers), "no arm ran out: the test proves nothing"
    before = [status for empty, status, _ in answers if not empty]
    after = {(status, body) for empty, status, body in answers if empty}
    assert set(before) == {201}
    assert len(after) == 1 and next(iter(after))[0] == 409, after
    assert b"msc" not in next(iter(after))[1] and b"standard" not in next(iter(after))[1]
