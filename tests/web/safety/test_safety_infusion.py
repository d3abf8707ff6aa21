"""Issue 15: an infusion reaction recorded on the infusion form creates an adverse event, once,
linked to the form entry, in the same transaction and audited after the form."""

from __future__ import annotations

from safety_kit import randomized

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import Randomization

COORDINATOR = "coordinator-co-01"
INFUSION = {"infusion_start": "2026-01-06T10:00",
            "infusion_end": "2026-01-06T11:00", "infusion_reaction": "yes",
            "reaction_description": "Fever and rigors during the infusion"}


def _infusion(code: str) -> dict:
    """The form's values with the participant's own kit (the only code accepted, issue 18)."""
    kit = Randomization.objects.get(participant__code=code).slot.kit_code
    return {"kit_code": kit, **INFUSION}


def _path(code: str) -> str:
    return f"/api/v1/participants/{code}/visits/day1/forms/infusion"


def test_a_reaction_on_the_infusion_form_creates_one_linked_event(trial):
    code = randomized(trial)
    api = trial.api(COORDINATOR)
    api.ok("PUT", _path(code), {"values": _infusion(code)})
    event = AdverseEvent.objects.get()
    assert (event.source, event.source_form) == ("infusion", f"{code}/day1/infusion/1")
    assert event.term == "Fever and rigors during the infusion"
    assert event.relatedness == "possible" and event.onset_date.isoformat() == "2026-01-06"
    actions = list(AuditRecord.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert actions == ["report_adverse_event", "save_form"]
    # saved again (completed): still one event, linked
    api.ok("PUT", _path(code) + "?seq=1", {"values": {**_infusion(code), "volume_infused": 100},
                                           "complete": True})
    assert AdverseEvent.objects.count() == 1
    listed = trial.api("monitor").get("/api/v1/safety/adverse-events").json()
    assert [e["source"] for e in listed] == ["infusion"]


def test_no_reaction_no_event(trial):
    code = randomized(trial)
    trial.api(COORDINATOR).ok("PUT", _path(code), {"values": {**_infusion(code),
                                                              "infusion_reaction": "no"}})
    assert not AdverseEvent.objects.exists()
