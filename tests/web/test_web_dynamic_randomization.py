"""Minimization run by the server at randomization time: hash chain, replay, kits, concurrency.

The protocol is the bundled one with its ``[design.randomization]`` switched to minimization.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from blinding_matrix import build_viewers, run_matrix
from eligible import ELIGIBLE_VALUES
from enrollment import CONSENT
from live_server import (
    create_database,
    demo_users,
    drop_database,
    fetch,
    postgres_database,
    randomization_burst,
    running,
    setup_demo,
)
from live_server import trialdesk as run_trialdesk
from lock_override import lock_database
from trial_factory import Trial, make_trial, protocol_in_use, write_minimization_protocol

from trialdesk.protocol import load_protocol
from trialdesk.randomization import DynamicAllocator, PriorAllocation, RandomSource
from trialdesk.web.core.protocol import get_protocol

SEED = b"minimization-test-seed-0123456789"


@pytest.fixture(scope="module")
def minimization_protocol(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_minimization_protocol(tmp_path_factory.mktemp("protocol"))


@pytest.fixture
def dyn_trial(minimization_protocol, db, settings):
    """The ``trial`` fixture on the minimization protocol, with 40 kits per arm and site."""
    with protocol_in_use(settings, minimization_protocol):
        yield make_trial(settings, seed=SEED)


def _randomize(trial: Trial, count: int) -> list[dict]:
    results = []
    for index in range(count):
        investigator = trial.api(f"investigator-co-0{index % 3 + 1}")
        values = {**ELIGIBLE_VALUES, "pao2": 70 if index % 3 else 150}  # severe / moderate
        code = investigator.post("/api/v1/participants", {"values": values}).json()["code"]
        investigator.post(f"/api/v1/participants/{code}/consent",
                          CONSENT)
        response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
        assert response.status_code == 201, response.content
        assert "arm" not in response.json()
        results.append(response.json())
    return results


def _unblind(trial: Trial) -> dict:
    reason = {"reason": "Database locked; final analysis per the SAP"}
    lock_database(trial.users)
    trial.api("data_manager").post("/api/v1/final-unblinding", reason)
    trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve", reason)
    return trial.api("analyst").get("/api/v1/final-unblinding").json()


def _replay(protocol, seed: bytes, steps: list[tuple], kits: list[tuple]) -> None:
    """Assert that the seed re-derives every arm, the chain head and every kit drawn.

    ``steps``: (index, levels, arm, head, site, kit_code) in index order; ``kits``: the inventory
    (sequence, site, arm, kit_code).
    """
    allocator = DynamicAllocator.from_protocol(protocol, seed)
    result = allocator.replay([PriorAllocation(arm, levels) for _, levels, arm, *_ in steps],
                              expected_head=steps[-1][3])
    assert result.ok, result.message
    unused: dict[tuple[str, str], list[str]] = {}
    for _, site, arm, code in sorted(kits):
        unused.setdefault((site, arm), []).append(code)
    lowest = 0
    for index, _, arm, _, site, kit_code in steps:
        stock = unused[(site, arm)]
        lowest += kit_code == stock[0]
        assert kit_code == stock.pop(RandomSource(seed, "kit", index).below(len(stock)))
    assert lowest < len(steps) / 2, "kits are handed out in number order"


def test_minimization_allocations_replay_from_the_revealed_seed(dyn_trial):
    from trialdesk.web.core.models import AuditRecord
    from trialdesk.web.trials.models import (
        AllocationListRecord,
        AllocationSlot,
        DynamicAllocationStep,
    )

    results = _randomize(dyn_trial, 18)
    protocol = get_protocol()
    scheme = AllocationListRecord.objects.get()
    assert scheme.commitment == DynamicAllocator.from_protocol(protocol, SEED).commitment
    assert "allocation_seed" not in dyn_trial.api("analyst").get(
        "/api/v1/final-unblinding").json()  # not while blinded
    revealed = _unblind(dyn_trial)
    assert revealed["allocation_commitment"] == scheme.commitment
    assert "allocation_seed" not in dyn_trial.api("investigator-co-01").get(
        "/api/v1/final-unblinding").json()
    steps = [(s.index, s.levels, s.arm, s.head, s.participant.site.code,
              s.participant.randomization.slot.kit_code)
             for s in DynamicAllocationStep.objects.select_related(
                 "participant__randomization__slot", "participant__site").order_by("index")]
    assert [s[0] for s in steps] == list(range(18))
    assert [s[5] for s in steps] == [r["kit_code"] for r in results]
    assert all(AllocationSlot.objects.get(kit_code=s[5]).arm == s[2] for s in steps)
    kits = list(AllocationSlot.objects.values_list("sequence", "stratum", "arm", "kit_code"))
    assert len(kits) == 3 * 2 * 40
    _replay(protocol, bytes.fromhex(revealed["allocation_seed"]), steps, kits)
    # the chain heads (which a blinded reader could test arms against) stay out of the audit trail
    heads = {s[3] for s in steps}
    assert not any(h in str(r.changes) for r in AuditRecord.objects.all() for h in heads)


def test_the_kit_inventory_is_labelled_per_site_and_arm_in_shuffled_order(dyn_trial):
    from trialdesk.randomization import is_valid_kit_code
    from trialdesk.randomization.kit_codes import ALPHABET, CROCKFORD
    from trialdesk.web.trials.models import AllocationListRecord, AllocationSlot

    kits = list(AllocationSlot.objects.order_by("sequence").values_list("stratum", "arm",
                                                                         "kit_code"))
    assert all(is_valid_kit_code(code) for _, _, code in kits)
    # Crockford base32 (issue 14), recorded beside the specification that the commitment covers
    assert set("".join(code for _, _, code in kits).replace("-", "")) <= set(ALPHABET)
    record = AllocationListRecord.objects.get()
    assert record.metadata["kit_code_scheme"] == CROCKFORD.name
    assert "kit_code_scheme" not in DynamicAllocator.from_protocol(get_protocol(), SEED
                                                                   ).specification()
    assert len({code for _, _, code in kits}) == len(kits)
    for site in ("CO-01", "CO-02", "CO-03"):
        arms = [arm for kit_site, arm, _ in kits if kit_site == site]
        assert arms.count("msc") == arms.count("standard") == 40
        # numbers interleave the arms: not the first half one arm and the second the other
        assert arms[:40].count("msc") not in (0, 40)


def test_no_blinded_role_reaches_an_arm_under_minimization(dyn_trial):
    """The blinding matrix on the minimization protocol, where kits come from a labelled stock."""
    samples: dict[str, list[str]] = {"code": [], "kit_code": []}
    by_site: dict[str, list[str]] = {}
    for site in ("co-01", "co-02"):
        investigator = dyn_trial.api(f"investigator-{site}")
        for _ in range(2):
            code = investigator.post("/api/v1/participants",
                                     {"values": ELIGIBLE_VALUES}).json()["code"]
            investigator.post(f"/api/v1/participants/{code}/consent",
                              CONSENT)
            kit = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()[
                "kit_code"]
            samples["code"].append(code)
            samples["kit_code"].append(kit)
            by_site.setdefault(site, []).extend([code, kit])
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    users = {k: v for k, v in dyn_trial.users.items() if not k.endswith("co-03")}
    # every participant's pages for one participant of each arm, one at each site (a leak seen on
    # one arm's pages only is still found): the four pages' worth halved, every route kept
    from trialdesk.web.trials.models import Randomization

    arm_of = dict(Randomization.objects.filter(participant__code__in=samples["code"])
                  .values_list("participant__code", "slot__arm"))
    first, second = by_site["co-01"][0::2], by_site["co-02"][0::2]
    pairs = [(a, b) for a in first for b in second if arm_of[a] != arm_of[b]]
    chosen = list(pairs[0]) if pairs else [first[0], second[0]]
    kits = [samples["kit_code"][samples["code"].index(code)] for code in chosen]
    assert run_matrix(build_viewers(users), {"code": chosen, "kit_code": kits}, other_site) == []


# --- the running server --------------------------------------------------------------------------

CLIENTS = 8
RANDOMIZATIONS = 60
SITES = ("co-01", "co-02", "co-03")


def _burst(tmp_path: Path, database: str | None, minimization_protocol: Path) -> None:
    setup_demo(tmp_path, database, slots_per_stratum=30, protocol=minimization_protocol)
    users = demo_users(tmp_path)
    with running(tmp_path, database, protocol=minimization_protocol, workers=2,
                 threads=4) as server:
        burst = randomization_burst(server.url, users, sites=SITES, count=RANDOMIZATIONS,
                                    clients=CLIENTS)
    results = [(status, body) for _, status, body in burst]
    assert [status for status, _ in results if status != 201] == []
    assert len({body["kit_code"] for _, body in results}) == RANDOMIZATIONS  # no kit twice
    steps = fetch(tmp_path, database, """
        SELECT d."index", d.levels, d.arm, d.head, d.previous_head, site.code, s.kit_code, s.arm,
               s.stratum
        FROM trials_dynamicallocationstep d
        JOIN trials_participant p ON p.id = d.participant_id
        JOIN trials_site site ON site.id = p.site_id
        JOIN trials_randomization r ON r.participant_id = p.id
        JOIN trials_allocationslot s ON s.id = r.slot_id
        ORDER BY d."index" """)
    assert [row[0] for row in steps] == list(range(RANDOMIZATIONS))
    assert all(row[2] == row[7] and row[5] == row[8] for row in steps)  # arm and site of the kit
    assert all(steps[i][4] == steps[i - 1][3] for i in range(1, len(steps)))  # linked
    [(seed,)] = fetch(tmp_path, database, "SELECT seed FROM trials_allocationlistrecord")
    kits = fetch(tmp_path, database,
                 "SELECT sequence, stratum, arm, kit_code FROM trials_allocationslot")
    protocol = load_protocol(minimization_protocol)
    _replay(protocol, bytes.fromhex(seed),
            [(i, levels if isinstance(levels, dict) else json.loads(levels), arm, head, site, kit)
             for i, levels, arm, head, _, site, kit, _, _ in steps], kits)
    verify = run_trialdesk("audit", "verify", "--data-dir", str(tmp_path), data_dir=tmp_path,
                           database=database, check=False, protocol=minimization_protocol)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_60_concurrent_minimization_randomizations_on_sqlite(tmp_path, minimization_protocol):
    _burst(tmp_path, None, minimization_protocol)


@pytest.mark.postgres
def test_60_concurrent_minimization_randomizations_on_postgresql(
    tmp_path, minimization_protocol, postgres_url
):
    admin_url, url = postgres_database(postgres_url)
    create_database(admin_url, url)
    try:
        _burst(tmp_path, url, minimization_protocol)
    finally:
        drop_database(admin_url, url)
