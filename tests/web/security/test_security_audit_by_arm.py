"""The blinded audit trail: a participant's records read the same whatever the arm.

Attack: the monitor or the administrator compares the audit records of two participants who went
through the same steps with the same values (screening, consent, randomization, dispensing from
each product's own lot, the infusion form, emergency unblinding). Any field whose value follows
the arm (a lot, a slot number, a list position, a block, the arm itself) separates them.
"""

from __future__ import annotations

import json
import re

from days import days_later
from security_helpers import randomize_both_arms

_VOLATILE = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00)?|R\d{5}")


def _trail_of(records: list[dict], row: dict[str, str]) -> list[str]:
    mine = [r for r in records if row["code"] in json.dumps(r) or row["kit"] in json.dumps(r)]
    blanked = []
    for record in mine:
        text = json.dumps({k: v for k, v in record.items()
                           if k not in ("seq", "row", "at", "hash")},
                          sort_keys=True)
        text = text.replace(row["code"], "<code>").replace(row["kit"], "<kit>")
        blanked.append(_VOLATILE.sub("<v>", text))
    return blanked


def test_audit_records_of_either_arm_are_the_same_text(trial):
    rows = randomize_both_arms(trial)
    one = rows[0]
    other = next(r for r in rows if r["arm"] != one["arm"])
    pharmacist = trial.api("pharmacist-co-01")
    investigator = trial.api("investigator-co-01")
    for row in (one, other):
        assert pharmacist.post(f"/api/v1/kits/{row['kit']}/dispense",
                               {"lot": f"LOT-{row['arm']}"}).status_code == 201
        saved = investigator.client.put(
            f"/api/v1/participants/{row['code']}/visits/day1/forms/infusion",
            data=json.dumps({"values": {"kit_code": row["kit"],
                                        "infusion_start": "2026-01-06T10:00",
                                        "infusion_end": "2026-01-06T11:00",
                                        "infusion_reaction": "no"}, "complete": True}),
            content_type="application/json", headers=investigator.headers)
        assert saved.status_code == 201, saved.content
        assert investigator.post(f"/api/v1/participants/{row['code']}/unblind",
                                 {"reason": "Severe reaction; treatment depends on it"}
                                 ).status_code == 201
    for reader in ("monitor", "admin"):
        with days_later():  # the day's dispensing shows once the day is over
            records = trial.api(reader).get("/api/v1/audit?limit=1000").json()
        first, second = _trail_of(records, one), _trail_of(records, other)
        actions = [json.loads(t)["action"] for t in first]
        # the unblinding is in the trail of a reader with read_unblinding_events only
        expected = ("screen", "consent", "randomize", "dispense") + (
            ("emergency_unblind",) if reader == "admin" else ())
        for action in expected:
            assert action in actions, (reader, actions)
        assert ("emergency_unblind" in actions) is (reader == "admin"), (reader, actions)
        assert len(actions) >= len(expected) + 1, actions  # the infusion form is audited too
        assert first == second, reader
