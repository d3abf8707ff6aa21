"""Issue 19, in a real browser against ``trialdesk serve``: each role walks its main path through
the pages (clicks and form fills, no API), in English and then in Spanish chosen with the page's
language switch; every page visited gets a screenshot in the test output folder and an axe-core
check (no serious or critical violation).

The walk, per language, on one shared trial: the coordinator screens a patient and records
consent, the investigator randomizes, the pharmacist dispenses the kit, the coordinator enters a
day-0 form (confirming an out-of-range value, which raises a query), the monitor plans a visit and
verifies a record, the data manager closes the query, the DSMB records a meeting and reads its
open report. One server and one browser serve the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, fill_day0_respiratory, serious, signed_in_page
from enrollment import CONSENT, TODAY
from live_server import demo_users, running, setup_demo
from playwright.sync_api import Browser, Page, expect

from trialdesk.blinding import arm_revealing_texts
from trialdesk.protocol import load_protocol

pytestmark = pytest.mark.browser

SCREENING = {"age": "61", "pao2": "68", "fio2": "0.9", "peep": "12"}
CHOICES = {
    "sars_cov2_pcr": "positive", "onset_within_week": "yes", "bilateral_opacities": "yes",
    "cardiac_failure_explains": "no", "pregnant": "no", "active_malignancy": "no",
    "expected_death_24h": "no", "other_interventional_trial": "no",
}
# the roles that must learn no arm from any page they see on the way
BLINDED = ("coordinator", "investigator", "monitor", "data-manager")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("role-walks")
    setup_demo(folder)
    with running(folder, None, workers=1, threads=4) as live:
        yield live, demo_users(folder)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Walk:
    """One language's walk: a signed-in page per role, a screenshot and axe per page visited."""

    def __init__(self, browser: Browser, url: str, users: dict[str, Any], language: str,
                 folder: Path) -> None:
        self.browser, self.url, self.users = browser, url, users
        self.language, self.folder = language, folder
        self.step = 0
        self.findings: list[str] = []
        self.hidden = arm_revealing_texts(load_protocol(), ["en", "es"])

    def sign_in(self, username: str) -> Page:
        """A fresh context signed in as ``username``, switched to the walk's language with the
        header's language switch."""
        return signed_in_page(self.browser, self.url, self.users[username], self.language)

    def seen(self, page: Page, name: str, *, site_page: bool = True) -> None:
        """A screenshot of the page, and axe's serious or critical findings on it kept; a page
        of the site (not a stored report) is in the walk's language, and a blinded role's page
        names no arm."""
        page.wait_for_load_state("load")
        if site_page:
            expect(page.locator("html")).to_have_attribute("lang", self.language)
        if name.startswith(BLINDED):
            content = page.content()
            assert not [text for text in self.hidden if text in content], name
        self.step += 1
        page.screenshot(path=self.folder / f"{self.language}-{self.step:02d}-{name}.png",
                        full_page=True)
        self.findings += [f"{name} ({page.url}): {finding}" for finding in serious(page)]


def _walk(walk: Walk) -> None:
    url = walk.url
    # the coordinator screens a patient and records consent
    coordinator = walk.sign_in("coordinator-co-01")
    coordinator.goto(url + "/screen/")
    for field, value in SCREENING.items():
        coordinator.fill(f"#id_{field}", value)
    for field, value in CHOICES.items():
        coordinator.select_option(f"#id_{field}", value)
    # leave the last field now, so its change event (a live check) does not fire mid-click
    coordinator.evaluate("document.activeElement && document.activeElement.blur()")
    coordinator.wait_for_load_state("networkidle")
    expect(coordinator.locator("#eligibility-result strong").first).to_be_visible()
    walk.seen(coordinator, "coordinator-screening")
    with coordinator.expect_navigation():
        coordinator.click("#screening-form button[type=submit]")
    code = coordinator.url.rstrip("/").rsplit("/", 1)[-1]
    walk.seen(coordinator, "coordinator-eligible")
    coordinator.fill("#id_consent_date", CONSENT["consent_date"])
    coordinator.select_option("#id_form_version", CONSENT["form_version"])
    with coordinator.expect_navigation():
        coordinator.click("main form button[type=submit]")
    expect(coordinator.locator("#randomize-link")).to_have_count(0)  # not the coordinator's
    walk.seen(coordinator, "coordinator-consented")

    # the investigator randomizes
    investigator = walk.sign_in("investigator-co-01")
    investigator.goto(f"{url}/participants/{code}/")
    walk.seen(investigator, "investigator-participant")
    investigator.click("#randomize-link")
    walk.seen(investigator, "investigator-randomize")
    investigator.check("#id_confirm")
    with investigator.expect_navigation():
        investigator.click("main form button[type=submit]")
    kit = investigator.locator("#kit-code").inner_text().strip()
    walk.seen(investigator, "investigator-randomized")

    # the pharmacist dispenses that kit
    pharmacist = walk.sign_in("pharmacist-co-01")
    pharmacist.goto(url + "/pharmacy/")
    walk.seen(pharmacist, "pharmacist-list")
    # the pharmacist is unblinded: the arm shows here, so the blinded pages' check can fire
    assert [text for text in walk.hidden if text in pharmacist.content()]
    row = pharmacist.locator("tr", has=pharmacist.locator(f"td[data-kit='{kit}']"))
    row.locator("input[name=lot]").fill("LOT-19")
    with pharmacist.expect_navigation():
        row.locator("button[type=submit]").click()
    row = pharmacist.locator("tr", has=pharmacist.locator(f"td[data-kit='{kit}']"))
    expect(row).to_contain_text("LOT-19")
    walk.seen(pharmacist, "pharmacist-dispensed")

    # the coordinator enters the day-0 respiratory form, confirming an out-of-range PaO2
    coordinator.goto(f"{url}/capture/participants/{code}/")
    walk.seen(coordinator, "coordinator-visits")
    fill_day0_respiratory(coordinator)
    expect(coordinator.locator("#derived-pao2_fio2")).to_have_text("1040")
    coordinator.click("#save-draft")
    expect(coordinator.locator(".warning[data-field=pao2]")).to_be_visible()
    walk.seen(coordinator, "coordinator-day0-warning")
    coordinator.check("#confirm-pao2")
    coordinator.click("#save-complete")
    expect(coordinator.locator("#form-queries")).not_to_be_empty()
    walk.seen(coordinator, "coordinator-day0-complete")

    # the monitor plans a visit of the site and verifies the participant's records
    monitor = walk.sign_in("monitor")
    monitor.goto(url + "/monitoring/")
    walk.seen(monitor, "monitor-overview")
    plan_form = monitor.locator("main form[method=post]")
    plan_form.locator("select[name=site]").select_option("CO-01")
    plan_form.locator("input[name=planned_date]").fill(TODAY)
    with monitor.expect_navigation():
        plan_form.locator("button[type=submit]").click()
    monitor.goto(f"{url}/monitoring/plan/?participant={code}")
    walk.seen(monitor, "monitor-plan")
    # a table sorts by a header's button, and says how (issue 19, one design)
    header = monitor.locator("#plan thead th").nth(2)
    header.locator("button.sort").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("button.sort").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    walk.seen(monitor, "monitor-plan-sorted")
    with monitor.expect_navigation():
        monitor.locator("#plan tbody a").first.click()
    walk.seen(monitor, "monitor-record")
    before = monitor.locator("#record-state").inner_text()
    with monitor.expect_navigation():
        monitor.locator("main form[method=post] button[type=submit]").click()
    expect(monitor.locator("#record-state")).not_to_have_text(before)
    walk.seen(monitor, "monitor-verified")

    # the data manager closes the query the coordinator's confirmation raised
    manager = walk.sign_in("data_manager")
    manager.goto(url + "/capture/queries/")
    walk.seen(manager, "data-manager-queries")
    with manager.expect_navigation():
        manager.locator("#query-list tbody tr").filter(has_text=code).locator("a").first.click()
    walk.seen(manager, "data-manager-query")
    status = manager.locator("#query-status").inner_text()
    manager.fill("#note", "19")
    with manager.expect_navigation():
        manager.click("#close-query")
    expect(manager.locator("#query-status")).not_to_have_text(status)
    expect(manager.locator("#close-query")).to_have_count(0)
    walk.seen(manager, "data-manager-closed")

    # the DSMB records a meeting and reads its open session report
    dsmb = walk.sign_in("dsmb_statistician")
    dsmb.goto(url + "/dsmb/")
    walk.seen(dsmb, "dsmb-meetings")
    meeting_form = dsmb.locator("main form[method=post]")
    meeting_form.locator("input[name=date]").fill(TODAY)
    meeting_form.locator("input[name=cutoff]").fill(TODAY)
    with dsmb.expect_navigation():
        meeting_form.locator("button[type=submit]").click()
    walk.seen(dsmb, "dsmb-meeting")
    with dsmb.expect_navigation():
        dsmb.click("button[name=kind][value=open]")
    # the button queues the generation (issue 20): its page follows the server's task worker
    # and opens the report once it is stored
    dsmb.wait_for_url("**/dsmb/reports/**")
    # the report is a stored document, kept as it was generated (issue 15), in the reader's
    # language: each generation is stored in English and Spanish (issue 19)
    walk.seen(dsmb, "dsmb-open-report")


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_role_walks_its_main_path_with_no_serious_axe_finding(
        server: tuple[Any, dict[str, Any]], browser: Browser, language: str,
        test_output_dir: Path) -> None:
    live, users = server
    walk = Walk(browser, live.url, users, language, test_output_dir)
    try:
        _walk(walk)
    finally:
        for context in browser.contexts:
            context.close()
    assert walk.step >= 20
    assert not walk.findings, "\n".join(walk.findings)
