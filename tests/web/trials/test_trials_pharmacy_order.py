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


def test_each_kits_state_is_a_badge_in_the_pharmacists_language(trial):
    investigator = trial.api("investigator-co-01")
    kits = [randomize(investigator)[1] for _ in range(2)]
    trial.api("pharmacist-co-01").ok("POST", f"/api/v1/kits/{kits[0]}/dispense", {"lot": "L-7"})
    page = signed_in_client(trial.users["pharmacist-co-01"], language="es").get(
        "/pharmacy/").content.decode()
    assert '<span class="badge badge-ok" data-state="dispensed">Dispensado, lote L-7</span>' in (
        page)
    assert ('<span class="badge badge-warn" data-state="awaiting_dispensing">'
            'Aleatorizado, pendiente de dispensación</span>') in page
