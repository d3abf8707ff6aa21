"""Acceptance in a real browser (Playwright driving Debian's Chromium): an investigator screens
and randomizes and sees a kit code but no arm; the site's pharmacist then sees the arm of that kit.
Once in English and once in Spanish. Screenshots go to the test output folder."""

from __future__ import annotations

import pytest
from browser import LAUNCH
from enrollment import CONSENT
from live_server import demo_users, running, setup_demo
from login import sign_in_browser
from playwright.sync_api import expect, sync_playwright

from trialdesk.blinding import arm_revealing_texts
from trialdesk.protocol import load_protocol

TEXTS = {
    "en": {"eligible": "Eligible", "randomize": "Randomize now", "dispense": "Record dispensing"},
    "es": {"eligible": "Elegible", "randomize": "Aleatorizar ahora",
           "dispense": "Registrar la dispensación"},
}
SCREENING = {
    "age": "61", "pao2": "68", "fio2": "0.9", "peep": "12",
}
CHOICES = {
    "sars_cov2_pcr": "positive", "onset_within_week": "yes", "bilateral_opacities": "yes",
    "cardiac_failure_explains": "no", "pregnant": "no", "active_malignancy": "no",
    "expected_death_24h": "no", "other_interventional_trial": "no",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-server")
    setup_demo(folder)
    with running(folder, None, workers=1, threads=4) as live:
        yield live, demo_users(folder)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "es"])
def test_investigator_sees_kit_code_not_arm_and_pharmacist_sees_arm(server, language,
                                                                    test_output_dir):
    live, users = server
    texts = TEXTS[language]
    arm_labels = {arm.code: arm.label.text(language) for arm in load_protocol().design.arms}
    hidden = arm_revealing_texts(load_protocol(), ["en", "es"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        try:
            context = browser.new_context(locale=language,
                                          extra_http_headers={"Accept-Language": language})
            page = context.new_page()
            sign_in_browser(page, live.url, users["investigator-co-01"])
            page.goto(live.url + "/screen/")
            for field, value in SCREENING.items():
                page.fill(f"#id_{field}", value)
            for field, value in CHOICES.items():
                page.select_option(f"#id_{field}", value)
            # leave the last field now, so its change event (a live check) does not fire mid-click
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.wait_for_load_state("networkidle")
            expect(page.locator("#eligibility-result strong").first).to_have_text(
                texts["eligible"])
            page.screenshot(path=test_output_dir / f"screening-{language}.png", full_page=True)
            with page.expect_navigation():
                page.click("#screening-form button[type=submit]")
            page.fill("#id_consent_date", CONSENT["consent_date"])
            page.select_option("#id_form_version", CONSENT["form_version"])
            page.click("main form button[type=submit]")
            page.click("#randomize-link")
            page.check("#id_confirm")
            page.click(f"text={texts['randomize']}")
            kit = page.locator("#kit-code").inner_text().strip()
            assert len(kit) == 9 and kit[4] == "-", kit
            content = page.content()
            page.screenshot(path=test_output_dir / f"randomized-{language}.png", full_page=True)
            assert not [text for text in hidden if text in content]
            participant_page = page.locator("a[href*='/participants/']").first
            participant_page.click()
            assert not [text for text in hidden if text in page.content()]
            context.close()

            context = browser.new_context(locale=language,
                                          extra_http_headers={"Accept-Language": language})
            page = context.new_page()
            sign_in_browser(page, live.url, users["pharmacist-co-01"])
            page.goto(live.url + "/pharmacy/")
            row = page.locator("tr", has=page.locator(f"td[data-kit='{kit}']"))
            arm_text = row.locator(".arm-cell").inner_text().strip()
            assert arm_text in arm_labels.values()
            expect(row.locator("button")).to_have_text(texts["dispense"])
            page.screenshot(path=test_output_dir / f"pharmacy-{language}.png", full_page=True)
            context.close()
        finally:
            browser.close()
