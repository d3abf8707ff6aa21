"""Issue 19, axe-core beyond the main paths: the DSMB's closed session report, the administration
pages (sites, users, the delegation log, what a principal investigator signs) and the
statisticians' design pages (catalogue, simulation, boundaries, adaptive designs, BOP2, each with
a result computed), in English and in Spanish, in a real browser against ``trialdesk serve``: no
serious or critical violation. Every page gets a screenshot in the test output folder. One server
and one browser serve the module."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serious, signed_in_page
from enrollment import TODAY
from live_server import (
    api_session,
    csrf_token,
    demo_users,
    page_post,
    page_session,
    randomized,
    running,
    setup_demo,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

SITE = "CO-01"
GENERATION_WAIT = 300  # seconds: the task worker shares 2 loaded cores with the server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any], int]]:
    """The demo trial with two randomized participants and a DSMB meeting whose closed session
    report is generated (the report id is the third item)."""
    folder = tmp_path_factory.mktemp("axe-more-pages")
    setup_demo(folder)
    with running(folder, None, workers=1, threads=4) as live:
        users = demo_users(folder)
        investigator = api_session(live.url, users["investigator-co-01"])
        for index in range(2):
            randomized(investigator, live.url, index)
        dsmb = page_session(live.url, users["dsmb_statistician"])
        created = page_post(dsmb, f"{live.url}/dsmb/", {
            "date": TODAY, "kind": "scheduled", "cutoff": TODAY, "attendees": "DSMB"})
        assert created.status_code == 302, created.text
        meeting = re.search(r"/dsmb/meetings/(\d+)/", created.headers["Location"])
        assert meeting, created.headers["Location"]
        meeting_url = f"{live.url}/dsmb/meetings/{meeting.group(1)}/"
        page = dsmb.get(meeting_url, timeout=60)
        generated = dsmb.post(f"{meeting_url}reports/", timeout=120, allow_redirects=False,
                              data={"kind": "closed", "csrfmiddlewaretoken": csrf_token(page.text)})
        assert generated.status_code == 302, generated.text
        yield live, users, _generated_report(dsmb, live.url + generated.headers["Location"])


def _generated_report(session: Any, job_url: str) -> int:
    """The report a DSMB generation job made: the button queues it (issue 20), the server's
    task worker makes it, and the job's page then sends its reader to the report."""
    deadline = time.monotonic() + GENERATION_WAIT
    while time.monotonic() < deadline:
        answer = session.get(job_url, timeout=60, allow_redirects=False)
        report = re.search(r"/dsmb/reports/(\d+)/", answer.headers.get("Location", ""))
        if report:
            return int(report.group(1))
        assert answer.status_code == 200 and 'role="alert"' not in answer.text, answer.text
        time.sleep(1)
    raise AssertionError(f"the closed report was not generated in {GENERATION_WAIT} s")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Checks:
    """One language's pages: a signed-in page per user, a screenshot and axe per page seen."""

    def __init__(self, browser: Browser, url: str, users: dict[str, Any], language: str,
                 folder: Path) -> None:
        self.browser, self.url, self.users = browser, url, users
        self.language, self.folder = language, folder
        self.seen_pages: list[str] = []
        self.findings: list[str] = []

    def sign_in(self, username: str) -> Page:
        """A fresh context signed in as ``username``, switched to the language with the header's
        language switch."""
        return signed_in_page(self.browser, self.url, self.users[username], self.language)

    def visit(self, page: Page, path: str, name: str) -> None:
        response = page.goto(self.url + path)
        assert response is not None and response.status < 400, (path, response)
        self.seen(page, name)

    def seen(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        self.seen_pages.append(name)
        page.screenshot(path=self.folder / f"{self.language}-{len(self.seen_pages):02d}-{name}.png",
                        full_page=True)
        self.findings += [f"{name} ({page.url}): {finding}" for finding in serious(page)]

    def submitted(self, page: Page, path: str, name: str, result: str) -> None:
        """The page, then its form sent as it stands (its defaults), and the result seen."""
        self.visit(page, path, name)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        expect(page.locator(result).first).to_be_visible()
        self.seen(page, f"{name}-result")


def _check(checks: Checks, report_id: int) -> None:
    # the DSMB's closed session report, as the DSMB statistician reads it
    dsmb = checks.sign_in("dsmb_statistician")
    checks.visit(dsmb, f"/dsmb/reports/{report_id}/", "dsmb-closed-report")
    expect(dsmb.locator("body.closed")).to_have_count(1)

    # the administration pages
    admin = checks.sign_in("admin")
    for path, name in (("/administration/", "admin-index"),
                       ("/administration/sites/", "admin-sites"),
                       (f"/administration/sites/{SITE}/", "admin-site"),
                       ("/administration/sites/new", "admin-site-new"),
                       ("/administration/users/", "admin-users"),
                       ("/administration/users/new", "admin-user-new"),
                       ("/administration/users/investigator-co-01/", "admin-user"),
                       ("/administration/delegations/", "admin-delegations")):
        checks.visit(admin, path, name)
    # the delegations a site's investigators sign (its principal investigator is one)
    principal = checks.sign_in(f"investigator-{SITE.lower()}")
    checks.visit(principal, "/administration/delegations/to-sign/", "pi-delegations-to-sign")

    # the statisticians' design pages, each with a result
    analyst = checks.sign_in("analyst")
    checks.visit(analyst, "/design/", "design-catalogue")
    checks.visit(analyst, "/design/simulate/", "design-simulate")
    checks.submitted(analyst, "/design/boundaries/", "design-boundaries", "main table")
    checks.submitted(analyst, "/design/adaptive/", "design-adaptive", "main table")
    checks.submitted(analyst, "/design/bop2/", "design-bop2", "main table")


@pytest.mark.parametrize("language", ["en", "es"])
def test_more_pages_have_no_serious_axe_finding(
        server: tuple[Any, dict[str, Any], int], browser: Browser, language: str,
        test_output_dir: Path) -> None:
    live, users, report_id = server
    checks = Checks(browser, live.url, users, language, test_output_dir)
    try:
        _check(checks, report_id)
    finally:
        for context in browser.contexts:
            context.close()
    assert len(checks.seen_pages) >= 18
    assert not checks.findings, "\n".join(checks.findings)
