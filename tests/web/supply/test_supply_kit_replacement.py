"""Issue 18: a participant's kit damaged, expired, past its post-thaw window or quarantined after
assignment is replaced by a usable kit of the same arm at the same site (page and API), through
an audited action the site's investigator (blinded) and pharmacist may take. The site is told the
new kit's code only; the infusion then accepts only the new kit; the choice is a uniform draw
among the site's usable spares of that arm, never "the next code"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from enrollment import randomize
from login import signed_in_client
from supply_kit import (
    arms,
    free_kits,
    record_weight,
    released_lot_with_kits,
    ship_and_receive,
)

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.clock import SimulatedClock, use_clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.supply import replacement as replacement_module
from trialdesk.web.supply.models import KitReplacement
from trialdesk.web.trials.models import AllocationSlot

INVESTIGATOR, PHARMACIST = "investigator-co-01", "pharmacist-co-01"
INFUSION = {"infusion_start": "2026-01-06T10:00", "infusion_end": "2026-01-06T11:00",
            "infusion_reaction": "no"}


def _arm(kit: str) -> str:
    return AllocationSlot.objects.get(kit_code=kit).arm


def _stocked_site(trial, spares_per_arm: int = 2) -> tuple[str, str, dict[str, list[str]]]:
    """A participant of CO-01 randomized, its kit and ``spares_per_arm`` unallocated kits of each
    arm at CO-01 filled from released lots and received; kits of CO-02 received there too."""
    code, kit = randomize(trial.api(INVESTIGATOR))
    spares = {arm: free_kits("CO-01", arm, count=spares_per_arm) for arm in arms()}
    far = free_kits("CO-02", _arm(kit), count=2)
    here = [kit] + [k for kits in spares.values() for k in kits]
    released_lot_with_kits(trial, "LOT", here + far)
    ship_and_receive(trial, here)
    ship_and_receive(trial, far, "CO-02")
    return code, kit, spares


def _replace(trial, username: str, kit: str, reason: str = "damaged"):
    return trial.api(username).post(f"/api/v1/supply/kits/{kit}/replacement",
                                    {"reason": reason, "note": "bag cracked at the port"})


def test_the_blinded_investigator_is_told_only_the_new_kit_of_the_same_arm_and_site(trial):
    code, kit, spares = _stocked_site(trial)
    answer = _replace(trial, INVESTIGATOR, kit)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == {"participant", "replaced_kit_code", "kit_code"}
    new = body["kit_code"]
    assert body["participant"] == code and body["replaced_kit_code"] == kit
    # of the old kit's arm, from the site's spares; out of the allocation from now on
    assert new in spares[_arm(kit)] and AllocationSlot.objects.get(kit_code=new).used
    row = KitReplacement.objects.get()
    assert (row.old_slot.kit_code, row.new_slot.kit_code, row.reason) == (kit, new, "damaged")
    audit = AuditRecord.objects.get(action="replace_kit")
    assert audit.model == "kit" and audit.object_id == kit
    assert audit.changes == {"replaced_by": {"old": None, "new": new}}
    assert audit.actor == INVESTIGATOR and "damaged" not in str(audit.changes)
    # the participant's kit is now the new one, for the site's blinded roles too
    assert trial.api(INVESTIGATOR).get(f"/api/v1/participants/{code}").json()["kit_code"] == new


def test_the_infusion_form_then_accepts_only_the_new_kit(trial):
    code, kit, _ = _stocked_site(trial)
    new = _replace(trial, INVESTIGATOR, kit).json()["kit_code"]
    api = trial.api("coordinator-co-01")
    path = f"/api/v1/participants/{code}/visits/day1/forms/infusion"
    old = api.put(path, {"values": {**INFUSION, "kit_code": kit}})
    assert old.status_code == 422
    assert [f["rule"] for f in old.json()["fields"]] == ["assigned_kit"]
    assert not FormInstance.objects.filter(form="infusion").exists()
    assert api.put(path, {"values": {**INFUSION, "kit_code": new}}).status_code == 201


def test_the_pharmacist_prepares_the_new_kit_and_not_the_replaced_one(trial):
    code, kit, _ = _stocked_site(trial)
    record_weight(trial, code, 70)
    # thawed 3 h 55 min ago: prepared now, past its post-thaw window an hour later
    thawed = (timezone.now() - dt.timedelta(minutes=235)).isoformat()
    pharmacist = trial.api(PHARMACIST)
    pharmacist.ok("POST", f"/api/v1/supply/kits/{kit}/preparation", {"thawed_at": thawed})
    with use_clock(SimulatedClock(timezone.now() + dt.timedelta(hours=1))):
        answer = _replace(trial, PHARMACIST, kit, reason="post_thaw_expired")
        assert answer.status_code == 201, answer.content
        new = answer.json()["kit_code"]
        # the system's own view of the old kit is kept with the stated reason (unblinded table)
        assert KitReplacement.objects.get().problems == ["post_thaw_expired"]
        fresh = (timezone.now() + dt.timedelta(minutes=50)).isoformat()
        prepared = pharmacist.post(f"/api/v1/supply/kits/{new}/preparation",
                                   {"thawed_at": fresh})
        assert prepared.status_code == 201, prepared.content
        assert prepared.json()["dose_cells"] == 70e6  # the participant's weight: the same holder
        page = signed_in_client(trial.users[PHARMACIST]).get(f"/supply/kits/{new}/")
        assert page.status_code == 200 and code in page.content.decode()
        assert f'href="/supply/kits/{kit}/"' in page.content.decode()  # "Replaces"
        old_page = signed_in_client(trial.users[PHARMACIST]).get(f"/supply/kits/{kit}/")
        assert "Replaced by" in old_page.content.decode() and new in old_page.content.decode()
        overview = signed_in_client(trial.users[PHARMACIST]).get("/supply/").content.decode()
        assert f'href="/supply/kits/{new}/"' in overview
        dispensed = pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-X"})
        assert dispensed.status_code == 409 and "replaced" in dispensed.json()["detail"]
        # nor is the replaced kit's infusion recorded, even one inside its post-thaw window
        start = dt.datetime.fromisoformat(thawed)
        infused = pharmacist.post(f"/api/v1/supply/kits/{kit}/infusion", {
            "started_at": (start + dt.timedelta(minutes=5)).isoformat(),
            "ended_at": (start + dt.timedelta(minutes=65)).isoformat(),
            "rate_ml_per_h": 70, "volume_ml": 70})
        assert infused.status_code == 409 and "was replaced" in infused.json()["detail"]


def test_refusals_say_nothing_of_the_arm(trial):
    _code, kit, spares = _stocked_site(trial, spares_per_arm=1)
    # another site's investigator, an unallocated kit, any text: one "not found"
    assert _replace(trial, "investigator-co-02", kit).status_code == 404
    assert _replace(trial, INVESTIGATOR, spares[arms()[0]][0]).status_code == 404
    assert _replace(trial, INVESTIGATOR, "ZZZZ-ZZZZ").status_code == 404
    for role in ("coordinator-co-01", "monitor", "supply_manager"):
        assert _replace(trial, role, kit).status_code in (403, 404), role
    bad = trial.api(INVESTIGATOR).post(f"/api/v1/supply/kits/{kit}/replacement",
                                       {"reason": "lost"})
    assert bad.status_code == 422
    new = _replace(trial, INVESTIGATOR, kit).json()["kit_code"]
    again = _replace(trial, INVESTIGATOR, kit)
    assert again.status_code == 409 and "already replaced" in again.json()["detail"]
    # the site has no spare of the kit's arm left, but one of the other arm: refused, with the
    # same words as when the other arm is the one run out (which arm is out is not told)
    refused = _replace(trial, INVESTIGATOR, new)
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("the pharmacy of CO-01 has no usable kit to replace "
                                        "it with: resupply first")
    other_arm = next(a for a in arms() if a != _arm(kit))
    assert len(spares[other_arm]) == 1 and not AllocationSlot.objects.get(
        kit_code=spares[other_arm][0]).used
    assert KitReplacement.objects.count() == 1


def test_the_replacement_is_a_uniform_draw_among_the_sites_usable_spares_of_the_arm(
        trial, monkeypatch):
    """The draw is the operating system's (``secrets``), over every usable spare of the kit's arm
    at its site: not the other arm's, not another site's, not the lowest-numbered."""
    _code, kit, spares = _stocked_site(trial, spares_per_arm=3)
    offered = []

    def last(pool):
        offered.append([slot.kit_code for slot in pool])
        return pool[-1]

    monkeypatch.setattr(replacement_module.secrets, "choice", last)
    new = _replace(trial, INVESTIGATOR, kit).json()["kit_code"]
    assert sorted(offered[0]) == sorted(spares[_arm(kit)])
    assert new == offered[0][-1] != min(offered[0], key=lambda c: AllocationSlot.objects.get(
        kit_code=c).sequence)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_replacement_page_for_the_site(trial, language):
    _code, kit, spares = _stocked_site(trial)
    client = signed_in_client(trial.users[INVESTIGATOR], language=language)
    form = client.get(f"/supply/replace/?kit={kit}").content.decode()
    assert kit in form and ("Replace a kit" if language == "en" else "Reemplazar un kit") in form
    answer = client.post("/supply/replace/", {"kit_code": kit, "reason": "expired"},
                         follow=True).content.decode()
    new = KitReplacement.objects.get().new_slot.kit_code
    assert new in answer and new in spares[_arm(kit)]
    # nothing but the code: no lot, no arm's label, description or intervention
    assert "LOT-" not in answer
    assert find_leaks(answer, arm_revealing_texts(get_protocol(), ["en", "es"])) == []
    unknown = client.post("/supply/replace/", {"kit_code": "ZZZZ-ZZZZ", "reason": "damaged"},
                          follow=True).content.decode()
    assert "kit_code" in unknown and KitReplacement.objects.count() == 1
