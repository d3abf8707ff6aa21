"""The blinding of exports, for every role and every registered format: the routes answer only
the roles allowed to export; every file a blinded role downloads carries no arm (the blinding
matrix's own finder, case-insensitive: SDTM writes in capitals) and is byte for byte the same
after the real arms are swapped; its arm columns are the dummy allocation labelled as such; the
DSMB statistician's carry the real arms. The trial design
datasets (TA, TE, TS) list the protocol's arms as the public registry does and say nothing of
who is in which: they are not searched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from tempfile import TemporaryDirectory

import pyreadstat
import pytest
from exports_testkit import download, enter_trial, run_jobs_inline

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.exports.formats import EXPORT_FORMATS, EXPORT_PERMISSIONS
from trialdesk.web.trials.models import AllocationSlot, Randomization

DESIGN_FILES = ("ta.xpt", "te.xpt", "ts.xpt")
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial, participants=4)


def _leaks(files: dict[str, bytes]) -> list[tuple[str, list[str]]]:
    texts = {t.upper() for t in arm_revealing_texts(get_protocol(), ["en", "es"])}
    found = []
    for name, content in files.items():
        if name.rsplit("/", 1)[-1] in DESIGN_FILES:
            continue
        body = content.decode("utf-8", errors="replace").upper()
        leaks = find_leaks(body, texts) + find_leaks(content.decode("utf-8", "replace"), [])
        if leaks:
            found.append((name, leaks))
    return found


def test_only_roles_allowed_to_export_reach_the_routes(trial, entered):
    policy = get_policy()
    for username, user in trial.users.items():
        role = user.memberships.get().role
        allowed = any(policy.has_permission(role, p) for p in EXPORT_PERMISSIONS)
        api = trial.api(username)
        status = api.post("/api/v1/exports", {"format": "adam"}).status_code
        assert (status == 201) == allowed, (username, status)
        assert (api.get("/api/v1/exports/formats").status_code == 200) == allowed, username


def _export_all(api, sees_arms: bool) -> dict[str, dict[str, bytes]]:
    """Every registered format as ``api``'s user exports it: format -> file name -> bytes."""
    exported = {}
    for name, export_format in EXPORT_FORMATS.items():
        response = api.post("/api/v1/exports", {"format": name})
        if export_format.needs_real_allocation and not sees_arms:
            assert response.status_code == 409, (name, response.content)
            continue
        assert response.status_code == 201, (name, response.content)
        job = api.get(f"/api/v1/exports/{response.json()['id']}").json()
        if job["state"] != "done":  # a results record needs what this small trial lacks
            assert export_format.needs_real_allocation, (name, job)
            continue
        assert job["allocation"] == ("real" if sees_arms else "dummy"), name
        exported[name] = download(api, job["id"])
    return exported


def _swap_the_real_arms() -> None:
    """Give every randomized participant the other arm (what the blinded files must not show)."""
    arms = [arm.code for arm in get_protocol().design.arms]
    for slot in AllocationSlot.objects.filter(used=True):
        slot.arm = arms[1 - arms.index(slot.arm)]
        slot.save(update_fields=["arm"])


@pytest.mark.parametrize("username", ["data_manager", "analyst"])
def test_a_blinded_roles_files_of_every_format_are_the_same_whatever_the_real_arms(
        trial, entered, username):
    """The strongest check of all formats alike: the same files byte for byte after the real
    arms are swapped (at one instant of a frozen clock), so nothing in them depends on them;
    and in SDTM and ADaM no arm's text at all outside the trial design datasets."""
    api = trial.api(username)
    with clock.use_clock(clock.SimulatedClock(NOW)):
        before = _export_all(api, sees_arms=False)
        _swap_the_real_arms()
        after = _export_all(api, sees_arms=False)
    assert set(before) >= {"sdtm", "adam"}
    for name in before:
        assert before[name].keys() == after[name].keys(), name
        changed = [file for file in before[name]
                   if not _same(file, before[name][file], after[name][file])]
        assert changed == [], (name, changed)
    for name in ("sdtm", "adam"):
        assert _leaks(before[name]) == [], name
    dm = _read_xpt(before["sdtm"]["dm.xpt"])
    assert set(dm["ARMCD"]) <= {"DUMMY1", "DUMMY2"}


def test_the_dsmb_statistician_gets_the_real_arms_in_every_format(trial, entered):
    api = trial.api("dsmb_statistician")
    exported = _export_all(api, sees_arms=True)
    assert set(exported) >= {"sdtm", "adam"}
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    dm = _read_xpt(exported["sdtm"]["dm.xpt"])
    assert dict(zip(dm["SUBJID"], dm["ARMCD"], strict=True)) == {
        c: a.upper() for c, a in arms.items()}


def _same(file: str, one: bytes, other: bytes) -> bool:
    """Equal bytes; for a SAS transport file (whose header holds the time it was written),
    equal data, names, labels and widths."""
    if not file.endswith(".xpt"):
        return one == other
    (a, meta_a), (b, meta_b) = _read_xpt(one, meta=True), _read_xpt(other, meta=True)
    return a.equals(b) and meta_a.column_names_to_labels == meta_b.column_names_to_labels and (
        meta_a.variable_storage_width == meta_b.variable_storage_width)


def _read_xpt(content: bytes, *, meta: bool = False):
    with TemporaryDirectory() as folder:
        path = Path(folder) / "data.xpt"
        path.write_bytes(content)
        frame, metadata = pyreadstat.read_xport(str(path))
    return (frame, metadata) if meta else frame
