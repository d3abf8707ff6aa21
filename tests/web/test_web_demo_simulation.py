"""`trialdesk demo`'s simulation: a whole 40-participant trial through the actions, to the final
unblinding, on a simulated clock; its records, CONSORT numbers and audit trail hold together."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from trial_factory import FAST_HASHERS

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance, Signature
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation import consort_counts, simulate_trial
from trialdesk.web.trials.models import (
    Consent,
    Dispensing,
    FinalUnblinding,
    Participant,
    Randomization,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def simulated(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    stages = []
    result = simulate_trial(data_dir=tmp_path, participants=40, seed=7, stop_at="final",
                            progress=lambda stage, done, total: stages.append(stage))
    return result, stages


def test_a_simulated_trial_runs_to_the_final_unblinding(simulated, monkeypatch):
    result, stages = simulated
    assert list(dict.fromkeys(stages)) == ["setup", "enrollment", "follow-up", "lock", "final"]
    counts = consort_counts(by_arm=True)
    assert counts == result.counts
    # the numbers add up, and equal the tables' counts
    assert counts["randomized"] == 40 == Randomization.objects.count()
    assert counts["screened"] == Participant.objects.count() > counts["eligible"]
    assert counts["eligible"] >= counts["consented"] == Consent.objects.count() >= 40
    assert sum(counts["randomized_by_arm"].values()) == 40
    assert (counts["completed"] + counts["died"] + counts["withdrew"] + counts["lost"]
            == counts["randomized"])
    assert counts["in_follow_up"] == 0
    assert counts["died"] == Discontinuation.objects.filter(kind="died").count() > 0
    assert counts["withdrew"] == Discontinuation.objects.filter(kind="withdrew").count()
    assert Dispensing.objects.count() == 40
    assert FinalUnblinding.trial_unblinded()
    # enrollment spans months, on the simulated clock
    assert (result.last_randomization - result.first_randomization).days > 60
    assert result.last_randomization.year < 2025
    # every participant has its audit records: screened, and the randomized consented and
    # randomized
    audited = {}
    for object_id, action in AuditRecord.objects.filter(model="participant").values_list(
            "object_id", "action"):
        audited.setdefault(object_id, set()).add(action)
    for participant in Participant.objects.all():
        assert "screen" in audited[participant.code]
    for randomization in Randomization.objects.select_related("participant"):
        assert {"consent", "randomize"} <= audited[randomization.participant.code]
    # forms at the scheduled visits: each visit of the protocol has complete forms
    saved = set(FormInstance.objects.filter(status=COMPLETE).values_list("visit", "form"))
    for visit in get_protocol().visits:
        for form in visit.forms:
            assert (visit.code, form) in saved, (visit.code, form)
    assert FormInstance.objects.filter(visit="log").exists()
    assert Signature.objects.exists()
    assert AuditRecord.objects.filter(action="raise_query").exists()
    assert AuditRecord.objects.filter(action="answer_query").exists()
    assert AuditRecord.objects.filter(action="lock").exists()
    # the audit trail verifies, as `trialdesk audit verify` checks it
    for name in ("TRIALDESK_DATA_DIR", "DATABASE_URL", "TRIALDESK_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    verify = CliRunner().invoke(audit_command, ["verify", "--json"])
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.output)["ok"]
    assert AuditRecord.objects.order_by("seq").first().at.year == 2020
