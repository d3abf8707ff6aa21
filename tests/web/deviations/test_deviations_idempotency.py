"""Issue 12: a deviation report takes an idempotency key (``core.idempotency``): a retry answers
the first deviation (its id, its ethics due date) and reports none again."""

from __future__ import annotations

from deviation_kit import LOG, body
from enrollment import randomize
from idempotency import assert_idempotent

from trialdesk.web.deviations.models import Deviation


def test_a_retried_deviation_report_is_the_first_deviation(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    answer = assert_idempotent(trial.api("investigator-co-01"), LOG, body(code),
                               counted=(Deviation,),
                               other_body=body(code, severity="major"))
    assert Deviation.objects.get().pk == answer["id"]
