"""Shared test conventions.

- ``test_output_dir``: a git-ignored folder where tests leave screenshots, plots and reports for a
  person to look at (``test-output/<test module>/``).
- ``postgres_url``: the PostgreSQL server for tests marked ``postgres``; its URL comes from
  ``TRIALDESK_TEST_POSTGRES_URL`` (``scripts/test`` sets it to the local server).
- ``test_data`` (``TEST_DATA``): ``tests/data/``, the reference files tests read (the registry page,
  the CDISC pilot ADTTE, a ClinicalTrials.gov example), each with its source and licence in
  ``tests/data/README.md``. Tests read no file outside the repository.
- ``tests/helpers/`` (on ``sys.path``): the one copy of each test helper, imported by module name:
  ``eligible`` (ELIGIBLE_VALUES), ``api_client`` (ApiClient), ``login`` (signed-in clients),
  ``trial_factory`` (make_trial, Trial, PASSWORD), ``enrollment`` (screen, enroll, randomize).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT_ROOT = REPO_ROOT / "test-output"
TEST_DATA = Path(__file__).resolve().parent / "data"
TEST_HELPERS = Path(__file__).resolve().parent / "helpers"
if str(TEST_HELPERS) not in sys.path:
    sys.path.insert(0, str(TEST_HELPERS))


@pytest.fixture
def test_output_dir(request: pytest.FixtureRequest) -> Path:
    module = request.node.module.__name__.replace(".", "_")
    folder = TEST_OUTPUT_ROOT / module
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data/``. A fixture rather than an import: ``conftest`` names more than one module."""
    return TEST_DATA


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TRIALDESK_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "TRIALDESK_TEST_POSTGRES_URL is not set; scripts/test sets it to the local server"
        )
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a server process group started by tests/web/live_server.py still runs
    (after killing it): a leaked server loads the machine long after the run."""
    import sys

    live_server = sys.modules.get("live_server")
    if live_server is None:  # no test imported the helper: it started nothing
        return
    left = live_server.kill_all()
    if left:
        message = f"server process groups still running at the end of the session (killed): {left}"
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")  # after the progress line, which may lack its newline
            reporter.write_line(message, red=True)
        else:
            print(message, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The source-data-verification sample's seed in every test: on a server it is a secret made once
# per data directory (``trialdesk.web.monitoring.plan_seed``), so a fresh clone's tests would
# sample other forms each run and a test's lock checklist would find other items outstanding.
# Tests marked ``real_sdv_plan_seed`` (those of the seed itself) keep the data directory's.
TEST_SDV_PLAN_SEED = "ca4d716524f8a87b1f2ca103cfb41434832e2c3f8cfb6fb75b10c80105a5c7ac"


@pytest.fixture(autouse=True)
def _fixed_sdv_plan_seed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_sdv_plan_seed"):
        return
    import trialdesk.web.monitoring.plan_seed as seeds
    import trialdesk.web.monitoring.records as records

    monkeypatch.setattr(records, "plan_seed", lambda: TEST_SDV_PLAN_SEED)
    monkeypatch.setattr(seeds, "plan_seed", lambda: TEST_SDV_PLAN_SEED)


# The modules that took longest in a full run (``--junitxml`` times summed per module,
# 2026-12-04), longest first. They are collected first so that, with the several workers of
# ``scripts/test`` (pytest-xdist, one module per worker at a time), the long ones start at once
# instead of leaving one worker busy with a long module at the end while the other waits. Order
# only: a module missing here runs after them, as collected.
LONGEST_MODULES = (
    "web/test_web_crash.py", "web/test_web_api_fuzzing.py",
    "web/security/test_security_linkage_attack.py", "web/exports/test_exports_sdtm_postgres.py",
    "web/exports/test_exports_odm_postgres.py", "commands/test_sites_cli.py",
    "web/safety/test_safety_blinding.py", "web/simulation/test_simulation_monitoring.py",
    "web/test_web_blinding_matrix.py", "web/trials/test_trials_consent_postgres.py",
    "web/test_web_database_restart_postgres.py", "web/test_web_database_disk_full.py",
    "web/security/test_security_live_server.py", "web/amendments/test_amendments_postgres.py",
    "web/capture/test_capture_locks_postgres.py", "web/test_web_role_walks_browser.py",
    "web/test_web_tablet_browser.py",
    "web/deviations/test_deviations_postgres.py", "web/test_web_site_status_postgres.py",
    "web/capture/test_capture_lock_checklist_postgres.py", "web/supply/test_supply_blinding.py",
    "web/capture/test_capture_visit_state_postgres.py", "web/capture/test_capture_blinding.py",
    "web/monitoring/test_monitoring_postgres.py", "web/capture/test_capture_derived_postgres.py",
    "commands/test_server_cli.py", "web/capture/test_capture_postgres.py",
    "web/capture/test_capture_browser.py", "web/redcap/test_redcap_postgres.py",
    "web/safety/test_safety_postgres.py", "web/supply/test_supply_postgres.py",
    "commands/test_backup_live.py", "web/test_web_dynamic_randomization.py",
    "commands/test_protocol_amend_cli.py", "web/design/test_design_browser.py",
    "web/test_web_concurrency.py", "web/test_web_demo_simulation.py",
    "web/security/test_security_arm_codes_anywhere.py", "web/integrity/test_integrity_pages.py",
    "web/integrity/test_integrity_bad_input.py", "web/test_web_migration_to_core.py",
    "web/test_web_browser.py", "commands/test_audit_publish.py", "web/test_web_spanish_crawl.py",
    "commands/test_safety_load_dictionary.py", "web/test_live_server_helper.py",
    "commands/test_backup_cli.py", "web/exports/test_exports_demo.py",
    "web/reports/test_reports_dummy_allocation.py", "web/test_web_control_characters.py",
    "web/monitoring/test_monitoring_blinding.py", "web/integrity/test_integrity_write_paths.py",
    "web/deviations/test_deviations_blinding.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {REPO_ROOT / "tests" / name: place for place, name in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks the locale's language when none is asked (issue 19); the tests
    expect English unless they set a locale, so a machine whose LANG is Spanish runs them the same.
    The servers and commands tests start inherit this environment."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
