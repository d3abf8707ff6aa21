"""The pharmacy's kit list in a visible order: the kits still to dispense first, the longest
waiting on top, then the kits dispensed (issue 19)."""

from __future__ import annotations

import re

from enrollment import randomize
from login import signed_in_client


def test_kits_to_dispense_come_first_oldest_on_top_then_the_dispensed(trial):
    investigator = trial.api("investigator-co-01")
    kits = [randomize(investigator)[1] for _ in range(3)]
    pharmacist = trial.api("pharmacist-co-01")
    assert pharmacist.post(f"/api/v1/kits/{kits[0]}/dispense", {"lot": "LOT-1"}).status_code == 201
    page = signed_in_client(trial.users["pharmacist-co-01"]).get("/pharmacy/").content.decode()
    order = re.findall(r'<td class="kit" data-kit="([^"]+)">', page)
    assert order == [kits[1], kits[2], kits[0]]
    assert "Kits to dispense first, the longest waiting at the top" in page
