"""The design pages in Chromium: boundaries with their plot, and a simulation whose <progress> bar
is polled by the page's script until the results replace it; axe-core on both pages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from browser import LAUNCH, serious
from django.conf import settings
from django.db import OperationalError, connection
from login import signed_in_client_without_login_signal
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright
from trial_factory import make_trial_wide_users_without_audit

from trialdesk.web.design.models import SimulationJob
from trialdesk.web.worker.runner import run_ready

# generous bounds for a loaded machine, not timings: the worker's wait for a table another
# thread is writing, the simulation itself, and the page's reload once the job is done
WORKER_DEADLINE = 300
SIMULATION_DEADLINE = 900
PAGE_DEADLINE_MS = 120_000


def _work(outcome: list[object]) -> None:
    """Run the queued task; append how many ran, or the error that ended the look, to
    ``outcome``. The test database is SQLite in memory with a shared cache, where a reader is
    refused ("table is locked") while the server thread writes, with no busy wait; the server's
    file database in WAL mode lets readers through. So a refused look is tried again."""
    deadline = time.monotonic() + WORKER_DEADLINE
    try:
        while time.monotonic() < deadline:
            try:
                ran = run_ready()
            except OperationalError as error:
                if "locked" not in str(error):
                    raise
                ran = 0
            if ran:
                outcome.append(ran)
                return
            time.sleep(0.05)
        outcome.append("no task was ready")
    except Exception as error:  # reported by the test, not lost with the thread
        outcome.append(error)
    finally:
        connection.close()


@pytest.mark.browser
def test_boundaries_and_a_simulation_with_its_progress_bar(live_server, test_output_dir: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user = make_trial_wide_users_without_audit(["dsmb_statistician"])["dsmb_statistician"]
    cookies = signed_in_client_without_login_signal(user).cookies
    session = cookies[settings.SESSION_COOKIE_NAME].value
    worker = None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                                  "url": live_server.url}])
            page = context.new_page()
            page.goto(f"{live_server.url}/design/boundaries/")
            page.get_by_label("Looks").fill("3")
            page.get_by_role("button", name="Compute").click()
            page.wait_for_load_state()
            assert page.locator("td.z").all_inner_texts() == ["3.7103", "2.5114", "1.9930"]
            assert page.locator("figure svg").count() == 1
            page.screenshot(path=str(test_output_dir / "boundaries-obf-3-looks.png"),
                            full_page=True)
            assert serious(page) == []

            page.goto(f"{live_server.url}/design/simulate/?example=default_trial")
            # several chunks, so the bar has steps; the job waits, queued, for the worker below
            page.get_by_label("Simulated trials per scenario").fill("200000")
            page.get_by_role("button", name="Start the simulation").click()
            page.wait_for_url("**/design/simulate/*/")
            job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
            progress = page.locator("progress#progress")
            assert progress.get_attribute("max") == "6"  # 3 scenarios x 2 chunks of 100,000
            # the queued job's task, run by a worker (a thread here, as `trialdesk worker` would:
            # the in-process live server starts none). Its time is not bounded but by generous
            # deadlines: on a loaded machine the simulation takes what it takes.
            outcome: list[object] = []
            worker = threading.Thread(target=_work, args=(outcome,), name="test-worker")
            worker.start()
            worker.join(timeout=WORKER_DEADLINE + SIMULATION_DEADLINE)
            assert not worker.is_alive(), "the simulation task did not end"
            assert outcome == [1], outcome
            job = SimulationJob.objects.get(pk=job_id)
            assert job.state == SimulationJob.DONE, (job.state, job.error)
            # the page's script polls the job and reloads the page when it is done; a reload
            # that met the worker's last write (SQLite in memory refuses at once) is done again
            results = page.locator("td.simulated").first
            try:
                results.wait_for(timeout=PAGE_DEADLINE_MS)
            except PlaywrightTimeoutError:
                page.reload()
                results.wait_for(timeout=PAGE_DEADLINE_MS)
            assert page.locator("td.simulated").count() == 3
            assert page.locator("progress").count() == 0
            page.screenshot(path=str(test_output_dir / "simulation-default-trial.png"),
                            full_page=True)
            assert serious(page) == []
        finally:
            browser.close()
            if worker is not None:
                worker.join(timeout=WORKER_DEADLINE + SIMULATION_DEADLINE)
