"""The trial server's blinding matrix run over data-capture records: every role on every route and
API operation, with the visit, form, query and lock parameters filled with real records (the
server's own run fills only participant and kit codes)."""

from __future__ import annotations

import sys
from pathlib import Path

from capture_testkit import RESPIRATORY_OK, form_path
from lock_override import lock as lock_with_override
from trial_factory import PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: the matrix helpers
from blinding_matrix import build_viewers, run_matrix


def test_no_role_sees_an_arm_it_may_not_on_any_capture_route_or_operation(ct):
    samples = {"code": [], "kit_code": [], "visit": ["day0", "day1"],
               "form": ["respiratory", "infusion"], "query_id": [], "lock_id": [],
               "override_id": [], "participant": []}
    by_site: dict[str, list[str]] = {}
    for site in ("co-01", "co-02"):
        code = ct.randomize(site)
        inv = ct.api(f"investigator-{site}")
        kit = inv.get(f"/api/v1/participants/{code}").json()["kit_code"]
        samples["code"].append(code)
        samples["kit_code"].append(kit)
        by_site[site] = [code, kit]
        coord = ct.api(f"coordinator-{site}")
        saved = coord.put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520},
                                            "complete": True, "confirm": ["pao2"]})
        assert saved.status_code == 201, saved.content
        infusion = coord.put(form_path(code, "day1", "infusion"), {"values": {
            "kit_code": kit, "infusion_start": "2026-01-06T10:00",
            "infusion_end": "2026-01-06T11:00", "infusion_reaction": "no"}, "complete": True})
        assert infusion.status_code == 201, infusion.content
        assert inv.post(form_path(code) + "/sign", {"password": PASSWORD}).status_code == 201
        samples["query_id"].append(str(saved.json()["queries"][0]["id"]))
        # locked through the override (the query is open): its pages and operations are crawled
        lock = lock_with_override(ct.api("data_manager"), ct.api("principal_investigator"),
                                  {"scope": "participant", "participant": code})
        samples["lock_id"].append(str(lock.json()["id"]))
        samples["override_id"].append(str(lock.json()["override"]))
        samples["participant"].append(code)
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    users = {k: v for k, v in ct.users.items() if not k.endswith("co-03")}
    findings = run_matrix(build_viewers(users), samples, other_site)
    assert findings == []
