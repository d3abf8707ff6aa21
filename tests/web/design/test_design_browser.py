"""The design pages in Chromium: boundaries with their plot, and a simulation whose <progress> bar
is polled by the page's script until the results replace it; axe-core on both pages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from browser import LAUNCH, serious
from django.conf import settings
from django.db import OperationalError
from login import signed_in_client_without_login_signal
from playwright.sync_api import sync_playwright
from trial_factory import make_trial_wide_users_without_audit

from trialdesk.web.worker.runner import run_ready


def _work() -> None:
    """Run the queued task. The test database is SQLite in memory with a shared cache, where a
    reader is refused ("table is locked") while the server thread writes, with no busy wait; the
    server's file database in WAL mode lets readers through. So a refused look is tried again."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if run_ready():
                return
        except OperationalError as error:
            if "locked" not in str(error):
                raise
        time.sleep(0.05)


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
            # the largest run allowed: several seconds, so the page meets the job running
            page.get_by_label("Simulated trials per scenario").fill("500000")
            page.get_by_role("button", name="Start the simulation").click()
            page.wait_for_url("**/design/simulate/*/")
            progress = page.locator("progress#progress")
            assert progress.get_attribute("max") == "15"  # 3 scenarios x 5 chunks of 100,000
            # the queued job's task, run by a worker (a thread here, as `trialdesk worker` would)
            worker = threading.Thread(target=_work, name="test-worker")
            worker.start()
            # the page's script polls the job and reloads the page when it is done
            page.locator("td.simulated").first.wait_for(timeout=60_000)
            assert page.locator("td.simulated").count() == 3
            assert page.locator("progress").count() == 0
            page.screenshot(path=str(test_output_dir / "simulation-default-trial.png"),
                            full_page=True)
            assert serious(page) == []
        finally:
            browser.close()
            if worker is not None:
                worker.join(timeout=120)
