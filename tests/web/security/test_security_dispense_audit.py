"""The audit trail that blinded roles read (monitor, admin) must not tell the arms' kits apart.

Attack: a pharmacy dispenses the experimental product and the placebo from their own lots (cell
batches and vehicle batches are made apart), so the lot number entered at dispensing differs by
arm. If the blinded audit trail carries it, a monitor groups the kits by lot and, through the
randomization records that pair each kit with a participant, splits the participants into the two
arms, often with the product's name in the lot number.
"""

from __future__ import annotations

from days import days_later
from login import signed_in_client
from security_helpers import randomize_both_arms

LOTS = {"msc": "CELLS-B2026-11", "standard": "VEHICLE-V2026-03"}


def _dispense_all(trial, rows):
    pharmacist = trial.api("pharmacist-co-01")
    for row in rows:
        response = pharmacist.post(f"/api/v1/kits/{row['kit']}/dispense",
                                   {"lot": LOTS[row["arm"]]})
        assert response.status_code == 201, response.content


def test_blinded_audit_readers_do_not_see_arm_specific_lots(trial):
    rows = randomize_both_arms(trial)
    _dispense_all(trial, rows)
    with days_later():  # a blinded reader sees a day's dispensing once the day is over
        _check_no_lot_in_the_trail(trial, rows)


def _check_no_lot_in_the_trail(trial, rows):
    for reader in ("monitor", "admin"):
        api_body = trial.api(reader).get("/api/v1/audit?limit=1000")
        assert api_body.status_code == 200
        records = api_body.json()
        dispensed = {r["object_id"] for r in records if r["action"] == "dispense"}
        assert dispensed == {row["kit"] for row in rows}  # dispensing stays audited
        page_text = ""
        page_number = 1
        while True:
            page = signed_in_client(trial.users[reader]).get(f"/audit/?page={page_number}")
            assert page.status_code == 200
            page_text += page.content.decode()
            if f"?page={page_number + 1}" not in page.content.decode():
                break
            page_number += 1
        for lot in LOTS.values():
            assert lot not in api_body.content.decode(), (reader, lot)
            assert lot not in page_text, (reader, lot)


def test_dispensing_records_of_the_two_arms_have_the_same_shape(trial):
    """Beyond the lot: no field of a dispensing record may take arm-dependent values."""
    rows = randomize_both_arms(trial)
    _dispense_all(trial, rows)
    with days_later():
        records = [r for r in trial.api("monitor").get("/api/v1/audit?limit=1000").json()
                   if r["action"] == "dispense"]
    assert len(records) == len(rows)
    stripped = {repr({k: v for k, v in r.items()
                      if k not in ("seq", "row", "at", "object_id", "hash")}) for r in records}
    assert len(stripped) == 1, stripped


def test_pharmacist_still_sees_the_lot_of_own_site_kits(trial):
    rows = randomize_both_arms(trial)
    _dispense_all(trial, rows)
    kits = trial.api("pharmacist-co-01").get("/api/v1/kits").json()
    assert {k["kit_code"]: k["lot"] for k in kits} == {r["kit"]: LOTS[r["arm"]] for r in rows}
