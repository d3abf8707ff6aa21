"""In a real browser against the real server (``trialdesk serve``): a coordinator fills the day-0
respiratory form, sees the derived P/F ratio, gets a soft-range warning, confirms it, and the
query appears for the data manager."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from browser import LAUNCH, fill_day0_respiratory
from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import api_session, demo_users, randomized, running, setup_demo
from login import sign_in_browser

pytestmark = pytest.mark.browser


def test_coordinator_confirms_a_soft_range_value_and_the_data_manager_sees_the_query(
        tmp_path, test_output_dir):
    setup_demo(tmp_path)
    users = demo_users(tmp_path)
    with running(tmp_path, workers=1, threads=4) as server, sync_playwright() as p:
        code = randomized(api_session(server.url, users["investigator-co-01"]), server.url, 1)
        browser = p.chromium.launch(**LAUNCH)
        try:
            coordinator = browser.new_context(locale="en-GB").new_page()
            sign_in_browser(coordinator, server.url, users["coordinator-co-01"])
            coordinator.goto(f"{server.url}/capture/participants/{code}/")
            fill_day0_respiratory(coordinator)
            # the live check computes the ratio on the server while the form is filled
            expect(coordinator.locator("#derived-pao2_fio2")).to_have_text("1040")
            expect(coordinator.locator(".live-warning[data-field=pao2]")).to_contain_text(
                "PaO2: 520 mmHg is outside the expected range")  # words, no rule code
            coordinator.click("#save-draft")
            expect(coordinator.locator("#derived-pao2_fio2")).to_have_text("1040")
            warning = coordinator.locator(".warning[data-field=pao2]")
            expect(warning).to_contain_text("outside the expected range")
            coordinator.screenshot(path=str(test_output_dir / "1-soft-range-warning.png"),
                                   full_page=True)
            coordinator.check("#confirm-pao2")
            coordinator.click("#save-complete")
            expect(coordinator.locator("#form-status")).to_have_text("complete")
            expect(coordinator.locator("#form-queries")).to_contain_text("outside the expected")
            coordinator.screenshot(path=str(test_output_dir / "2-confirmed-complete.png"),
                                   full_page=True)

            manager = browser.new_context(locale="en-GB").new_page()
            sign_in_browser(manager, server.url, users["data_manager"])
            manager.goto(f"{server.url}/capture/queries/")
            row = manager.locator("#query-list tbody tr").filter(has_text=code)
            expect(row).to_have_count(1)
            # the field by its label and the question in words, not the field's code (issue 19)
            expect(row).to_contain_text("PaO2")
            expect(row).to_contain_text("is outside the expected range")
            expect(row).not_to_contain_text("pao2")
            expect(row).to_contain_text("automatic")
            expect(manager.locator(".site-count[data-site=CO-01]")).to_have_text("CO-01: 1")
            manager.screenshot(path=str(test_output_dir / "3-data-manager-queries.png"),
                               full_page=True)
        finally:
            browser.close()
