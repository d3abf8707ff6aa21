"""The audit trail a blinded reader (monitor, administrator) gets: no pharmacy time finer than the
day, no order or number that places a pharmacy record between two timed records, no emergency
unblinding without ``read_unblinding_events`` (``trials.audit_trail``).

Attack: one product takes longer to prepare, so the minute of each dispensing (or its place among
the investigators' timed records: after the randomization at 10:02 and before the infusion form at
10:40) sorts the kits, and through the randomization records the participants, by arm.
"""

from __future__ import annotations

import re

from days import days_later
from django.utils import formats, timezone
from enrollment import randomize
from login import signed_in_client

from trialdesk.web.trials.models import AllocationSlot

REASON = "Severe anaphylaxis after the infusion so the physician must know"
TIME_OF_DAY = re.compile(r"T\d\d:\d\d")


def randomize_both_arms(trial) -> list[dict]:
    """Four participants of one stratum at CO-01 (blocks of 2 or 4: both arms)."""
    rows = []
    for _ in range(4):
        code, kit = randomize(trial.api("investigator-co-01"))
        rows.append({"code": code, "kit": kit,
                     "arm": AllocationSlot.objects.get(kit_code=kit).arm})
    assert len({row["arm"] for row in rows}) == 2
    return rows


def _dispense(trial, rows):
    pharmacist = trial.api("pharmacist-co-01")
    for row in rows:
        assert pharmacist.post(f"/api/v1/kits/{row['kit']}/dispense",
                               {"lot": "LOT-1"}).status_code == 201


def _trail(trial, reader: str, page: int = 1000) -> list[dict]:
    api, rows, after = trial.api(reader), [], 0
    while True:
        batch = api.get(f"/api/v1/audit?after={after}&limit={page}").json()
        rows += batch
        if len(batch) < page:
            return rows
        after = batch[-1]["row"]


def test_a_days_dispensing_shows_once_the_day_is_over_dated_to_the_day_unnumbered(trial):
    rows = randomize_both_arms(trial)
    _dispense(trial, rows)
    for reader in ("monitor", "admin"):
        # today: a reader polling the trail would see each dispensing appear within the minute
        assert [r for r in _trail(trial, reader) if r["action"] == "dispense"] == []
        with days_later():
            trail = _trail(trial, reader)
        dispensed = [r for r in trail if r["action"] == "dispense"]
        assert {r["object_id"] for r in dispensed} == {row["kit"] for row in rows}
        assert {r["at"] for r in dispensed} == {timezone.now().date().isoformat()}
        for record in trail:  # no number or hash places a hidden record between two others
            assert "seq" not in record and "hash" not in record, record
        assert [r["row"] for r in trail] == list(range(1, len(trail) + 1))
    # the pharmacy's own ledger keeps the exact times
    kits = trial.api("pharmacist-co-01").get("/api/v1/kits").json()
    assert all(TIME_OF_DAY.search(kit["dispensed_at"]) for kit in kits if kit["dispensed"])
    assert sum(kit["dispensed"] for kit in kits) == len(rows)


def test_a_days_pharmacy_records_follow_its_other_records_whatever_their_time(trial):
    rows = randomize_both_arms(trial)
    _dispense(trial, rows[:2])
    # an investigator's record after the dispensing, then another dispensing
    investigator = trial.api("investigator-co-01")
    assert investigator.post(f"/api/v1/participants/{rows[0]['code']}/unblind",
                             {"reason": REASON}).status_code == 201
    _dispense(trial, rows[2:])
    # signed in now, not on the later day: a sign-in recorded then is the newest record, and
    # between 00:00 and 05:00 UTC it falls on today's date in the reader's zone (Bogota)
    monitor = signed_in_client(trial.users["monitor"])
    with days_later():
        trail = _trail(trial, "admin", page=3)  # paged by row: nothing missed, nothing twice
        page = monitor.get("/audit/").content.decode()
    actions = [r["action"] for r in trail]
    first_dispense = actions.index("dispense")
    assert actions[first_dispense:] == ["dispense"] * 4  # after the unblinding, at the day's end
    assert actions.index("emergency_unblind") < first_dispense
    # the page (newest first) puts the day's pharmacy records on top of the day, dated to the day
    body = page[page.index("<tbody>"):]
    today = formats.date_format(timezone.now().date(), "SHORT_DATE_FORMAT")  # as the page writes
    cells = [cell for cell in re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td>\s*<td>([^<]*)</td>", body)
        if cell[0].startswith(today)]
    assert [action for _, _, action in cells[:4]] == ["Kit dispensed"] * 4, cells[:6]
    assert {when for when, _, _ in cells[:4]} == {today}
    assert ">#<" not in page  # no record numbers for a blinded reader


def test_a_pharmacists_own_records_are_pharmacy_records(trial):
    """A pharmacist's sign-in marks the time of preparing a kit as well as a dispensing does."""
    signed_in_client(trial.users["pharmacist-co-01"])  # the sign-in is audited
    with days_later():
        mine = [r for r in _trail(trial, "monitor") if r["actor"] == "pharmacist-co-01"]
    assert mine and all(not TIME_OF_DAY.search(r["at"]) for r in mine), mine


def test_emergency_unblindings_are_in_the_trail_of_readers_with_the_right_only(trial):
    rows = randomize_both_arms(trial)
    assert trial.api("investigator-co-01").post(f"/api/v1/participants/{rows[0]['code']}/unblind",
                                                {"reason": REASON}).status_code == 201
    monitor, admin = _trail(trial, "monitor"), _trail(trial, "admin")
    assert "emergency_unblind" not in {r["action"] for r in monitor}
    assert REASON not in str(monitor)
    assert [r["object_id"] for r in admin if r["action"] == "emergency_unblind"] == [
        rows[0]["code"]]
    page = signed_in_client(trial.users["monitor"]).get("/audit/").content.decode()
    assert "emergency_unblind" not in page and REASON not in page
