"""Issue 18's blinding: blinded roles see kit codes, never a lot, a release result, a viability,
a volume, a dose or a preparation time finer than the day; on any page or API operation.

The blinding matrix (every role, every route and operation) runs on a trial whose kits are
filled, released, shipped, received after an excursion, dispensed, prepared and infused, with
the supply chain's facts as a ``Secret``: only roles that see arms may read them.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from blinding_matrix import build_viewers, run_matrix
from blinding_secrets import Secret, chunks
from days import days_later
from django.utils import timezone
from enrollment import enroll
from supply_kit import (
    COLD,
    QUALITY,
    arms,
    free_kits,
    record_weight,
    released_lot_with_kits,
    ship_and_receive,
    temperature_log,
)

# roles that see arms in the normal course of the trial, with the product's two (issue 18)
SEES_PRODUCT = frozenset({"pharmacist", "dsmb_statistician", "quality", "supply_manager"})
_FINER_THAN_DAY = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
# the fields of product data, answered with a value (an OpenAPI schema names them, with none)
PRODUCT_KEYS = ("product", "results", "failures", "cells_per_ml", "viability_percent",
                "volume_ml", "dose_cells", "thawed_at", "use_by", "lot", "infusion_started_at",
                "infusion_ended_at", "rate_ml_per_h", "volume_infused_ml", "interruptions",
                "reactions")
VIABILITY = "83.7"  # the preparations' measured viability, as any page would print it


def _json_records(body: str) -> list[dict]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def _schema(value: object) -> bool:
    """An OpenAPI schema's description of a field (its type, title...), not a value."""
    return isinstance(value, dict) and bool({"type", "title", "anyOf", "$ref"} & set(value))


def supply_facts(lot_codes: list[str]) -> Secret:
    """The lots' codes and the viability anywhere; product fields with a value in any JSON
    record; a preparation's time of day in the audit trail."""
    def found(body: str) -> list[str]:
        shown = [code for code in lot_codes if code in body]
        if VIABILITY in body:
            shown.append(f"viability {VIABILITY}")
        for record in _json_records(body):
            shown += [f"{key}={record[key]!r}" for key in PRODUCT_KEYS
                      if record.get(key) not in (None, "", [], {})
                      and not _schema(record[key])]
        for chunk in chunks(body):
            if ("prepare_kit" in chunk or "record_infusion" in chunk) and (
                    _FINER_THAN_DAY.search(chunk)):
                shown.append("a preparation's or an infusion's time of day")
        return shown

    return Secret("supply chain", found, lambda who, role: role in SEES_PRODUCT)


def _infusion(thawed: dt.datetime) -> dict:
    def at(minutes: int) -> str:
        return (thawed + dt.timedelta(minutes=minutes)).isoformat()

    return {"started_at": at(5), "ended_at": at(35), "rate_ml_per_h": 130, "volume_ml": 64,
            "interruptions": [{"start": at(10), "end": at(12), "reason": "pump alarm"}],
            "reactions": "mild chills"}


def _supplied_trial(trial) -> tuple[dict, list[str]]:
    """Two participants per site, their kits filled, released, shipped and received (one
    shipment after an excursion, released by quality), dispensed; CO-01's prepared and infused,
    one of CO-02's replaced by the site's investigator."""
    samples: dict[str, list[str]] = {"code": [], "kit_code": [], "lot_code": [],
                                     "shipment_id": []}
    by_site: dict[str, list[str]] = {}
    lots: list[str] = []
    for site in ("co-01", "co-02"):
        investigator = trial.api(f"investigator-{site}")
        kits = []
        for _ in range(2):
            code = enroll(investigator)
            kit = investigator.post(f"/api/v1/participants/{code}/randomize",
                                    {}).json()["kit_code"]
            samples["code"].append(code)
            samples["kit_code"].append(kit)
            by_site.setdefault(site, []).extend([code, kit])
            kits.append((code, kit))
        # CO-02 also holds a spare of each arm, so that one of its kits can be replaced
        spares = ([] if site == "co-01"
                  else [k for arm in arms() for k in free_kits(site.upper(), arm, count=1)])
        by_site[site].extend(spares)
        lot_of = released_lot_with_kits(trial, f"LOT-{site.upper()}",
                                        [k for _, k in kits] + spares)
        lots += sorted(set(lot_of.values()))
        warm = temperature_log([COLD, -120, -120, -120, COLD]) if site == "co-01" else None
        shipment = ship_and_receive(trial, [k for _, k in kits] + spares, site.upper(),
                                    log=warm)
        samples["shipment_id"].append(str(shipment["id"]))
        if warm:
            trial.api(QUALITY).ok("POST", f"/api/v1/supply/shipments/{shipment['id']}/quarantine",
                                  {"resolution": "released", "reason": "within stability data"})
        pharmacist = trial.api(f"pharmacist-{site}")
        for code, kit in kits:
            assert pharmacist.post(f"/api/v1/kits/{kit}/dispense",
                                   {"lot": lot_of[kit]}).status_code == 201
            if site == "co-01":
                record_weight(trial, code, 64.3)
                thawed = timezone.now() - dt.timedelta(minutes=40)
                pharmacist.ok("POST", f"/api/v1/supply/kits/{kit}/preparation",
                              {"thawed_at": thawed.isoformat(),
                               "viability_percent": float(VIABILITY)})
                pharmacist.ok("POST", f"/api/v1/supply/kits/{kit}/infusion",
                              _infusion(thawed))
        if spares:  # the blinded investigator replaces a kit: the new one is the participant's
            new = investigator.ok("POST", f"/api/v1/supply/kits/{kits[1][1]}/replacement",
                                  {"reason": "damaged", "note": "bag cracked"})["kit_code"]
            samples["kit_code"].append(new)
    samples["lot_code"] = lots
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    return {"samples": samples, "other_site": other_site}, lots


def test_no_blinded_role_reaches_lot_or_preparation_data_on_any_route(trial):
    state, lots = _supplied_trial(trial)
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    with days_later():  # a day's pharmacy records reach blinded readers once the day is over
        findings = run_matrix(build_viewers(users), state["samples"], state["other_site"],
                              secrets=[supply_facts(lots)])
    assert findings == [], "\n".join(f"{f.who} {f.method} {f.path}: {f.what}" for f in findings)
    # the rule has teeth: judged as if blinded, the supply manager's pages show all of it
    judged_blinded = build_viewers({"supply_manager": users["supply_manager"]})
    client, _ = judged_blinded["supply_manager"]
    shown = run_matrix({"supply_manager": (client, None)}, state["samples"],
                       state["other_site"], secrets=[supply_facts(lots)])
    paths = {f.path for f in shown}
    assert {"/supply/", "/api/v1/supply/lots"} <= paths
    assert any(p.startswith("/api/v1/supply/lots/LOT-") for p in paths)
