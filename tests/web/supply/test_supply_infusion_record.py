"""Issue 18: the pharmacy's infusion record of a prepared kit (rate, volume, interruptions,
reactions), page and API, refused when it ends after the preparation's use-by time (thaw + the
protocol's 4 h), breaks the rate or volume limits (30 to 300 mL/h, 1 to 100 mL) or has an
interruption outside the infusion; blinded roles reach none of it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from enrollment import randomize
from login import signed_in_client
from supply_kit import record_weight, released_lot_with_kits, ship_and_receive

from trialdesk.web.core.clock import SimulatedClock, use_clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.timezones import site_zone
from trialdesk.web.supply.models import Infusion

PHARMACIST = "pharmacist-co-01"


def _prepared(trial, *, thawed_minutes_ago: float = 60,
              weight: float = 70) -> tuple[str, dt.datetime]:
    """A kit of CO-01 prepared for a 70 kg participant (70 mL): its code and thaw time."""
    code, kit = randomize(trial.api("investigator-co-01"))
    released_lot_with_kits(trial, "LOT", [kit])
    ship_and_receive(trial, [kit])
    record_weight(trial, code, weight)
    thawed = timezone.now() - dt.timedelta(minutes=thawed_minutes_ago)
    trial.api(PHARMACIST).ok("POST", f"/api/v1/supply/kits/{kit}/preparation",
                             {"thawed_at": thawed.isoformat()})
    return kit, thawed


def _body(thawed: dt.datetime, start: float, end: float, **extra) -> dict:
    return {"started_at": (thawed + dt.timedelta(minutes=start)).isoformat(),
            "ended_at": (thawed + dt.timedelta(minutes=end)).isoformat(),
            "rate_ml_per_h": 84, "volume_ml": 70, **extra}


def test_the_api_records_rate_volume_interruptions_and_reactions(trial):
    kit, thawed = _prepared(trial)
    pause = {"start": (thawed + dt.timedelta(minutes=20)).isoformat(),
             "end": (thawed + dt.timedelta(minutes=25)).isoformat(), "reason": "line occluded"}
    path = f"/api/v1/supply/kits/{kit}/infusion"
    recorded = trial.api(PHARMACIST).ok("POST", path, _body(
        thawed, 5, 55, interruptions=[pause], reactions="chills, resolved"))
    assert recorded["rate_ml_per_h"] == 84 and recorded["volume_infused_ml"] == 70
    assert recorded["interruptions"][0]["reason"] == "line occluded"
    assert trial.api(PHARMACIST).get(path).json() == recorded
    infusion = Infusion.objects.get()
    assert infusion.preparation.slot.kit_code == kit and infusion.reactions == "chills, resolved"
    audit = AuditRecord.objects.get(action="record_infusion")
    # the trail names the kit and that it was infused: nothing of interruptions or reactions
    assert audit.model == "kit" and audit.object_id == kit
    assert audit.changes == {"infused": {"old": False, "new": True}}
    again = trial.api(PHARMACIST).post(path, _body(thawed, 5, 55))
    assert again.status_code == 409 and "already recorded" in again.json()["detail"]


def test_an_infusion_ending_after_the_post_thaw_window_is_refused(trial):
    # thawed 3 h 50 min ago (use-by in 10 min); recorded an hour later on a simulated clock, an
    # infusion ending 1 minute past thaw + 4 h is refused
    kit, thawed = _prepared(trial, thawed_minutes_ago=230)
    path = f"/api/v1/supply/kits/{kit}/infusion"
    with use_clock(SimulatedClock(timezone.now() + dt.timedelta(hours=1))):
        late = trial.api(PHARMACIST).post(path, _body(thawed, 190, 241))
        assert late.status_code == 422, late.content
        field = late.json()["fields"][0]
        assert field["field"] == "ended_at"
        assert "1 min after the preparation's use-by time" in field["rule"]
        assert not Infusion.objects.exists()
        # one that ended at the use-by time itself, recorded after the window closed: accepted
        assert trial.api(PHARMACIST).post(path, _body(thawed, 190, 240)).status_code == 201


def test_rate_volume_and_interruptions_outside_the_limits_are_refused_by_field(trial):
    kit, thawed = _prepared(trial)
    path = f"/api/v1/supply/kits/{kit}/infusion"
    outside = {"start": (thawed + dt.timedelta(minutes=1)).isoformat(),
               "end": (thawed + dt.timedelta(minutes=8)).isoformat(), "reason": "too early"}
    for body, field in (
            (_body(thawed, 5, 55, rate_ml_per_h=301), "rate_ml_per_h"),
            (_body(thawed, 5, 55, rate_ml_per_h=29), "rate_ml_per_h"),
            (_body(thawed, 5, 55, volume_ml=0.5), "volume_ml"),
            (_body(thawed, 5, 55, volume_ml=70.5), "volume_ml"),  # more than the 70 mL prepared
            (_body(thawed, 5, 55, interruptions=[outside]), "interruptions[0].start")):
        refused = trial.api(PHARMACIST).post(path, body)
        assert refused.status_code == 422, (field, refused.content)
        assert refused.json()["fields"][0]["field"] == field
    # a time without its zone could be any site's: refused, not read as the server's
    naive = _body(thawed, 5, 55)
    naive["started_at"] = naive["started_at"][:19]
    assert trial.api(PHARMACIST).post(path, naive).status_code == 422
    assert not Infusion.objects.exists() and not AuditRecord.objects.filter(
        action="record_infusion").exists()


def test_the_kit_page_records_the_infusion_in_the_readers_zone_and_shows_refusals(trial):
    kit, thawed = _prepared(trial)
    pharmacist = signed_in_client(trial.users[PHARMACIST])
    zone = site_zone("CO-01")

    def typed(minutes: float) -> str:
        return (thawed + dt.timedelta(minutes=minutes)).astimezone(zone).strftime(
            "%Y-%m-%dT%H:%M")

    form = {"do": "infusion", "kit_code": kit, "started_at": typed(5), "ended_at": typed(55),
            "rate_ml_per_h": "84", "volume_ml": "70", "interruption_start_1": typed(1),
            "interruption_end_1": typed(8), "interruption_reason_1": "pump alarm"}
    page = pharmacist.get(f"/supply/kits/{kit}/").content.decode()
    assert "Record the infusion" in page and "30 to 300 mL/h" in page
    refused = pharmacist.post("/supply/do/", form, follow=True).content.decode()
    assert "interruptions[0].start" in refused and "inside the infusion" in refused
    form.update(interruption_start_1=typed(20), interruption_end_1=typed(25))
    pharmacist.post("/supply/do/", form)
    infusion = Infusion.objects.get()
    assert infusion.started_at.replace(second=0, microsecond=0) == (
        thawed + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    shown = pharmacist.get(f"/supply/kits/{kit}/").content.decode()
    assert "pump alarm" in shown and "84.0 mL/h" in shown and "-05:00" in shown
    spanish = signed_in_client(trial.users[PHARMACIST], language="es")
    assert "Interrupciones" in spanish.get(f"/supply/kits/{kit}/").content.decode()


def test_blinded_roles_reach_no_infusion_record(trial):
    kit, thawed = _prepared(trial)
    trial.api(PHARMACIST).ok("POST", f"/api/v1/supply/kits/{kit}/infusion",
                             _body(thawed, 5, 55))
    for role in ("investigator-co-01", "coordinator-co-01", "monitor", "data_manager",
                 "pharmacist-co-02"):
        read = trial.api(role).get(f"/api/v1/supply/kits/{kit}/infusion")
        assert read.status_code in (403, 404), role
        assert "84" not in read.content.decode()
        write = trial.api(role).post(f"/api/v1/supply/kits/{kit}/infusion", _body(thawed, 5, 55))
        assert write.status_code in (403, 404), role
