"""``trialdesk demo`` on the command line (issue 13): a progress bar per stage, a summary whose
CONSORT numbers are the ones written to consort.json and whose output paths exist, the same
``--seed`` giving the same trial, a folder that already holds a trial refused, and ``--serve``
serving it as it is.

Six participants keep it short; with seed 5 the one participant of an arm has no known day-28
status, so the summary must say the primary result cannot be computed instead of failing."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
import requests
from live_server import (
    _env,
    demo_users,
    end_group,
    free_port,
    page_session,
    spawn,
    trialdesk,
    wait_for,
)
from migrated_template import start_migrated

pytestmark = pytest.mark.slow
STAGES = ("setup", "enrollment", "follow-up", "lock", "final", "outputs")


def _demo(folder: Path, *extra: str, check: bool = True):
    start_migrated(folder, None)
    return trialdesk("demo", "--participants", "6", "--seed", "5", "--data-dir", str(folder),
                     *extra, data_dir=folder, check=check)


def _exports(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted((folder / "exports").rglob("*.csv"))}


def _line(stdout: str, label: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.strip().startswith(label)]
    return line.strip()[len(label):].strip()


def test_the_demo_command_summarizes_a_reproducible_trial(tmp_path):
    first = _demo(tmp_path / "first")
    out = first.stdout
    for stage in STAGES:  # tqdm's bars on stderr, one per stage, each run to its end
        assert re.search(rf"^{re.escape(stage)}\s*: 100%", first.stderr.replace("\r", "\n"),
                         re.MULTILINE), stage

    counts = json.loads((tmp_path / "first" / "consort.json").read_text())
    flow = re.search(r"CONSORT: screened (\d+), eligible (\d+), consented (\d+), "
                     r"randomized (\d+) \((.*)\)", out)
    assert flow is not None, out
    assert [int(n) for n in flow.groups()[:4]] == [
        counts[k] for k in ("screened", "eligible", "consented", "randomized")]
    assert counts["randomized"] == 6
    by_arm = dict(part.split(" ") for part in flow.group(5).split(", "))
    assert {arm: int(n) for arm, n in by_arm.items()} == counts["randomized_by_arm"]
    ends = re.search(r"completed (\d+), died (\d+), withdrew (\d+), lost (\d+), "
                     r"in follow-up (\d+)", out)
    assert ends is not None and [int(n) for n in ends.groups()] == [
        counts[k] for k in ("completed", "died", "withdrew", "lost", "in_follow_up")]

    primary = _line(out, "primary result:")
    assert re.fullmatch(r"28-day mortality(: .+ p = .+| could not be computed from these "
                        r"data: .+)", primary), primary
    assert Path(_line(out, "analysis report:")).is_file()
    assert Path(_line(out, "CONSORT numbers:")) == tmp_path / "first" / "consort.json"
    exports = re.fullmatch(r"(\S+) \((\d+) forms as CSV\); analysis datasets (\S+), (\S+)",
                           _line(out, "exports:"))
    assert exports is not None, out
    assert len(list(Path(exports.group(1)).glob("*.csv"))) == int(exports.group(2)) > 0
    assert Path(exports.group(3)).is_file() and Path(exports.group(4)).is_file()
    assert _line(out, "audit trail:").startswith("intact (")
    users = json.loads((tmp_path / "first" / "demo-users.json").read_text())
    assert users and all(user["password"] in out for user in users)

    # the same seed in another folder: the same trial, export for export
    _demo(tmp_path / "second")
    assert json.loads((tmp_path / "second" / "consort.json").read_text()) == counts
    assert _exports(tmp_path / "second") == _exports(tmp_path / "first")

    again = _demo(tmp_path / "first", check=False)
    assert again.returncode == 1 and "already holds a trial" in again.stderr
    _served_as_it_is(tmp_path / "first", tmp_path / "serve.log")


def _served_as_it_is(folder: Path, log: Path) -> None:
    """``demo --serve`` on a folder that holds a trial serves it unchanged: the demo users sign in
    and the coordinator's dashboard lists the simulated participants."""
    port = free_port()
    process = spawn(["-m", "trialdesk.cli", "demo", "--serve", "--data-dir", str(folder),
                     "--port", str(port), "--workers", "1"], _env(folder, None), log)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(url + "/accounts/login/", timeout=10).status_code == 200
        except requests.ConnectionError:
            return process.poll() is not None  # ended: the wait stops, the check below fails
    try:
        wait_for("the served demo", answers, log, timeout=180)
        assert process.poll() is None, log.read_text(errors="replace")[-2000:]
        exported = "".join(path.read_text() for path in (folder / "exports").rglob("*.csv"))
        code = re.search(r"\b(CO-\d\d)-\d{4}\b", exported)
        assert code is not None
        coordinator = demo_users(folder)[f"coordinator-{code.group(1).lower()}"]
        dashboard = page_session(url, coordinator).get(url + "/", timeout=60)
        assert dashboard.status_code == 200 and code.group(0) in dashboard.text
        assert "already holds a trial: serving it as it is" in log.read_text(errors="replace")
    finally:
        end_group(process.pid, graceful=10)
